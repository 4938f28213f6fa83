"""Small websocket clients for the gateway tests: a customer, an agent (with HTTP login), frame matching."""
from __future__ import annotations

import asyncio
import json
import urllib.request
import uuid
from typing import Any

import websockets

from tests.support import TIME_SCALE

WAIT = 10 * TIME_SCALE  # one generous timing unit: the bot runs real NLU on a shared 2-core machine
BOT_WAIT = 60 * TIME_SCALE


OPEN: list[Client] = []  # every client a test opened; closed after each test (tests/handoff/conftest.py)


async def close_all() -> None:
    while OPEN:
        await OPEN.pop().ws.close()


class Client:
    def __init__(self, ws: Any) -> None:
        OPEN.append(self)
        self.ws = ws
        self.seen: list[dict[str, Any]] = []  # every frame received, in order
        self.pending: list[dict[str, Any]] = []  # received but not yet matched by expect()

    async def send(self, **frame: Any) -> None:
        await self.ws.send(json.dumps(frame))

    async def recv(self, timeout: float = WAIT) -> dict[str, Any]:
        frame = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        self.seen.append(frame)
        self.pending.append(frame)
        return frame

    async def expect(self, ftype: str, timeout: float = WAIT, after_seq: int | None = None,
                     **match: Any) -> dict[str, Any]:
        """The first not-yet-matched frame of `ftype` whose fields include `match` (and whose seq is above
        `after_seq`, if given), waiting for it if needed.

        Frames of other kinds stay pending, so a test can expect them in any order it likes."""
        def take() -> dict[str, Any] | None:
            for i, frame in enumerate(self.pending):
                if frame.get("type") == ftype and all(frame.get(k) == v for k, v in match.items()) and (
                        after_seq is None or frame.get("seq", 0) > after_seq):
                    return self.pending.pop(i)
            return None

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (found := take()) is None:
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"no {ftype} {match} within {timeout:.0f}s; got {self.seen[-8:]}")
            try:
                await self.recv(left)
            except asyncio.TimeoutError:
                continue
        return found

    async def drain(self, seconds: float = 0.5) -> list[dict[str, Any]]:
        """Everything pending plus whatever arrives until `seconds` of silence; all of it is consumed."""
        out, self.pending = self.pending, []
        try:
            while True:
                out.append(await self.recv(seconds))
                self.pending.pop()
        except asyncio.TimeoutError:
            return out

    async def close(self) -> None:
        await self.ws.close()


class Customer(Client):
    welcome: dict[str, Any]

    @classmethod
    async def connect(cls, gateway: str, **hello: Any) -> Customer:
        ws = await websockets.connect(gateway.replace("http", "ws", 1) + "/ws/customer", max_size=2**20)
        c = cls(ws)
        await c.send(type="hello", **hello)
        c.welcome = await c.expect("welcome")
        return c

    @property
    def cid(self) -> str:
        return self.welcome["conversation_id"]

    @property
    def token(self) -> str:
        return self.welcome["token"]

    async def say(self, text: str, client_id: str | None = None) -> dict[str, Any]:
        client_id = client_id or uuid.uuid4().hex
        await self.send(type="message", client_id=client_id, text=text)
        return await self.expect("ack", client_id=client_id)

    def messages(self) -> list[dict[str, Any]]:
        return [f for f in self.seen if f.get("type") == "message"]



async def queued_customer(gw: str) -> Customer:
    """A new customer on `gw` who asked for a person and is waiting in the queue."""
    c = await Customer.connect(gw)
    await c.send(type="request_human")
    await c.expect("state", state="queued")
    return c


async def claimed(gw: str, agent: Agent) -> Customer:
    """A new customer on `gw`, queued and then claimed by `agent` (who may be on another instance)."""
    c = await queued_customer(gw)
    await agent.do("claim", conversation_id=c.cid)
    await agent.expect("claimed", conversation_id=c.cid)
    await c.expect("state", state="agent")
    return c


def login(gateway: str, username: str, password: str) -> str:
    """POST /api/login; returns the Cookie header value for the agent socket."""
    req = urllib.request.Request(gateway + "/api/login", method="POST",
                                 data=json.dumps({"username": username, "password": password}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=WAIT) as resp:
        cookie = resp.headers["Set-Cookie"]
    return cookie.split(";", 1)[0]


class Agent(Client):
    welcome: dict[str, Any]

    @classmethod
    async def connect(cls, gateway: str, username: str, cookie: str | None = None) -> Agent:
        if cookie is None:
            password = __import__("tests.gateway", fromlist=["ACCOUNTS"]).ACCOUNTS[username][0]
            cookie = await asyncio.to_thread(login, gateway, username, password)
        ws = await websockets.connect(gateway.replace("http", "ws", 1) + "/ws/agent",
                                      extra_headers={"Cookie": cookie}, max_size=2**22)
        a = cls(ws)
        a.cookie = cookie
        await a.send(type="hello")
        a.welcome = await a.expect("welcome")
        return a

    async def do(self, ftype: str, **fields: Any) -> None:
        await self.send(type=ftype, **fields)

    async def reply(self, cid: str, text: str) -> dict[str, Any]:
        client_id = uuid.uuid4().hex
        await self.send(type="message", conversation_id=cid, client_id=client_id, text=text)
        return await self.expect("ack", client_id=client_id)


async def reset_desk(redis_url: str, gateway: str) -> None:
    """Close every queued or assigned conversation (as the admin), so one test's leftovers never fill
    another test's agent capacity or queue."""
    import redis.asyncio as aioredis

    from handoff.storage import keys

    client = aioredis.from_url(redis_url, decode_responses=True)
    try:
        ids = set(await client.zrange(keys.QUEUE, 0, -1))
        for username in await client.smembers(keys.USERS):
            ids |= set(await client.smembers(keys.agent_convs(username)))
    finally:
        await client.close()
    if not ids:
        return
    admin = await Agent.connect(gateway, "ada")
    for cid in ids:
        await admin.do("close", conversation_id=cid, resolution="duplicate")
    await admin.do("ping")
    await admin.expect("pong")
    await admin.close()
