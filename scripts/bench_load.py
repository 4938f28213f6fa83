"""Load generators: customer websockets, Rasa's REST webhook and the socket.io channel (rasa-webchat's wire)
with the same messages, open and closed loop; handoff latency to the agent console; idle socket capacity.

Clients are the test clients of tests/handoff/clients.py (websockets 10.4) and aiohttp, on plain asyncio.
A websocket turn ends at the bot's `typing on:false`, which the gateway sends after the turn's last
message (handoff/gateway/turns.py) — the same point at which Rasa's REST webhook returns its answer.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import websockets
from engineio import packet as eio_packet
from socketio import packet as sio_packet

from tests.handoff.clients import OPEN, Agent, Customer

# Routine Banking77 questions that the bot answers itself (no handoff cue, no form).
MESSAGES = (
    "When will my new card arrive?",
    "How do I top up my account?",
    "What exchange rate do you use?",
    "Which currencies can I hold?",
    "How long does a bank transfer take?",
    "Is there a fee for topping up by card?",
    "How do I verify my identity?",
    "Where can I use my card?",
    "What is the maximum amount I can top up?",
    "Can I get a virtual card?",
)
HANDOFF_TEXT = "Can I speak to a real person please?"


@dataclass
class Run:
    """One load run: latencies of answered turns, and what did not go as planned."""

    latencies_ms: list[float] = field(default_factory=list)
    sent: int = 0
    errors: int = 0  # REST errors, or the gateway's bot_unavailable notice
    escalated: int = 0  # conversations the bot handed off (should stay 0 with routine messages)
    duration_s: float = 0.0
    cpu_s: float = 0.0  # the instance's CPU time (gateway threads + NLU workers) during the run, if measured

    @property
    def answered(self) -> int:
        return len(self.latencies_ms)

    @property
    def unanswered(self) -> int:
        return self.sent - self.answered

    @property
    def throughput(self) -> float:
        return self.answered / self.duration_s if self.duration_s else 0.0


Hook = Callable[[], Awaitable[None]] | None
THINK_S = 0.25  # closed loop: pause between an answer and the next message


def _text(i: int) -> str:
    return MESSAGES[i % len(MESSAGES)]


class _WsConversation:
    """One customer socket; pairs each sent message with the end of its bot turn, in order."""

    def __init__(self, client: Customer, run: Run) -> None:
        self.c, self.run = client, run
        self.pending: deque[float] = deque()
        self.turn_done = asyncio.Event()
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self.c.ws:
                f = json.loads(raw)
                kind = f.get("type")
                if kind == "typing" and f.get("sender") == "bot" and not f.get("on") and self.pending:
                    self.run.latencies_ms.append((time.perf_counter() - self.pending.popleft()) * 1000)
                    self.turn_done.set()
                elif kind == "state" and f.get("state") == "queued":
                    self.run.escalated += 1
                elif kind == "message" and f.get("event") == "bot_unavailable":
                    self.run.errors += 1
        except Exception:  # noqa: BLE001 - a dropped socket shows up as unanswered turns
            return

    async def send(self, i: int) -> None:
        self.turn_done.clear()
        self.pending.append(time.perf_counter())
        self.run.sent += 1
        await self.c.send(type="message", client_id=uuid.uuid4().hex, text=_text(i))

    async def close(self) -> None:
        self.reader.cancel()
        await self.c.close()


class _SioConversation:
    """One socket.io customer on the websocket transport, as rasa-webchat ends up after its upgrade: the
    packets are python-engineio's and python-socketio's own codecs (their asyncio client's websocket needs
    aiohttp >= 3.10, and Rasa 3.6 pins 3.9). A turn ends at the gateway's `tandem_typing` off, the point
    where the native socket's turn ends; the bot's `bot_uttered` events arrive just before it."""

    def __init__(self, ws: Any, run: Run) -> None:
        self.ws, self.run = ws, run
        self.pending: deque[float] = deque()
        self.turn_done = asyncio.Event()
        self.confirmed = asyncio.Event()
        self.reader = asyncio.ensure_future(self._read())

    @classmethod
    async def connect(cls, url: str, run: Run) -> _SioConversation:
        ws = await websockets.connect(  # type: ignore[attr-defined]
            url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket", max_size=2**20)
        await ws.recv()  # Engine.IO "open"
        conv = cls(ws, run)
        await ws.send(eio_packet.Packet(eio_packet.MESSAGE, sio_packet.Packet(sio_packet.CONNECT).encode()).encode())
        await conv.emit("session_request", {"session_id": None})
        await asyncio.wait_for(conv.confirmed.wait(), 30)
        return conv

    async def emit(self, event: str, data: Any) -> None:
        body = sio_packet.Packet(sio_packet.EVENT, data=[event, data]).encode()
        await self.ws.send(eio_packet.Packet(eio_packet.MESSAGE, body).encode())

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                pkt = eio_packet.Packet(encoded_packet=raw)
                if pkt.packet_type == eio_packet.PING:
                    await self.ws.send(eio_packet.Packet(eio_packet.PONG).encode())
                    continue
                if pkt.packet_type != eio_packet.MESSAGE:
                    continue
                msg = sio_packet.Packet(encoded_packet=pkt.data)
                if msg.packet_type != sio_packet.EVENT:
                    continue
                event = msg.data[0]
                data: dict[str, Any] = msg.data[1] if len(msg.data) > 1 and isinstance(msg.data[1], dict) else {}
                if event == "session_confirm":
                    self.confirmed.set()
                elif event == "tandem_typing" and not data.get("on") and self.pending:
                    self.run.latencies_ms.append((time.perf_counter() - self.pending.popleft()) * 1000)
                    self.turn_done.set()
                elif event == "bot_uttered" and "queue" in str(data.get("text", "")):
                    self.run.escalated += 1
                elif event == "bot_uttered" and any(r.get("payload") == "/tandem_request_human"
                                                    for r in data.get("quick_replies") or []):
                    self.run.errors += 1  # the bot_unavailable notice offers a person
        except Exception:  # noqa: BLE001 - a dropped socket shows up as unanswered turns
            return

    async def send(self, i: int) -> None:
        self.turn_done.clear()
        self.pending.append(time.perf_counter())
        self.run.sent += 1
        await self.emit("user_uttered", {"message": _text(i), "session_id": None})

    async def close(self) -> None:
        self.reader.cancel()
        await self.ws.close()


async def _schedule(conversations: int, send: Callable[[int, int], Awaitable[None]], interval: float,
                    duration: float, closed: Callable[[int], Awaitable[None]] | None) -> None:
    """Open loop: conversation k sends every `interval` s from a random phase. Closed loop (`closed` set):
    each sends its next message THINK_S after the previous turn is answered (on both channels alike: the
    customer socket allows 5 frames/s per connection, and no person types faster than that)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + duration

    async def one(k: int) -> None:
        i = k
        if closed is None:
            next_at = loop.time() + random.uniform(0, interval)
            while next_at < end:
                await asyncio.sleep(max(0.0, next_at - loop.time()))
                await send(k, i)
                i += 1
                next_at += interval
        else:
            while loop.time() < end:
                await send(k, i)
                await closed(k)
                await asyncio.sleep(THINK_S)
                i += 1

    await asyncio.gather(*(one(k) for k in range(conversations)))


async def _drive(convs: Sequence[_WsConversation | _SioConversation], run: Run, duration: float, interval: float,
                 closed_loop: bool, drain_s: float) -> None:
    """Send on the schedule (closed loop: each waits for its answer), drain the pending turns, close: the same
    for every streaming channel, so ws and socket.io are measured alike."""

    async def send(k: int, i: int) -> None:
        await convs[k].send(i)

    async def answered(k: int) -> None:
        try:
            await asyncio.wait_for(convs[k].turn_done.wait(), drain_s)
        except asyncio.TimeoutError:
            pass

    started = time.perf_counter()
    await _schedule(len(convs), send, interval, duration, answered if closed_loop else None)
    deadline = time.perf_counter() + drain_s
    while any(c.pending for c in convs) and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    run.duration_s = time.perf_counter() - started
    await asyncio.gather(*(c.close() for c in convs), return_exceptions=True)


async def ws_run(urls: Sequence[str], conversations: int, duration: float, interval: float = 5.0,
                 closed_loop: bool = False, drain_s: float = 35.0, on_ready: Hook = None) -> Run:
    run = Run()
    clients = await asyncio.gather(*(Customer.connect(urls[k % len(urls)]) for k in range(conversations)))
    convs = [_WsConversation(c, run) for c in clients]
    if on_ready:
        await on_ready()
    await _drive(convs, run, duration, interval, closed_loop, drain_s)
    OPEN.clear()
    return run


async def sio_run(urls: Sequence[str], conversations: int, duration: float, interval: float = 5.0,
                  closed_loop: bool = False, drain_s: float = 35.0) -> Run:
    """As ws_run, on the socket.io channel."""
    run = Run()
    convs = await asyncio.gather(*(_SioConversation.connect(urls[k % len(urls)], run)
                                   for k in range(conversations)))
    await _drive(convs, run, duration, interval, closed_loop, drain_s)
    return run


async def rest_run(urls: Sequence[str], conversations: int, duration: float, interval: float = 5.0,
                   closed_loop: bool = False, timeout_s: float = 35.0) -> Run:
    run = Run()
    senders = [f"bench-{uuid.uuid4().hex[:12]}" for _ in range(conversations)]
    tasks: list[asyncio.Task[None]] = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=timeout_s)) as http:
        async def post(k: int, i: int) -> None:
            run.sent += 1
            started = time.perf_counter()
            try:
                async with http.post(urls[k % len(urls)] + "/webhooks/rest/webhook",
                                     json={"sender": senders[k], "message": _text(i)}) as resp:
                    body = await resp.json()
                    if resp.status != 200 or not body:
                        run.errors += 1
                        return
            except (aiohttp.ClientError, asyncio.TimeoutError):
                run.errors += 1
                return
            run.latencies_ms.append((time.perf_counter() - started) * 1000)

        async def send(k: int, i: int) -> None:
            if closed_loop:
                await post(k, i)
            else:
                tasks.append(asyncio.ensure_future(post(k, i)))

        async def nothing(k: int) -> None:
            return None

        started = time.perf_counter()
        await _schedule(conversations, send, interval, duration, nothing if closed_loop else None)
        if tasks:
            await asyncio.gather(*tasks)
        run.duration_s = time.perf_counter() - started
    return run


def merged(runs: Sequence[Run]) -> Run:
    """Several runs of one channel counted as one."""
    out = Run()
    for r in runs:
        out.latencies_ms += r.latencies_ms
        out.sent, out.errors = out.sent + r.sent, out.errors + r.errors
        out.escalated, out.duration_s = out.escalated + r.escalated, out.duration_s + r.duration_s
        out.cpu_s += r.cpu_s
    return out


RUNNERS = {"ws": lambda *a, **k: ws_run(*a, **k), "rest": lambda *a, **k: rest_run(*a, **k),
           "sio": lambda *a, **k: sio_run(*a, **k)}


async def alternating(urls: Sequence[str], conversations: int, duration: float, rounds: int,
                      closed_loop: bool = False, cpu: Callable[[], float] | None = None,
                      channels: Sequence[str] = ("ws", "rest", "sio")) -> dict[str, Run]:
    """Each channel's run, measured in `rounds` slices that take turns (the order rotates every round), so
    the machine's drift during the measurement falls on every channel alike; each slice is a fresh
    conversation, as short as real ones. `cpu`: the gateway's CPU seconds so far, read around each slice."""
    slices: dict[str, list[Run]] = {c: [] for c in channels}
    for k in range(rounds):
        for channel in list(channels[k % len(channels):]) + list(channels[:k % len(channels)]):
            before = cpu() if cpu else 0.0
            run = await RUNNERS[channel](urls, conversations, duration / rounds, closed_loop=closed_loop)
            run.cpu_s = cpu() - before if cpu else 0.0
            slices[channel].append(run)
    return {c: merged(runs) for c, runs in slices.items()}


async def settle(url: str, quiet_ms: float = 1000.0, cap_s: float = 150.0) -> float:
    """Wait until a REST turn answers within `quiet_ms` (the backlog of an overload run is gone)."""
    started = time.perf_counter()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        while time.perf_counter() - started < cap_s:
            t0 = time.perf_counter()
            try:
                async with http.post(url + "/webhooks/rest/webhook",
                                     json={"sender": "bench-probe", "message": MESSAGES[0]}) as resp:
                    await resp.read()
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass
            if (time.perf_counter() - t0) * 1000 < quiet_ms:
                break
            await asyncio.sleep(1.0)
    return time.perf_counter() - started


async def handoff_run(url: str, n: int, typed: bool) -> Run:
    """Customer's triggering frame → the online agent's `escalation` frame. `typed`: a message asking for a
    person (NLU + escalation policy + queue); else the "talk to a person" button (`request_human`)."""
    run = Run()
    agent = await Agent.connect(url, "sam")
    await agent.do("presence", status="online")
    await agent.expect("presence")
    started = time.perf_counter()
    for _ in range(n):
        c = await Customer.connect(url)
        if typed:
            await c.say(MESSAGES[1])  # one routine turn first, as a real conversation has
            await c.expect("typing", sender="bot", on=False, timeout=60)
        agent.pending.clear()
        t0 = time.perf_counter()
        run.sent += 1
        if typed:
            await c.send(type="message", client_id=uuid.uuid4().hex, text=HANDOFF_TEXT)
        else:
            await c.send(type="request_human")
        try:
            while True:
                f = await agent.expect("escalation", timeout=60)
                if f["item"]["conversation_id"] == c.cid:
                    run.latencies_ms.append((time.perf_counter() - t0) * 1000)
                    break
        except AssertionError:
            run.errors += 1
        await agent.do("close", conversation_id=c.cid, resolution="duplicate")
        await asyncio.sleep(0.25)  # the agent socket's rate limit is 5 frames/s
        await c.close()
    run.duration_s = time.perf_counter() - started
    await agent.close()
    OPEN.clear()
    return run


@dataclass
class SocketRun:
    reached: int
    cap: int
    rss_before_kib: int
    rss_after_kib: int
    stopped_by: str

    @property
    def bytes_per_socket(self) -> float:
        return (self.rss_after_kib - self.rss_before_kib) * 1024 / self.reached if self.reached else float("nan")


async def idle_sockets(url: str, pid: int, cap: int, rss: Callable[[int], int], batch: int = 100,
                       time_cap_s: float = 120.0) -> SocketRun:
    """Open customer sockets (each with a `hello`, i.e. a conversation) in batches until `cap`, a failure
    or `time_cap_s`."""
    await asyncio.sleep(1.0)
    before = rss(pid)
    opened: list[Customer] = []
    stopped_by = "cap"
    deadline = time.perf_counter() + time_cap_s
    while len(opened) < cap:
        if time.perf_counter() > deadline:
            stopped_by = f"time cap of {time_cap_s:.0f} s"
            break
        size = min(batch, cap - len(opened))
        results = await asyncio.gather(*(Customer.connect(url) for _ in range(size)), return_exceptions=True)
        good = [r for r in results if isinstance(r, Customer)]
        opened.extend(good)
        bad = [r for r in results if not isinstance(r, Customer)]
        if bad:
            stopped_by = f"{type(bad[0]).__name__} after {len(opened)} sockets"
            break
    await asyncio.sleep(3.0)
    after = rss(pid)
    alive = sum(1 for c in opened if c.ws.open)
    result = SocketRun(alive, cap, before, after, stopped_by)
    for i in range(0, len(opened), 500):
        await asyncio.gather(*(c.close() for c in opened[i:i + 500]), return_exceptions=True)
    OPEN.clear()
    return result
