"""Agent assist against a real Redis and the real MiniLM encoder (handoff/assist/service.py): good chats
feed the index, similar messages get their replies as drafts, nothing personal comes out, proposals land in
the NLU inbox."""
from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from handoff.admin.inbox import Inbox
from handoff.assist.drafts import BOT_ANSWER, PAST_REPLY
from handoff.assist.service import Assist
from handoff.core.protocol import State
from handoff.storage import keys
from handoff.storage.assist_index import AssistRecords
from handoff.storage.inbox import InboxRecords
from handoff.storage.store import Store

ROOT = Path(__file__).resolve().parents[3]
CARD = re.compile(r"\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
PHONE = re.compile(r"0\d{4} ?\d{6}|\+44")




@pytest.fixture
async def assist(redis, store: Store) -> Assist:  # type: ignore[no-untyped-def]
    a = Assist(AssistRecords(redis, 3600), store, Inbox(InboxRecords(redis)), ROOT)
    await a.start()
    assert await a.ready()
    yield a
    a.stop()


async def chat(store: Store, lines: list[tuple[str, str]], customer: dict | None = None, **fields: object) -> str:
    cid, _ = await store.create_conversation(customer or {"name": "Ana Jones"}, None)
    for sender, text in lines:
        msg = {"sender": sender, "text": text}
        if sender == "agent":
            msg |= {"agent": "alice", "agent_name": "Alice Smith"}
        await store.append(cid, msg)
    if fields:
        await store.update_fields(cid, {k: str(v) for k, v in fields.items()})
    return cid


LEAKY = [("customer", "My new card never came, I'm ana.jones@example.com, card 4111 1111 1111 1111"),
         ("agent", ("So sorry Ana Jones. I've cancelled 4111 1111 1111 1111 and sent a new card; we'll email "
                   "ana.jones@example.com and call 07700 900123 when it ships."))]


async def test_a_resolved_chat_teaches_drafts_that_carry_no_card_email_or_phone(assist: Assist, store: Store) -> None:
    good = await chat(store, LEAKY, resolution="resolved")
    assert await assist.on_closed(good) == 1
    assert await assist.on_closed(good) == 0  # a second close (or the rating) adds nothing
    cid = await chat(store, [("customer", "my new card has still not arrived, it's been weeks")],
                     {"name": "Bo Lee"}, state=State.AGENT.value, agent="alice")
    view = await assist.view(cid)
    past = [d for d in view["drafts"] if d["kind"] == PAST_REPLY]
    assert past and past[0]["similarity"] >= 0.5
    everything = json.dumps(view)
    assert not CARD.search(everything) and not EMAIL.search(everything) and not PHONE.search(everything)
    assert "Jones" not in everything and "[CARD]" in past[0]["text"]


async def test_a_chat_that_ended_badly_teaches_nothing(assist: Assist, store: Store) -> None:
    bad = await chat(store, LEAKY, resolution="unresolved", rating=2)
    assert await assist.on_closed(bad) == 0


async def test_an_agent_mode_message_gets_the_bot_answer_for_its_parse_pushed_to_the_agents(
        assist: Assist, store: Store, redis) -> None:  # type: ignore[no-untyped-def]
    cid = await chat(store, [("customer", "where is my card")], state=State.AGENT.value, agent="alice")
    pubsub = redis.pubsub()
    await pubsub.subscribe(keys.ch_conv(cid))
    parse = asyncio.get_running_loop().create_future()
    parse.set_result({"intent": {"name": "card_arrival", "confidence": 0.9},
                      "intent_ranking": [{"name": "card_arrival", "confidence": 0.9}],
                      "entities": [{"entity": "DATE", "value": "Monday"}]})
    await assist.on_agent_message(cid, 1, "where is my card", parse)
    event = None
    for _ in range(50):
        m = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
        if m:
            event = json.loads(m["data"])
            break
    await pubsub.close()
    assert event is not None and event["kind"] == "suggestions" and event["seq"] == 1
    bot = [d for d in event["drafts"] if d["kind"] == BOT_ANSWER]
    assert bot[0]["intent"] == "card_arrival" and bot[0]["confidence"] == 0.9
    assert bot[0]["text"] in assist.answers()["card_arrival"]
    summary = (await assist.view(cid))["summary"]
    assert summary["asked"][0]["entities"] == [{"entity": "DATE", "value": "Monday"}]


async def test_a_proposal_lands_in_the_nlu_inbox_with_the_agents_intent(assist: Assist, store: Store) -> None:
    cid = await chat(store, [("customer", "how long till my card turns up"), ("agent", "Usually 3-5 working days.")],
                     state=State.AGENT.value, agent="alice")
    user = {"username": "alice", "display_name": "Alice Smith", "role": "agent"}
    iid = await assist.propose(user, {"conversation_id": cid, "seq": 2, "kind": "answer", "intent": "card_arrival"},
                               ["card_arrival"])
    item = await assist.inbox.get(iid)
    assert item is not None and "agent_proposal" in item["reasons"]
    assert item["suggested"] == "card_arrival" and item["suggested_by"] == "alice"
    assert item["text"] == "how long till my card turns up"
    details = await assist.records.proposal(iid)
    assert details["kind"] == "answer" and details["reply"] == "Usually 3-5 working days."
    assert (await assist.counts())["proposed"] == 1


async def test_only_the_agent_who_sent_a_reply_can_propose_it(assist: Assist, store: Store) -> None:
    from handoff.core import errors

    cid = await chat(store, [("customer", "card?"), ("agent", "On its way.")])
    bob = {"username": "bob", "display_name": "Bob", "role": "agent"}
    with pytest.raises(errors.Forbidden):
        await assist.propose(bob, {"conversation_id": cid, "seq": 2, "kind": "example", "intent": "card_arrival"},
                             ["card_arrival"])
    with pytest.raises(errors.InvalidFrame):
        await assist.propose(bob, {"conversation_id": cid, "seq": 2, "kind": "poem", "intent": "card_arrival"},
                             ["card_arrival"])


async def test_past_replies_go_out_before_a_slow_parse_and_the_full_set_follows(
        assist: Assist, store: Store, redis) -> None:  # type: ignore[no-untyped-def]
    good = await chat(store, [("customer", "my new card never came"), ("agent", "Sorry, I've sent a new one today.")],
                      resolution="resolved")
    assert await assist.on_closed(good) == 1
    cid = await chat(store, [("customer", "my new card still hasn't come")], state=State.AGENT.value, agent="alice")
    pubsub = redis.pubsub()
    await pubsub.subscribe(keys.ch_conv(cid))
    parse = asyncio.get_running_loop().create_future()  # the NLU worker is still busy with it
    job = asyncio.ensure_future(assist.on_agent_message(cid, 1, "my new card still hasn't come", parse))

    async def next_event() -> dict:
        for _ in range(100):
            m = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
            if m:
                return json.loads(m["data"])
        raise AssertionError("no suggestions event")

    first = await next_event()
    assert first["partial"] is True and [d["kind"] for d in first["drafts"]] == [PAST_REPLY]
    parse.set_result({"intent": {"name": "card_arrival", "confidence": 0.8},
                      "intent_ranking": [{"name": "card_arrival", "confidence": 0.8}]})
    await job
    full = await next_event()
    await pubsub.close()
    assert "partial" not in full and [d["kind"] for d in full["drafts"]] == [BOT_ANSWER, PAST_REPLY]
    assert (await assist.view(cid))["drafts"] == full["drafts"]  # what a reopened console gets
