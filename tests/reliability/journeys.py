"""Clients that survive what the HA tests do to the desk: a client-side balancer over the instances, a
customer that resumes elsewhere on any close and sends its unacknowledged message again (as the widget's
outbox does), and the agent journey and claim race run against whatever topology a test started."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import websockets
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from handoff.core import errors
from tests.gateway import seed_accounts
from tests.handoff.clients import Agent, Customer, login
from tests.support import TIME_SCALE


class Balancer:
    """Round robin over the instances' URLs; a client that cannot get in tries the next one."""

    def __init__(self, urls: list[str]) -> None:
        self.urls, self.turn = urls, 0

    def next(self) -> str:
        self.turn += 1
        return self.urls[self.turn % len(self.urls)]


class LoadCustomer:
    """One conversation: say something, wait for its ack and its one answer, again; on a 1012 (or any
    close) resume on another instance and send the unacknowledged message again with its client_id."""

    def __init__(self, balancer: Balancer) -> None:
        self.balancer = balancer
        self.cid: str | None = None
        self.token: str | None = None
        self.ws: websockets.WebSocketClientProtocol | None = None
        self.seen: dict[int, dict] = {}
        self.acked: dict[str, int] = {}  # client_id -> seq
        self.closes: list[int] = []

    async def _open(self) -> None:
        for _ in range(int(200 * TIME_SCALE)):
            url = self.balancer.next()
            try:
                ws = await websockets.connect(url.replace("http", "ws", 1) + "/ws/customer")
            except (OSError, InvalidHandshake, asyncio.TimeoutError):
                # Down, draining (503 before the upgrade), or closing its listener mid-handshake: as a
                # balancer does, try the next instance.
                await asyncio.sleep(0.1)
                continue
            hello: dict = {"type": "hello", "last_seq": max(self.seen, default=0)}
            if self.cid:
                hello.update(conversation_id=self.cid, token=self.token)
            try:
                await ws.send(json.dumps(hello))
                frame = json.loads(await asyncio.wait_for(ws.recv(), 10 * TIME_SCALE))
            except (ConnectionClosed, asyncio.TimeoutError):
                await ws.close()
                continue
            if frame["type"] != "welcome":
                await ws.close()
                await asyncio.sleep(0.1)
                continue
            self.cid, self.token, self.ws = frame["conversation_id"], frame.get("token") or self.token, ws
            return
        raise AssertionError("no instance took the customer back")

    def _answered(self, seq: int) -> bool:
        return any(s > seq and m.get("sender") != "customer" for s, m in self.seen.items())

    async def exchange(self, text: str) -> float:
        """Seconds from sending `text` to its answer, reconnects included."""
        client_id, started = uuid.uuid4().hex, time.perf_counter()
        while True:
            if self.ws is None:
                await self._open()
            assert self.ws is not None
            try:
                await self.ws.send(json.dumps({"type": "message", "client_id": client_id, "text": text}))
                while not (client_id in self.acked and self._answered(self.acked[client_id])):
                    frame = json.loads(await asyncio.wait_for(self.ws.recv(), 60 * TIME_SCALE))
                    if frame["type"] == "message":
                        self.seen[frame["seq"]] = frame
                    elif frame["type"] == "ack" and frame["client_id"] == client_id:
                        self.acked[client_id] = frame["seq"]
                    elif frame["type"] == "error" and frame.get("ref") == client_id:
                        assert frame["code"] == errors.UNAVAILABLE, frame
                        raise Retry(frame.get("retry_after_ms", 1000) / 1000)
                return time.perf_counter() - started
            except ConnectionClosed as closed:
                self.closes.append(closed.code)
                self.ws = None  # resume elsewhere; the message goes again, stored once
            except Retry as retry:
                await asyncio.sleep(retry.after_s)  # not yet safe on a replica: the same message again




class Retry(Exception):
    def __init__(self, after_s: float) -> None:
        self.after_s = after_s


async def claim_race(instances: list[str], redis_url: str, cid: str, n: int = 20, cluster: str = "") -> list[str]:
    """`n` agents, spread over `instances`, claim conversation `cid` at once: each one's outcome. `cluster`:
    REDIS_CLUSTER's seed nodes when the desk runs on one."""
    racers = {f"racer{i:02d}": (f"racer-password-{i:02d}", "agent", f"Racer {i}", 3) for i in range(n)}
    await asyncio.to_thread(seed_accounts, redis_url, racers, cluster)

    async def connect(i: int, name: str) -> Agent:
        gw = instances[i % len(instances)]
        return await Agent.connect(gw, name, cookie=await asyncio.to_thread(login, gw, name, racers[name][0]))

    agents = await asyncio.gather(*[connect(i, name) for i, name in enumerate(racers)])
    await asyncio.gather(*[agent.do("claim", conversation_id=cid) for agent in agents])
    outcomes = list(await asyncio.gather(*[claim_outcome(agent, cid) for agent in agents]))
    for i, outcome in enumerate(outcomes):
        if outcome == "claimed":
            await agents[i].do("close", conversation_id=cid, resolution="resolved")
    for agent in agents:
        await agent.close()
    return outcomes


async def claim_outcome(agent: Agent, cid: str) -> str:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20 * TIME_SCALE
    while loop.time() < deadline:
        for i, f in enumerate(agent.pending):
            if f["type"] == "claimed" and f["conversation_id"] == cid:
                agent.pending.pop(i)
                return "claimed"
            if f["type"] == "error" and f.get("frame") == "claim":
                agent.pending.pop(i)
                return str(f["code"])
        try:
            await agent.recv(1)
        except asyncio.TimeoutError:
            pass
    return "timeout"


async def handover_journey(customer_gw: str, agent_gw: str, agent: str = "sam") -> Customer:
    """A customer on one instance asks for a person, an agent on another claims, they talk both ways, the
    agent closes: the whole journey across instances. Returns the customer (its frames in .seen)."""
    sam = await Agent.connect(agent_gw, agent)
    c = await Customer.connect(customer_gw)
    await c.say("I need help with a payment")
    await c.send(type="request_human")
    await c.expect("state", state="queued")
    await sam.do("claim", conversation_id=c.cid)
    await sam.expect("claimed", conversation_id=c.cid)
    await c.expect("state", state="agent")
    said = await c.say("hello from the customer's instance")
    got = await sam.expect("message", conversation_id=c.cid, sender="customer", after_seq=said["seq"] - 1)
    assert got["text"] == "hello from the customer's instance"
    reply = await sam.reply(c.cid, "hello from the agent's instance")
    assert (await c.expect("message", sender="agent"))["seq"] == reply["seq"]
    await sam.do("close", conversation_id=c.cid, resolution="resolved")
    await c.expect("state", state="closed")
    await sam.close()
    return c
