"""The agent socket against a real gateway process and Redis (no bot needed): queue feed, claim, reply,
notes, transfer, hand back, close and rating, presence, capacity, logout."""
from __future__ import annotations

import asyncio
import json
import urllib.request

import pytest
from websockets.exceptions import ConnectionClosed

from handoff.core import errors
from tests.handoff.clients import Agent, Customer, claimed, queued_customer


async def test_welcome_describes_the_agent_the_queue_and_the_desk(bare_gateway: str) -> None:
    sam = await Agent.connect(bare_gateway, "sam")
    w = sam.welcome
    assert w["agent"] == {"username": "sam", "display_name": "Sam", "role": "agent", "capacity": 3,
                          "status": "online"}
    assert isinstance(w["queue"], list) and isinstance(w["conversations"], list)
    assert {a["username"] for a in w["agents"]} >= {"sam", "alex", "ada"}
    assert w["instance"] == "gw-bare"
    await sam.close()


async def test_escalation_reaches_every_online_agent_with_a_queue_snapshot(bare_gateway: str) -> None:
    sam, alex = await Agent.connect(bare_gateway, "sam"), await Agent.connect(bare_gateway, "alex")
    c = await queued_customer(bare_gateway)
    for agent in (sam, alex):
        item = (await agent.expect("escalation"))["item"]
        assert item["conversation_id"] == c.cid and item["reason"]["kind"] == "explicit"
        assert set(item) >= {"customer", "priority", "emotion", "waiting_since", "position"}
        snapshot = await agent.expect("queue")
        assert c.cid in [i["conversation_id"] for i in snapshot["items"]]
    for agent in (sam, alex):
        await agent.close()


async def test_away_agents_get_no_escalation_alerts_but_still_see_the_queue(bare_gateway: str) -> None:
    alex = await Agent.connect(bare_gateway, "alex")
    await alex.do("presence", status="away")
    await alex.expect("presence", status="away")
    c = await queued_customer(bare_gateway)
    snapshot = await alex.expect("queue")
    assert c.cid in [i["conversation_id"] for i in snapshot["items"]]
    assert not [f for f in alex.seen if f["type"] == "escalation"]
    await alex.do("presence", status="online")
    await alex.expect("presence", status="online")
    await alex.close()


async def test_claim_reply_and_customer_sees_the_agent_name(bare_gateway: str) -> None:
    sam = await Agent.connect(bare_gateway, "sam")
    c = await queued_customer(bare_gateway)
    await c.say("my card is missing")
    await sam.do("claim", conversation_id=c.cid)
    got = await sam.expect("claimed", conversation_id=c.cid)
    assert got["conversation"]["state"] == "agent" and got["conversation"]["agent"] == "sam"
    assert "my card is missing" in [m["text"] for m in got["transcript"]]
    state = await c.expect("state", state="agent")
    assert state["agent_name"] == "Sam"
    assert (await c.expect("message", event="claimed"))["text"] == "Sam has joined the chat."
    ack = await sam.reply(c.cid, "Hello, I'm Sam.")
    msg = await c.expect("message", sender="agent")
    assert msg["seq"] == ack["seq"] and msg["agent_name"] == "Sam" and "agent" not in msg
    await c.say("thanks")
    echoed = await sam.expect("message", conversation_id=c.cid, sender="customer")
    assert echoed["text"] == "thanks"
    await sam.do("close", conversation_id=c.cid, resolution="resolved")
    await sam.close()


async def test_customer_typing_reaches_the_agent_and_agent_typing_reaches_the_customer(bare_gateway: str) -> None:
    sam = await Agent.connect(bare_gateway, "sam")
    c = await claimed(bare_gateway, sam)
    await c.send(type="typing", on=True)
    assert (await sam.expect("typing", conversation_id=c.cid))["on"] is True
    await sam.do("typing", conversation_id=c.cid, on=True)
    assert (await c.expect("typing", sender="agent"))["on"] is True
    await sam.do("close", conversation_id=c.cid, resolution="resolved")
    await sam.close()


async def test_notes_stay_private_to_agents(bare_gateway: str) -> None:
    sam = await Agent.connect(bare_gateway, "sam")
    c = await claimed(bare_gateway, sam)
    await sam.do("note", conversation_id=c.cid, client_id="n1", text="customer sounded distressed")
    ack = await sam.expect("ack", client_id="n1")
    assert (await sam.expect("message", sender="note"))["seq"] == ack["seq"]
    await sam.reply(c.cid, "after the note")
    await c.expect("message", sender="agent")
    assert "customer sounded distressed" not in json.dumps(c.seen)
    resumed = await Customer.connect(bare_gateway, conversation_id=c.cid, token=c.welcome["token"], last_seq=0)
    await resumed.expect("message", sender="agent")
    assert "customer sounded distressed" not in json.dumps(resumed.seen)
    await sam.do("close", conversation_id=c.cid, resolution="resolved")
    await sam.close()


async def test_only_the_owner_may_reply(bare_gateway: str) -> None:
    sam, alex = await Agent.connect(bare_gateway, "sam"), await Agent.connect(bare_gateway, "alex")
    c = await claimed(bare_gateway, sam)
    await alex.do("message", conversation_id=c.cid, client_id="x1", text="I am not the owner")
    assert (await alex.expect("error", ref="x1"))["code"] == errors.FORBIDDEN
    await alex.do("claim", conversation_id=c.cid)
    assert (await alex.expect("error", frame="claim"))["code"] == errors.CONFLICT
    await sam.do("close", conversation_id=c.cid, resolution="resolved")
    for a in (sam, alex):
        await a.close()


async def test_agent_message_retry_with_the_same_client_id_is_stored_once(bare_gateway: str) -> None:
    sam = await Agent.connect(bare_gateway, "sam")
    c = await claimed(bare_gateway, sam)
    for _ in range(3):
        await sam.do("message", conversation_id=c.cid, client_id="dup-1", text="only once")
    acks = [await sam.expect("ack", client_id="dup-1") for _ in range(3)]
    assert len({a["seq"] for a in acks}) == 1
    await asyncio.sleep(0.5)
    await c.drain(0.5)
    assert [m["text"] for m in c.messages() if m["sender"] == "agent"] == ["only once"]
    await sam.do("close", conversation_id=c.cid, resolution="resolved")
    await sam.close()


async def test_transfer_hands_the_chat_to_another_online_agent(bare_gateway: str) -> None:
    sam, alex = await Agent.connect(bare_gateway, "sam"), await Agent.connect(bare_gateway, "alex")
    c = await claimed(bare_gateway, sam)
    await sam.do("transfer", conversation_id=c.cid, to="alex")
    assigned = await alex.expect("assigned", conversation_id=c.cid)
    assert assigned["from"] == "sam" and assigned["conversation"]["agent"] == "alex"
    assert (await sam.expect("state", conversation_id=c.cid))["agent"] == "alex"
    assert (await c.expect("state", state="agent", agent_name="Alex"))
    await c.expect("message", event="transferred")
    await sam.do("message", conversation_id=c.cid, client_id="late", text="still mine?")
    assert (await sam.expect("error", ref="late"))["code"] == errors.FORBIDDEN
    await alex.reply(c.cid, "Alex here")
    assert (await c.expect("message", sender="agent"))["agent_name"] == "Alex"
    await alex.do("close", conversation_id=c.cid, resolution="resolved")
    for a in (sam, alex):
        await a.close()


async def test_transfer_to_an_away_agent_is_refused(bare_gateway: str) -> None:
    sam, alex = await Agent.connect(bare_gateway, "sam"), await Agent.connect(bare_gateway, "alex")
    await alex.do("presence", status="away")
    await alex.expect("presence")
    c = await claimed(bare_gateway, sam)
    await sam.do("transfer", conversation_id=c.cid, to="alex")
    assert (await sam.expect("error", frame="transfer"))["code"] == errors.BAD_STATE
    await alex.do("presence", status="online")
    await alex.expect("presence", status="online")  # stored before the socket goes: later tests expect it
    await sam.do("close", conversation_id=c.cid, resolution="resolved")
    for a in (sam, alex):
        await a.close()


async def test_capacity_limits_concurrent_chats(bare_gateway: str) -> None:
    alex = await Agent.connect(bare_gateway, "alex")  # capacity 2
    first, second = await claimed(bare_gateway, alex), await claimed(bare_gateway, alex)
    third = await queued_customer(bare_gateway)
    await alex.do("claim", conversation_id=third.cid)
    assert (await alex.expect("error", frame="claim"))["code"] == errors.OVER_CAPACITY
    for c in (first, second):
        await alex.do("close", conversation_id=c.cid, resolution="resolved")
        await alex.expect("state", conversation_id=c.cid, state="closed")
    await alex.do("claim", conversation_id=third.cid)  # a slot is free again
    await alex.expect("claimed", conversation_id=third.cid)
    await alex.do("close", conversation_id=third.cid, resolution="resolved")
    await alex.close()


async def test_handback_returns_the_customer_to_the_bot(bare_gateway: str) -> None:
    sam = await Agent.connect(bare_gateway, "sam")
    c = await claimed(bare_gateway, sam)
    await sam.do("handback", conversation_id=c.cid)
    assert (await sam.expect("state", conversation_id=c.cid))["state"] == "bot"
    await c.expect("state", state="bot")
    assert (await c.expect("message", event="handback"))["sender"] == "system"
    await sam.do("message", conversation_id=c.cid, client_id="after", text="too late")
    assert (await sam.expect("error", ref="after"))["code"] == errors.BAD_STATE
    await sam.close()


async def test_close_asks_for_a_rating_which_reaches_the_agent(bare_gateway: str) -> None:
    sam = await Agent.connect(bare_gateway, "sam")
    c = await claimed(bare_gateway, sam)
    await sam.do("close", conversation_id=c.cid, resolution="resolved")
    await c.expect("state", state="closed")
    await c.expect("rating_request")
    await c.send(type="rating", score=5, comment="quick and kind")
    await c.expect("message", event="rated")
    rating = await sam.expect("rating", conversation_id=c.cid)
    assert rating["score"] == 5 and rating["comment"] == "quick and kind"
    await c.send(type="rating", score=1)
    assert (await c.expect("error", frame="rating"))["code"] == errors.CONFLICT
    await sam.close()


async def test_customer_cannot_write_into_a_closed_chat(bare_gateway: str) -> None:
    sam = await Agent.connect(bare_gateway, "sam")
    c = await claimed(bare_gateway, sam)
    await sam.do("close", conversation_id=c.cid, resolution="resolved")
    await c.expect("state", state="closed")
    await c.send(type="message", client_id="late-1", text="hello?")
    assert (await c.expect("error", ref="late-1"))["code"] == errors.BAD_STATE
    await sam.close()


async def test_queued_customers_see_their_position_move_up(bare_gateway: str) -> None:
    sam = await Agent.connect(bare_gateway, "sam")
    for item in sam.welcome["queue"]:  # leave an empty queue behind earlier tests
        await sam.do("close", conversation_id=item["conversation_id"], resolution="duplicate")
    await asyncio.sleep(0.3)
    a, b = await queued_customer(bare_gateway), await queued_customer(bare_gateway)
    assert b.seen[-1]["queue_position"] == 2 or (await b.expect("state", queue_position=2))
    await sam.do("claim", conversation_id=a.cid)
    moved = await b.expect("state", state="queued", queue_position=1)
    assert moved["estimated_wait_s"] > 0 and moved["agents_online"] >= 1
    await sam.do("close", conversation_id=a.cid, resolution="resolved")
    await sam.do("close", conversation_id=b.cid, resolution="duplicate")
    await sam.close()


async def test_logout_closes_the_agent_socket_with_4401(bare_gateway: str) -> None:
    sam = await Agent.connect(bare_gateway, "sam")

    def logout() -> int:
        req = urllib.request.Request(bare_gateway + "/api/logout", method="POST", headers={"Cookie": sam.cookie})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status

    assert await asyncio.to_thread(logout) == 204
    with pytest.raises(ConnectionClosed):
        while True:
            await sam.recv()
    assert sam.ws.close_code == errors.WS_4401_SESSION_EXPIRED


async def test_me_and_agents_need_a_session(bare_gateway: str) -> None:
    def get(path: str, cookie: str | None) -> tuple[int, dict]:
        req = urllib.request.Request(bare_gateway + path, headers={"Cookie": cookie} if cookie else {})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    assert (await asyncio.to_thread(get, "/api/me", None))[0] == 401
    sam = await Agent.connect(bare_gateway, "sam")
    status, body = await asyncio.to_thread(get, "/api/me", sam.cookie)
    assert status == 200 and body["agent"]["username"] == "sam" and "password_hash" not in json.dumps(body)
    status, body = await asyncio.to_thread(get, "/api/agents", sam.cookie)
    assert status == 200 and {a["username"] for a in body["agents"]} >= {"sam", "alex"}
    await sam.close()
