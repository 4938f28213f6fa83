"""The whole journey through a real gateway process with the real (reduced) Rasa model, the action server
and Redis: bot answers → escalation → queued → claimed → agent reply → hand back → bot answers → close
with rating."""
from __future__ import annotations

import asyncio

import pytest

from handoff.core.context import sign_context
from tests.handoff.clients import BOT_WAIT, Agent, Customer
from tests.handoff.rasa_tracker import slot_value, tracker_events, user_texts

pytestmark = pytest.mark.model

ADA = {"name": "Ada Lovelace", "customer_id": "C-1815",
       "cards": [{"last_four": "1234", "type": "debit", "label": "Everyday debit"}]}
PRIVATE = "my card was charged twice and I am really upset"


async def test_full_journey_bot_agent_bot_close_and_rating(live_gateway: str) -> None:
    gw = live_gateway
    sam = await Agent.connect(gw, "sam")
    c = await Customer.connect(gw, context=sign_context(ADA, gw.context_secret))  # type: ignore[attr-defined]
    cid = c.cid
    assert c.welcome["state"] == "bot"

    # 1. The bot answers.
    first = await c.say("hello")
    assert (await c.expect("typing", sender="bot", on=True, timeout=BOT_WAIT))
    answer = await c.expect("message", sender="bot", timeout=BOT_WAIT)
    assert answer["seq"] > first["seq"] and answer["text"]

    # 2. The customer asks for a person: the bot's own action hands over, the gateway queues.
    asked = await c.say("talk to a human")
    queued = await c.expect("state", state="queued", timeout=BOT_WAIT)
    assert (await c.expect("message", sender="bot", after_seq=asked["seq"]))["text"]  # the bot says what happens
    assert queued["queue_position"] >= 1 and queued["estimated_wait_s"] > 0 and queued["agents_online"] >= 1
    notice = await c.expect("message", sender="system", event="queued")
    assert "queue" in notice["text"]
    alert = await sam.expect("escalation", timeout=BOT_WAIT)
    while alert["item"]["conversation_id"] != cid:
        alert = await sam.expect("escalation", timeout=BOT_WAIT)
    item = alert["item"]
    assert item["customer"] == {"name": "Ada Lovelace", "customer_id": "C-1815"}
    assert item["reason"]["kind"] == "explicit" and 0 < item["priority"] <= 1

    # 3. Claimed: the agent gets the transcript with intents and emotions; the customer sees the name.
    await sam.do("claim", conversation_id=cid)
    claimed = await sam.expect("claimed", conversation_id=cid)
    assert claimed["conversation"]["customer"]["cards"][0]["last_four"] == "1234"
    said = [m for m in claimed["transcript"] if m["sender"] == "customer"]
    assert [m["text"] for m in said] == ["hello", "talk to a human"]
    assert all("intent" in m and "negativity" in m and isinstance(m["emotions"], dict) for m in said)
    assert (await c.expect("state", state="agent"))["agent_name"] == "Sam"

    # 4. Agent mode: the customer's messages reach the agent (with emotions), never the bot.
    private = await c.say(PRIVATE)
    got = await sam.expect("message", conversation_id=cid, sender="customer", text=PRIVATE)
    assert got["seq"] == private["seq"]
    annotation = await sam.expect("annotation", conversation_id=cid, seq=private["seq"], timeout=BOT_WAIT)
    assert 0.0 <= annotation["negativity"] <= 1.0 and isinstance(annotation["emotions"], dict)
    await c.send(type="typing", on=True)
    await sam.expect("typing", conversation_id=cid, on=True)
    await sam.do("typing", conversation_id=cid, on=True)
    await c.expect("typing", sender="agent", on=True)
    reply = await sam.reply(cid, "I'm sorry, Ada. I've refunded the duplicate charge.")
    shown = await c.expect("message", sender="agent")
    assert shown["seq"] == reply["seq"] and shown["agent_name"] == "Sam"
    await asyncio.sleep(2)
    assert not [m for m in c.messages() if m["sender"] == "bot" and m["seq"] > claimed["conversation"]["last_seq"]]

    # 5. Hand back: the bot resumes the same conversation, with its context.
    await sam.do("handback", conversation_id=cid)
    await c.expect("state", state="bot")
    await c.expect("message", event="handback")
    again = await c.say("hello")
    reply = await c.expect("message", sender="bot", after_seq=again["seq"], timeout=BOT_WAIT)
    assert reply["text"].startswith("Hi Ada"), reply["text"]  # the greeting rule, not a fallback
    events = tracker_events(gw.redis_url, cid)  # type: ignore[attr-defined]
    assert PRIVATE not in user_texts(events)  # the bot never saw the agent-mode message
    kinds = [e["event"] for e in events]
    assert "pause" in kinds and "resume" in kinds and kinds.index("pause") < kinds.index("resume")
    assert slot_value(events, "customer_name") == "Ada Lovelace"  # context survived the handover

    # 6. A person again (the button this time), then close with a rating.
    await c.send(type="request_human")
    await c.expect("state", state="queued")
    await sam.do("claim", conversation_id=cid)
    await sam.expect("claimed", conversation_id=cid)
    await sam.do("close", conversation_id=cid, resolution="resolved")
    await c.expect("state", state="closed")
    await c.expect("rating_request")
    await c.send(type="rating", score=5, comment="Sam was great")
    await c.expect("message", event="rated")
    rating = await sam.expect("rating", conversation_id=cid)
    assert (rating["score"], rating["comment"]) == (5, "Sam was great")

    # The transcript holds every message once, in order.
    seqs = [m["seq"] for m in c.messages()]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))
    await sam.close()
    await c.close()


async def test_customer_button_escalation_pauses_the_bot(live_gateway: str) -> None:
    """Paused for the hand-over; a customer who switched off its answers while queued is never seen by it
    (with them on, it answers: tests/handoff/gateway/test_queued_answers.py)."""
    c = await Customer.connect(live_gateway)
    await c.say("hello")
    await c.expect("message", sender="bot", timeout=BOT_WAIT)
    await c.send(type="request_human")
    await c.expect("state", state="queued")
    await c.send(type="bot_while_queued", on=False)
    await c.expect("bot_while_queued", on=False)
    late = await c.say("are you there?")
    await asyncio.sleep(2)
    assert not [m for m in c.messages() if m["sender"] == "bot" and m["seq"] > late["seq"]]
    events = tracker_events(live_gateway.redis_url, c.cid)  # type: ignore[attr-defined]
    assert [e["event"] for e in events].count("pause") == 1
    assert "are you there?" not in user_texts(events)
    await c.close()


async def test_rest_webhook_still_serves_the_bot_for_benchmarks(live_gateway: str) -> None:
    import json
    import urllib.request

    req = urllib.request.Request(live_gateway + "/webhooks/rest/webhook", method="POST",
                                 data=json.dumps({"sender": "bench-1", "message": "hello"}).encode(),
                                 headers={"Content-Type": "application/json"})
    body = await asyncio.to_thread(lambda: json.loads(urllib.request.urlopen(req, timeout=BOT_WAIT).read()))
    assert body and body[0]["text"]
