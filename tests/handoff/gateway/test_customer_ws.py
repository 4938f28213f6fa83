"""The customer socket against a real gateway process and Redis, without a bot model: what a customer is
told when the assistant is unavailable, queue updates, the call-back offer, rating rules."""
from __future__ import annotations

import asyncio

from handoff.core import errors
from tests.handoff.clients import Agent, Customer, reset_desk


async def test_a_failed_bot_turn_is_never_silent_and_offers_a_person(bare_gateway: str) -> None:
    c = await Customer.connect(bare_gateway)
    ack = await c.say("hello?")
    note = await c.expect("message", sender="system", event="bot_unavailable")
    assert note["seq"] > ack["seq"] and note["actions"] == [{"id": "request_human", "title": "Talk to a person"}]
    assert (await c.expect("typing", sender="bot", on=False))
    await c.send(type="request_human")
    assert (await c.expect("state", state="queued"))["queue_position"] >= 1


async def test_request_human_when_already_queued_just_reports_the_state(bare_gateway: str) -> None:
    c = await Customer.connect(bare_gateway)
    await c.send(type="request_human")
    await c.expect("state", state="queued")
    await c.send(type="request_human")
    again = await c.expect("state", state="queued")
    assert again["queue_position"] >= 1
    await asyncio.sleep(0.3)
    assert len([m for m in c.messages() if m.get("event") in ("queued", "no_agents")]) == 1


async def test_nobody_online_is_said_honestly_with_stay_or_call_back(bare_gateway: str) -> None:
    await reset_desk(bare_gateway.redis_url, bare_gateway)  # type: ignore[attr-defined]
    await asyncio.sleep(0.2)  # agent sockets of earlier tests are gone
    c = await Customer.connect(bare_gateway)
    await c.send(type="request_human")
    state = await c.expect("state", state="queued")
    assert state["agents_online"] == 0
    offer = await c.expect("message", event="no_agents")
    assert [a["id"] for a in offer["actions"]] == ["stay_in_queue", "leave_message"]
    await c.send(type="callback", text="Please call me about my blocked card")
    await c.expect("message", sender="customer", text="Please call me about my blocked card")
    assert "call you back" in (await c.expect("message", event="callback"))["text"]
    await c.expect("state", state="closed")
    assert not [f for f in c.seen if f["type"] == "rating_request"]  # nobody served them: nothing to rate


async def test_callback_is_only_for_queued_conversations(bare_gateway: str) -> None:
    c = await Customer.connect(bare_gateway)
    await c.send(type="callback", text="call me")
    assert (await c.expect("error", frame="callback"))["code"] == errors.BAD_STATE


async def test_agent_sees_the_callback_leave_the_queue(bare_gateway: str) -> None:
    sam = await Agent.connect(bare_gateway, "sam")
    await sam.do("presence", status="away")  # online for the desk, but not answering
    await sam.expect("presence")
    c = await Customer.connect(bare_gateway)
    await c.send(type="request_human")
    await c.expect("state", state="queued")
    await sam.expect("queue")
    await c.send(type="callback", text="call me tomorrow")
    snapshot = await sam.expect("queue")
    while c.cid in [i["conversation_id"] for i in snapshot["items"]]:
        snapshot = await sam.expect("queue")
    await sam.do("presence", status="online")
    await sam.expect("presence", status="online")  # stored before the socket goes: later tests expect it
    await sam.close()


async def test_a_resumed_closed_conversation_asks_for_the_missing_rating(bare_gateway: str) -> None:
    sam = await Agent.connect(bare_gateway, "sam")
    c = await Customer.connect(bare_gateway)
    await c.send(type="request_human")
    await c.expect("state", state="queued")
    await sam.do("claim", conversation_id=c.cid)
    await sam.expect("claimed")
    await sam.do("close", conversation_id=c.cid, resolution="resolved")
    await c.expect("state", state="closed")
    await c.close()
    back = await Customer.connect(bare_gateway, conversation_id=c.cid, token=c.token, last_seq=10**9)
    assert back.welcome["state"] == "closed"
    await back.expect("rating_request")
    await back.send(type="rating", score=4)
    await back.expect("message", event="rated")
    await sam.close()


async def test_new_conversation_after_close_starts_fresh_in_bot_mode(bare_gateway: str) -> None:
    c = await Customer.connect(bare_gateway)
    d = await Customer.connect(bare_gateway)
    assert c.cid != d.cid and c.token != d.token and d.welcome["state"] == "bot" and d.welcome["last_seq"] == 0
