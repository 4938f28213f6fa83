"""With the real (reduced) Rasa model and action server: the bot still answers while a customer waits for a
person (marked `while_queued`, unless they switch it off), and an accepted proactive event reaches the bot as
its intent payload with metadata {"proactive": true} while the transcript shows plain words."""
from __future__ import annotations

import json
import uuid

import pytest

from handoff.core.proactive import sign_event
from tests.handoff.clients import BOT_WAIT, Agent, Customer
from tests.handoff.rasa_tracker import tracker_events, user_texts

pytestmark = pytest.mark.model


async def test_while_queued_the_bot_answers_marked_unless_the_customer_switches_it_off(live_gateway: str) -> None:
    c = await Customer.connect(live_gateway)
    await c.send(type="request_human")
    await c.expect("state", state="queued")

    first = await c.say("How do I top up my account?")
    reply = await c.expect("message", sender="bot", after_seq=first["seq"], timeout=BOT_WAIT)
    assert reply["while_queued"] is True and reply["text"].strip()
    await c.expect("typing", sender="bot", on=False, timeout=BOT_WAIT)

    await c.send(type="bot_while_queued", on=False)
    await c.expect("bot_while_queued", on=False)
    silent = await c.say("Is there a fee for that?")
    await c.send(type="bot_while_queued", on=True)
    await c.expect("bot_while_queued", on=True)
    last = await c.say("How do I change my PIN?")
    # One conversation's turns run in order: once the last one is answered, the silent one is long done.
    await c.expect("message", sender="bot", after_seq=last["seq"], timeout=BOT_WAIT)
    between = [m for m in c.messages() if m["sender"] == "bot" and silent["seq"] < m["seq"] < last["seq"]]
    assert between == []
    said = user_texts(tracker_events(live_gateway.redis_url, c.cid))  # type: ignore[attr-defined]
    assert "Is there a fee for that?" not in said and "How do I change my PIN?" in said
    state = [f for f in c.seen if f["type"] == "state"][-1]
    assert state["state"] == "queued"  # answering never took the customer out of the queue


async def test_asking_for_a_person_again_while_queued_is_not_a_second_handover(live_gateway: str) -> None:
    c = await Customer.connect(live_gateway)
    await c.send(type="request_human")
    await c.expect("state", state="queued")
    ack = await c.say("I want to speak to a human please")
    reply = await c.expect("message", sender="bot", after_seq=ack["seq"], timeout=BOT_WAIT)
    assert "still in the queue" in reply["text"] and reply["while_queued"] is True
    assert len([m for m in c.messages() if m.get("event") in ("queued", "no_agents")]) == 1


async def test_an_accepted_event_reaches_the_bot_as_its_intent_payload_with_proactive_metadata(
        live_gateway: str) -> None:
    c = await Customer.connect(live_gateway)
    signed = sign_event({"type": "card_declined", "merchant": "Coffee Corner", "amount": "12.50",
                         "currency": "GBP"}, live_gateway.context_secret)  # type: ignore[attr-defined]
    client_id = uuid.uuid4().hex
    await c.send(type="event", client_id=client_id, event=signed)
    ack = await c.expect("ack", client_id=client_id)
    shown = await c.expect("message", sender="customer", client_id=client_id)
    assert shown["text"] == "Help me with my declined card payment at Coffee Corner (GBP 12.50)."
    await c.expect("typing", sender="bot", on=False, timeout=BOT_WAIT)  # the turn is over
    events = tracker_events(live_gateway.redis_url, c.cid)  # type: ignore[attr-defined]
    turn = [e for e in events if e.get("event") == "user"][-1]
    payload = '/event_card_declined{"merchant": "Coffee Corner", "amount": "12.50", "currency": "GBP"}'
    assert turn["text"] == payload
    assert json.loads(payload[len("/event_card_declined"):]) == {"merchant": "Coffee Corner", "amount": "12.50",
                                                                  "currency": "GBP"}
    assert turn["metadata"]["proactive"] is True and "customer" in turn["metadata"]
    sam = await Agent.connect(live_gateway, "sam")
    await c.send(type="request_human")
    await c.expect("state", state="queued")
    await sam.do("open", conversation_id=c.cid)
    transcript = (await sam.expect("transcript", conversation_id=c.cid))["transcript"]
    assert [m["text"] for m in transcript if m["sender"] == "customer"] == [shown["text"]]
    assert ack["seq"] == shown["seq"]
