"""handoff.storage.store against a real Redis: transcripts, idempotency, atomic transitions, the queue, presence."""
from __future__ import annotations

import asyncio
import json

import pytest

from handoff.accounts.auth import Accounts
from handoff.core import conversation as sm
from handoff.core import errors
from handoff.core.clock import now_ms
from handoff.core.conversation import Snapshot
from handoff.core.protocol import State
from handoff.storage import keys
from handoff.storage.store import Store


async def queued(store: Store, priority: float = 0.5, at: int | None = None) -> str:
    cid, _ = await store.create_conversation({"name": "Ada"}, "en")
    t = sm.escalate(Snapshot(State.BOT), {"kind": "explicit"}, priority, at if at is not None else now_ms())
    t.fields["reason"] = json.dumps({"kind": "explicit"})
    await store.apply(cid, t, {"state": "queued"})
    return cid


async def test_messages_get_increasing_seqs_and_read_back_in_order(store: Store) -> None:
    cid, _ = await store.create_conversation({}, None)
    seqs = [(await store.append(cid, {"sender": "customer", "text": f"m{i}"}))[0] for i in range(5)]
    assert seqs == [1, 2, 3, 4, 5]
    log = await store.read_log(cid, after_seq=2)
    assert [m["seq"] for m in log] == [3, 4, 5] and log[0]["text"] == "m2"


async def test_same_client_id_is_stored_once_and_acked_with_the_same_seq(store: Store) -> None:
    cid, _ = await store.create_conversation({}, None)
    first = await store.append(cid, {"sender": "customer", "text": "hi", "client_id": "x"}, dedupe="c:x")
    again = await store.append(cid, {"sender": "customer", "text": "hi", "client_id": "x"}, dedupe="c:x")
    assert first[:2] == (1, False) and again[:2] == (1, True)
    assert len(await store.read_log(cid)) == 1


async def test_concurrent_retries_of_one_message_store_it_once(store: Store) -> None:
    cid, _ = await store.create_conversation({}, None)
    results = await asyncio.gather(*[store.append(cid, {"sender": "customer", "text": "t"}, dedupe="c:same")
                                     for _ in range(20)])
    assert {r[0] for r in results} == {1}
    assert sum(1 for r in results if not r[1]) == 1
    assert len(await store.read_log(cid)) == 1


async def test_token_is_checked_and_only_its_hash_is_stored(store: Store, redis) -> None:  # type: ignore[no-untyped-def]
    cid, token = await store.create_conversation({}, None)
    assert token not in json.dumps(await redis.hgetall(keys.conv(cid)))
    assert (await store.authenticate(cid, token))["conversation_id"] == cid
    with pytest.raises(errors.Unauthorized):
        await store.authenticate(cid, token + "x")
    with pytest.raises(errors.NotFound):
        await store.authenticate("0" * 32, token)


async def test_append_respects_required_state_and_owner(store: Store) -> None:
    cid, _ = await store.create_conversation({}, None)
    with pytest.raises(errors.BadState):
        await store.append(cid, {"sender": "agent", "text": "x"}, states=(State.AGENT,), agent="sam")
    with pytest.raises(errors.NotFound):
        await store.append("f" * 32, {"sender": "customer", "text": "x"})


async def test_twenty_agents_claiming_one_conversation_exactly_one_wins(store: Store, accounts: Accounts) -> None:
    names = [f"agent{i:02d}" for i in range(20)]
    await asyncio.gather(*[accounts.create(n, n.title(), "agent", 3, "password-12345") for n in names])
    cid = await queued(store)
    snap = Snapshot(State.QUEUED)

    async def claim(name: str) -> str:
        try:
            await store.apply(cid, sm.claim(snap, name, name.title()), {"state": "agent", "agent": name})
            return "won"
        except errors.Conflict:
            return "conflict"

    outcomes = await asyncio.gather(*[claim(n) for n in names])
    assert outcomes.count("won") == 1 and outcomes.count("conflict") == 19
    winner = names[outcomes.index("won")]
    conv = await store.get(cid)
    assert conv is not None and conv["state"] is State.AGENT and conv["agent"] == winner
    owners = [n for n in names if cid in await store.r.smembers(keys.agent_convs(n))]
    assert owners == [winner]
    assert await store.queue_position(cid) is None
    notes = [m for m in await store.read_log(cid) if m.get("event") == "claimed"]
    assert len(notes) == 1


async def test_claim_is_refused_over_capacity(store: Store, accounts: Accounts) -> None:
    await accounts.create("solo", "Solo", "agent", 1, "password-12345")
    first, second = await queued(store), await queued(store)
    await store.apply(first, sm.claim(Snapshot(State.QUEUED), "solo", "Solo"), {"state": "agent"})
    with pytest.raises(errors.OverCapacity):
        await store.apply(second, sm.claim(Snapshot(State.QUEUED), "solo", "Solo"), {"state": "agent"})
    assert await store.queue_position(second) == 1


async def test_stale_snapshot_cannot_hand_back_someone_elses_chat(store: Store, accounts: Accounts) -> None:
    await accounts.create("sam", "Sam", "agent", 3, "password-12345")
    cid = await queued(store)
    await store.apply(cid, sm.claim(Snapshot(State.QUEUED), "sam", "Sam"), {"state": "agent"})
    forged = sm.handback(Snapshot(State.AGENT, "alex"), "alex")  # alex believes it is theirs
    with pytest.raises(errors.Forbidden):
        await store.apply(cid, forged, {"state": "bot"})
    assert (await store.get(cid))["state"] is State.AGENT  # type: ignore[index]


async def test_transfer_moves_ownership_between_agent_sets(store: Store, accounts: Accounts) -> None:
    for n in ("sam", "alex"):
        await accounts.create(n, n.title(), "agent", 3, "password-12345")
    cid = await queued(store)
    await store.apply(cid, sm.claim(Snapshot(State.QUEUED), "sam", "Sam"), {"state": "agent"})
    await store.apply(cid, sm.transfer(Snapshot(State.AGENT, "sam"), "sam", "alex", "Alex"), {"state": "agent"})
    assert cid not in await store.r.smembers(keys.agent_convs("sam"))
    assert cid in await store.r.smembers(keys.agent_convs("alex"))
    assert (await store.get(cid))["agent_name"] == "Alex"  # type: ignore[index]


async def test_queue_orders_by_priority_and_waiting_time(store: Store) -> None:
    t0 = now_ms()
    old_calm = await queued(store, priority=0.0, at=t0 - 20 * 60_000)
    new_upset = await queued(store, priority=1.0, at=t0)
    new_calm = await queued(store, priority=0.2, at=t0)
    order = [i["conversation_id"] for i in await store.queue_items()]
    assert order == [old_calm, new_upset, new_calm]
    assert [i["position"] for i in await store.queue_items()] == [1, 2, 3]
    assert await store.queue_position(new_calm) == 3


async def test_rating_once_only_after_close(store: Store, accounts: Accounts) -> None:
    await accounts.create("sam", "Sam", "agent", 3, "password-12345")
    cid = await queued(store)
    with pytest.raises(errors.BadState):
        await store.rate(cid, 5, "")
    await store.apply(cid, sm.claim(Snapshot(State.QUEUED), "sam", "Sam"), {"state": "agent"})
    await store.apply(cid, sm.close(Snapshot(State.AGENT, "sam"), "sam", "resolved"), {"state": "closed"})
    assert await store.rate(cid, 4, "kind") == "sam"
    with pytest.raises(errors.Conflict):
        await store.rate(cid, 1, "")


async def test_annotations_merge_into_the_agent_transcript(store: Store) -> None:
    cid, _ = await store.create_conversation({}, None)
    seq, _, _ = await store.append(cid, {"sender": "customer", "text": "angry"})
    await store.annotate(cid, seq, {"emotions": {"anger": 0.9}, "negativity": 0.8, "intent": "complaint"})
    plain, merged = await store.read_log(cid), await store.read_log(cid, with_nlu=True)
    assert "negativity" not in plain[0] and merged[0]["negativity"] == 0.8


async def test_presence_lists_offline_agents_without_a_live_socket(store: Store, accounts: Accounts) -> None:
    for n in ("sam", "alex"):
        await accounts.create(n, n.title(), "agent", 3, "password-12345")
    await store.heartbeat("sam", "conn1")
    await store.set_presence("alex", "away")
    by_name = {a["username"]: a["status"] for a in await store.agents()}
    assert by_name == {"sam": "online", "alex": "offline"}
    await store.drop_connection("sam", "conn1")
    assert await store.online_count() == 0


async def test_every_stored_message_is_published_in_seq_order(store: Store, redis) -> None:  # type: ignore[no-untyped-def]
    cid, _ = await store.create_conversation({}, None)
    pubsub = redis.pubsub()
    await pubsub.subscribe(keys.ch_conv(cid))
    await asyncio.gather(*[store.append(cid, {"sender": "customer", "text": str(i)}) for i in range(10)])
    seen: list[int] = []
    deadline = asyncio.get_running_loop().time() + 5
    while len(seen) < 10 and asyncio.get_running_loop().time() < deadline:
        msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
        if msg is not None:  # None: the subscribe confirmation, or nothing yet
            seen.append(json.loads(msg["data"])["seq"])
    assert seen == sorted(seen) == list(range(1, 11))
    await pubsub.close()


async def _published(pubsub, n: int) -> list[dict]:  # type: ignore[no-untyped-def]
    seen: list[dict] = []
    deadline = asyncio.get_running_loop().time() + 5
    while len(seen) < n and asyncio.get_running_loop().time() < deadline:
        msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
        if msg is not None:
            seen.append(json.loads(msg["data"]))
    return seen


async def test_a_bot_reply_stores_its_messages_and_ends_the_turn_in_one_go(store: Store, redis) -> None:  # type: ignore[no-untyped-def]
    cid, _ = await store.create_conversation({}, None)
    seq, _, _ = await store.append(cid, {"sender": "customer", "text": "card?"}, needs_turn=True)
    assert await redis.hget(keys.conv(cid), "turn_seq") == str(seq)
    pubsub = redis.pubsub()
    await pubsub.subscribe(keys.ch_conv(cid))
    echoed: list[str] = []
    typing_off = {"kind": "typing", "sender": "bot", "on": False}
    stored = await store.reply(cid, seq, [{"sender": "bot", "text": "It's on its way."},
                                          {"sender": "bot", "text": "Anything else?"}],
                               (State.BOT, State.QUEUED), typing_off, echo=lambda ch, raw: echoed.append(raw))
    assert stored == 2
    assert [m["text"] for m in await store.read_log(cid, after_seq=seq)] == ["It's on its way.", "Anything else?"]
    assert await redis.hget(keys.conv(cid), "turn_seq") is None  # the pending-turn marker is gone
    events = await _published(pubsub, 3)
    assert [e["kind"] for e in events] == ["msg", "msg", "typing"] and events[-1] == typing_off
    assert [json.loads(raw) for raw in echoed] == events  # delivered here at once, the same events
    await pubsub.close()


async def test_a_bot_reply_after_a_takeover_stores_nothing_but_still_ends_the_turn(store: Store, accounts: Accounts, redis) -> None:  # type: ignore[no-untyped-def]
    cid, _ = await store.create_conversation({}, None)
    seq, _, _ = await store.append(cid, {"sender": "customer", "text": "card?"}, needs_turn=True)
    t = sm.escalate(Snapshot(State.BOT), {"kind": "explicit"}, 0.5, now_ms())
    await store.apply(cid, t, {"state": "queued"})
    await redis.hset(keys.conv(cid), "state", State.AGENT.value)  # a person has the chat now
    echoed: list[str] = []
    stored = await store.reply(cid, seq, [{"sender": "bot", "text": "too late"}], (State.BOT, State.QUEUED),
                               {"kind": "typing", "sender": "bot", "on": False}, echo=lambda ch, raw: echoed.append(raw))
    assert stored == 0
    assert [m["text"] for m in await store.read_log(cid)] == ["card?"]
    assert await redis.hget(keys.conv(cid), "turn_seq") is None
    assert [json.loads(raw)["kind"] for raw in echoed] == ["typing"]  # "typing" still goes off


async def test_acknowledged_messages_survive_a_redis_crash_and_restart(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The desk's own Redis runs with AOF: kill -9 it right after an append, restart it, nothing is lost."""
    from handoff.storage.store import connect
    from tests.support import start_redis, stop

    proc, port = start_redis(tmp_path)
    client = await connect(f"redis://127.0.0.1:{port}/0")
    s = Store(client)
    cid, token = await s.create_conversation({"name": "Ada"}, None)
    acked = [(await s.append(cid, {"sender": "customer", "text": f"m{i}"}, dedupe=f"c:{i}"))[0] for i in range(20)]
    await client.close()
    proc.kill()  # no shutdown, no final save
    proc.wait()
    proc, _ = start_redis(tmp_path, port)
    try:
        client = await connect(f"redis://127.0.0.1:{port}/0")
        s = Store(client)
        assert (await s.authenticate(cid, token))["seq"] == 20
        assert [m["seq"] for m in await s.read_log(cid)] == acked
        assert (await s.append(cid, {"sender": "customer", "text": "m3"}, dedupe="c:3"))[:2] == (4, True)
        await client.close()
    finally:
        stop(proc)
