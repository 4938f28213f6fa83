"""Faults with real processes: a gateway killed with SIGKILL mid-conversation, Redis killed and restarted
from its append-only file, the bot missing, an agent whose console vanished. Nothing acknowledged is lost,
nothing is stored twice, nobody is left in silence."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from websockets.exceptions import ConnectionClosed

from handoff.accounts.auth import Accounts
from handoff.admin.inbox import Inbox
from handoff.assistant.bot_bridge import BotBridge
from handoff.core.clock import now_ms
from handoff.gateway.desk import Desk
from handoff.settings import Settings
from handoff.storage import keys
from handoff.storage import store as store_mod
from handoff.storage.accounts import AccountRecords
from handoff.storage.inbox import InboxRecords
from tests.gateway import LiveGateway, seed_accounts, start_gateway
from tests.handoff.clients import BOT_WAIT, WAIT, Agent, Customer, claimed
from tests.reliability.conftest import GATEWAY_LOGS, kill9, start_bare
from tests.support import TIME_SCALE, free_port, start_redis, stop


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[tuple[int, Path, list]]:
    """A Redis of this test alone (AOF, fsync always) that the test may kill and restart: (port, dir, [proc])."""
    directory = tmp_path / "redis"
    proc, port = start_redis(directory)
    procs = [proc]
    try:
        yield port, directory, procs
    finally:
        for p in procs:
            stop(p)


def assert_whole_and_unique(transcript: list[dict], client_ids: list[str]) -> None:
    seqs = [m["seq"] for m in transcript]
    assert seqs == sorted(set(seqs)), f"seqs out of order or repeated: {seqs}"
    stored = [m["client_id"] for m in transcript if m.get("client_id")]
    for cid in client_ids:
        assert stored.count(cid) == 1, f"{cid} stored {stored.count(cid)} times"


async def test_gateway_killed_mid_conversation_loses_and_duplicates_nothing(
    private_redis: tuple[int, Path, list], tmp_path: Path
) -> None:
    port, _, _ = private_redis
    url = f"redis://127.0.0.1:{port}/0"
    await asyncio.to_thread(seed_accounts, url)
    gw_a, gw_b = await asyncio.gather(
        asyncio.to_thread(start_bare, url, tmp_path, "gw-kill-a"),
        asyncio.to_thread(start_bare, url, tmp_path, "gw-kill-b"),
    )
    try:
        agent = await Agent.connect(gw_b, "sam")
        customer = await claimed(gw_a, agent)
        sent = [(await customer.say(f"customer line {i}"))["client_id"] for i in range(3)]
        replies = [(await agent.reply(customer.cid, f"agent line {i}"))["client_id"] for i in range(2)]
        for r in replies:
            await customer.expect("message", client_id=r)
        have = max(m["seq"] for m in customer.messages())
        # In flight when the instance dies: maybe stored, never acknowledged to the customer.
        in_flight = uuid.uuid4().hex
        await customer.send(type="message", client_id=in_flight, text="are you still there?")
        kill9(gw_a.proc)
        with pytest.raises(ConnectionClosed):
            while True:
                await customer.recv(WAIT)
        late_reply = (await agent.reply(customer.cid, "I am here"))["client_id"]  # while the customer is away

        back = await Customer.connect(gw_b, conversation_id=customer.cid, token=customer.token, last_seq=have)
        assert back.welcome["resumed"] and back.welcome["state"] == "agent"
        ack = await back.say("are you still there?", client_id=in_flight)  # the widget resends unacked frames
        missed = [m for m in back.messages() if m["seq"] > have]
        assert [m["client_id"] for m in missed if m.get("client_id")].count(late_reply) == 1
        assert ack["seq"] > have

        await agent.do("open", conversation_id=customer.cid)
        transcript = (await agent.expect("transcript"))["transcript"]
        assert_whole_and_unique(transcript, sent + replies + [in_flight, late_reply])
        full = await Customer.connect(gw_b, conversation_id=customer.cid, token=customer.token, last_seq=0)
        await full.send(type="ping")
        await full.expect("pong")
        assert_whole_and_unique(full.messages(), sent + replies + [in_flight, late_reply])
        await agent.do("close", conversation_id=customer.cid, resolution="resolved")
        await agent.expect("state", state="closed")
    finally:
        stop(gw_b.proc)
        if gw_a.proc.poll() is None:
            stop(gw_a.proc)


@pytest.fixture
def black_hole() -> Iterator[str]:
    """An action server that accepts connections and never answers: a bot turn hangs in flight."""
    import socket

    listener = socket.create_server(("127.0.0.1", 0), backlog=64)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/webhook"
    finally:
        listener.close()


async def test_a_bot_turn_that_died_with_its_instance_is_answered_by_another(
    private_redis: tuple[int, Path, list], tmp_path: Path, reduced_model: Path, action_server_url: str,
    black_hole: str,
) -> None:
    port, _, _ = private_redis
    url = f"redis://127.0.0.1:{port}/0"
    quick = {"BOT_TIMEOUT_S": str(4 * TIME_SCALE)}  # the orphan is re-run 4 s + ORPHAN_GRACE_S after the ack
    gw_a, gw_b = await asyncio.gather(
        asyncio.to_thread(start_gateway, url, reduced_model, black_hole, tmp_path, "gw-turn-a", quick),
        asyncio.to_thread(start_gateway, url, reduced_model, action_server_url, tmp_path, "gw-turn-b", quick),
    )
    GATEWAY_LOGS.extend([gw_a.log_path, gw_b.log_path])
    try:
        customer = await Customer.connect(gw_a)
        ack = await customer.say("How do I change my PIN?")  # stored and acknowledged by A ...
        await customer.expect("typing", sender="bot", on=True)  # ... whose turn now waits on its actions
        kill9(gw_a.proc)
        raw = aioredis.from_url(url, decode_responses=True)
        try:
            assert await raw.hget(keys.conv(customer.cid), "turn_seq") == str(ack["seq"])
            back = await Customer.connect(gw_b, conversation_id=customer.cid, token=customer.token,
                                          last_seq=ack["seq"])
            answer = await back.expect("message", sender="bot", timeout=BOT_WAIT + 10 * TIME_SCALE)
            assert answer["seq"] > ack["seq"] and "PIN" in answer["text"]
            await back.expect("typing", sender="bot", on=False, timeout=BOT_WAIT)
            assert await raw.hget(keys.conv(customer.cid), "turn_seq") is None  # nothing left to re-run

            # Coming back once more changes nothing: one answer, the question stored once.
            again = await Customer.connect(gw_b, conversation_id=customer.cid, token=customer.token, last_seq=0)
            await asyncio.sleep(1)
            await again.send(type="ping")
            await again.expect("pong")
            texts = [(m["sender"], m.get("text")) for m in again.messages()]
            assert texts.count(("customer", "How do I change my PIN?")) == 1
            assert sum(1 for sender, _ in texts if sender == "bot") == 1, texts
        finally:
            await raw.close()
    finally:
        stop(gw_b.proc)
        if gw_a.proc.poll() is None:
            stop(gw_a.proc)


async def test_redis_killed_and_restarted_from_aof_keeps_every_acknowledged_message(
    private_redis: tuple[int, Path, list], tmp_path: Path
) -> None:
    port, directory, procs = private_redis
    url = f"redis://127.0.0.1:{port}/0"
    await asyncio.to_thread(seed_accounts, url)
    gw = await asyncio.to_thread(start_bare, url, tmp_path, "gw-aof")
    try:
        customer = await Customer.connect(gw)
        acked = [await customer.say(f"line {i}") for i in range(5)]
        kill9(procs.pop())  # no shutdown save: only the append-only file survives
        procs.append(start_redis(directory, port)[0])

        client_ids = [a["client_id"] for a in acked]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30 * TIME_SCALE
        while True:  # the gateway reconnects to Redis on its own; the widget retries with back-off
            try:
                back = await Customer.connect(
                    gw, conversation_id=customer.cid, token=customer.token, last_seq=0
                )
                more = await back.say("after the restart")
                break
            except (AssertionError, ConnectionClosed, OSError, asyncio.TimeoutError):
                if loop.time() > deadline:
                    raise
                await asyncio.sleep(1)
        # Live delivery (pub/sub) is back too: the answer to the new message reaches the socket.
        await back.expect("message", sender="system", after_seq=more["seq"])
        client = await store_mod.connect(url)
        try:
            log = await store_mod.Store(client, 3600).read_log(customer.cid, after_seq=0, count=1000)
        finally:
            await client.close()
        assert_whole_and_unique(log, client_ids + [more["client_id"]])
        assert {m["seq"] for m in log if m.get("client_id") in client_ids} == {a["seq"] for a in acked}
    finally:
        stop(gw.proc)


@pytest.fixture(scope="module")
def gateway_without_actions(
    redis_url: str, reduced_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    """The real reduced model, but the action server it is configured with is not running."""
    url = redis_url.rsplit("/", 1)[0] + "/13"  # a database of its own (see RELIABILITY_DB)
    gw = start_gateway(
        url,
        reduced_model,
        f"http://127.0.0.1:{free_port()}/webhook",
        tmp_path_factory.mktemp("gateway-no-actions"),
        "gw-no-actions",
    )
    GATEWAY_LOGS.append(gw.log_path)
    try:
        yield gw
    finally:
        stop(gw.proc)


async def test_action_server_down_the_customer_is_told_and_offered_a_person(
    gateway_without_actions: str,
) -> None:
    """Greeting and the card-loss flow run custom actions (action_greet, action_ask_card_loss_form_…): with
    the action server down every message still gets an answer, and a person is offered, never silence."""
    customer = await Customer.connect(gateway_without_actions)
    offered = False
    for text in ("hi", "I lost my debit card"):
        ack = await customer.say(text)
        reply = await customer.expect("message", BOT_WAIT, after_seq=ack["seq"])
        await customer.expect("typing", BOT_WAIT, sender="bot", on=False)
        print(f"{text!r} -> {reply}")
        assert reply["sender"] in ("bot", "system") and reply["text"]
        offered |= any(a["id"] == "request_human" for a in reply.get("actions", [])) or any(
            b["payload"] == "/request_human" for b in reply.get("buttons", [])
        )
    assert offered, "the customer was never offered a person"
    await customer.send(type="request_human")
    await customer.expect("state", state="queued")


async def test_an_agent_whose_console_vanished_loses_the_chat_to_the_queue_after_the_grace(
    rel_gateway,
) -> None:  # type: ignore[no-untyped-def]
    agent = await Agent.connect(rel_gateway, "alex")
    customer = await claimed(rel_gateway, agent)
    await agent.ws.close()  # the browser tab is gone

    client = await store_mod.connect(rel_gateway.redis_url)
    store = store_mod.Store(client, 3600)
    desk = Desk(
        Settings(redis_url=rel_gateway.redis_url, load_bot=False),
        store,
        Accounts(AccountRecords(client)),
        BotBridge(lambda: None, 1.0),
        Inbox(InboxRecords(client)),
    )
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        while "alex" in await store.connected_agents():  # the gateway notices the closed socket
            assert loop.time() < deadline, "the closed agent socket is still counted as connected"
            await asyncio.sleep(0.2)
        assert await desk.requeue_orphans(120_000) == 0  # a reload within the grace keeps the chat
        await client.hset(keys.PRESENCE_SEEN, "alex", now_ms() - 121_000)  # two minutes later…
        assert await desk.requeue_orphans(120_000) == 1
    finally:
        await client.close()
    notice = await customer.expect("message", sender="system", event="requeued")
    assert notice["text"]
    await customer.expect("state", state="queued")
    r = aioredis.from_url(rel_gateway.redis_url, decode_responses=True)
    try:
        assert await r.zscore(keys.QUEUE, customer.cid) is not None
    finally:
        await r.close()


async def test_a_client_that_stops_reading_slows_nobody_else(rel_gateway) -> None:  # type: ignore[no-untyped-def]
    """A phone in a tunnel: its socket stops reading in the middle of a ~5 MB replay. The gateway's writes to
    it back up, but the other tab of the same conversation and other customers are served as usual."""
    import websockets

    fast = await Customer.connect(rel_gateway)
    client = await store_mod.connect(rel_gateway.redis_url)
    try:
        store = store_mod.Store(client, 3600)
        for i in range(2500):
            await store.append(fast.cid, {"sender": "bot", "text": f"{i} " + "x" * 1900})
    finally:
        await client.close()
    slow = await websockets.connect(rel_gateway.replace("http", "ws", 1) + "/ws/customer", max_size=2**22)
    try:
        await slow.send(
            json.dumps({"type": "hello", "conversation_id": fast.cid, "token": fast.token, "last_seq": 0})
        )
        slow.transport.pause_reading()  # never reads the replay
        await asyncio.sleep(1)
        other = await Customer.connect(rel_gateway)
        await other.send(type="ping")
        await other.expect("pong")
        ack = await fast.say("is anyone there?")
        await fast.expect("message", sender="system", after_seq=ack["seq"])
    finally:
        slow.transport.abort()
