"""Reconnect and resume with nothing lost or duplicated (real gateway, real Rasa, real Redis)."""
from __future__ import annotations

import asyncio
import json
import uuid

import pytest
import websockets

from tests.handoff.clients import BOT_WAIT, Agent, Customer

pytestmark = pytest.mark.model


async def escalated_and_claimed(gw: str, agent: Agent) -> Customer:
    c = await Customer.connect(gw)
    await c.send(type="request_human")
    await c.expect("state", state="queued")
    await agent.do("claim", conversation_id=c.cid)
    await agent.expect("claimed", conversation_id=c.cid)
    await c.expect("state", state="agent")
    return c


def seqs(frames: list[dict]) -> list[int]:
    return [f["seq"] for f in frames if f.get("type") == "message"]


async def test_resume_delivers_exactly_the_messages_missed_while_away(live_gateway: str) -> None:
    sam = await Agent.connect(live_gateway, "sam")
    c = await escalated_and_claimed(live_gateway, sam)
    await sam.reply(c.cid, "before the tunnel")
    before = await c.expect("message", sender="agent")
    cid, token, last_seen = c.cid, c.token, before["seq"]
    await c.ws.close()  # the phone enters a tunnel

    missed = [(await sam.reply(cid, f"while away {i}"))["seq"] for i in range(3)]
    back = await Customer.connect(live_gateway, conversation_id=cid, token=token, last_seq=last_seen)
    assert back.welcome["resumed"] is True and back.welcome["state"] == "agent"
    assert back.welcome["agent_name"] == "Sam" and "token" not in back.welcome
    assert back.welcome["last_seq"] == missed[-1]
    replay = await back.drain(1.5)
    assert seqs(replay) == missed
    assert [f["text"] for f in replay if f["type"] == "message"] == [f"while away {i}" for i in range(3)]
    after = await sam.reply(cid, "welcome back")
    assert (await back.expect("message", sender="agent"))["seq"] == after["seq"]
    assert len(seqs(back.seen)) == len(set(seqs(back.seen)))
    await sam.do("close", conversation_id=cid, resolution="resolved")
    await sam.close()


async def test_a_message_stored_but_never_acked_to_the_client_is_not_stored_twice(live_gateway: str) -> None:
    sam = await Agent.connect(live_gateway, "sam")
    c = await escalated_and_claimed(live_gateway, sam)
    client_id = uuid.uuid4().hex
    await c.ws.send(json.dumps({"type": "message", "client_id": client_id, "text": "did this arrive?"}))
    got = await sam.expect("message", conversation_id=c.cid, sender="customer")  # stored...
    await c.ws.close()  # ...but the client drops before it reads the ack
    back = await Customer.connect(live_gateway, conversation_id=c.cid, token=c.token, last_seq=0)
    await back.send(type="message", client_id=client_id, text="did this arrive?")  # the client's retry
    ack = await back.expect("ack", client_id=client_id)
    assert ack["seq"] == got["seq"]
    await asyncio.sleep(1)
    customer_msgs = [f for f in back.seen if f.get("type") == "message" and f["sender"] == "customer"]
    assert [m["text"] for m in customer_msgs] == ["did this arrive?"]  # the replay, once
    assert len([f for f in sam.seen if f.get("type") == "message" and f.get("text") == "did this arrive?"]) == 1
    await sam.close()


async def test_a_message_sent_as_the_connection_drops_is_stored_exactly_once_after_retry(live_gateway: str) -> None:
    sam = await Agent.connect(live_gateway, "sam")
    c = await escalated_and_claimed(live_gateway, sam)
    client_id = uuid.uuid4().hex
    await c.ws.send(json.dumps({"type": "message", "client_id": client_id, "text": "lost in a tunnel?"}))
    await c.ws.close()  # may or may not have been stored: the client cannot know, so it retries
    back = await Customer.connect(live_gateway, conversation_id=c.cid, token=c.token, last_seq=0)
    await back.send(type="message", client_id=client_id, text="lost in a tunnel?")
    ack = await back.expect("ack", client_id=client_id)
    got = await sam.expect("message", conversation_id=c.cid, sender="customer", text="lost in a tunnel?")
    assert got["seq"] == ack["seq"]
    await asyncio.sleep(1)
    assert len([f for f in sam.seen if f.get("type") == "message" and f.get("text") == "lost in a tunnel?"]) == 1
    await sam.close()


async def test_bot_answer_produced_while_disconnected_is_delivered_on_resume(live_gateway: str) -> None:
    c = await Customer.connect(live_gateway)
    ack = await c.say("when will my new card arrive?")
    cid, token = c.cid, c.token
    await c.ws.close()  # gone before the bot answers
    await asyncio.sleep(0.5)
    back = await Customer.connect(live_gateway, conversation_id=cid, token=token, last_seq=ack["seq"])
    answer = await back.expect("message", sender="bot", timeout=BOT_WAIT)
    assert answer["seq"] > ack["seq"]
    await back.drain(1)
    assert len(seqs(back.seen)) == len(set(seqs(back.seen)))
    assert all(s > ack["seq"] for s in seqs(back.seen))


async def test_resume_without_last_seq_replays_the_whole_visible_transcript(live_gateway: str) -> None:
    sam = await Agent.connect(live_gateway, "sam")
    c = await escalated_and_claimed(live_gateway, sam)
    await c.say("first")
    await sam.do("note", conversation_id=c.cid, client_id="n", text="private note")
    await sam.reply(c.cid, "second")
    await c.expect("message", sender="agent")
    fresh = await Customer.connect(live_gateway, conversation_id=c.cid, token=c.token)
    replay = [f for f in await fresh.drain(1.5) if f["type"] == "message"]
    texts = [m["text"] for m in replay]
    assert "first" in texts and "second" in texts and "private note" not in texts
    assert seqs(replay) == sorted(seqs(replay))
    await sam.do("close", conversation_id=c.cid, resolution="resolved")
    await sam.close()


async def test_two_tabs_of_one_conversation_both_stay_in_sync(live_gateway: str) -> None:
    sam = await Agent.connect(live_gateway, "sam")
    tab1 = await escalated_and_claimed(live_gateway, sam)
    tab2 = await Customer.connect(live_gateway, conversation_id=tab1.cid, token=tab1.token, last_seq=10**6)
    sent = await tab1.say("typed in tab one")
    other = await tab2.expect("message", sender="customer")
    assert (other["seq"], other["text"]) == (sent["seq"], "typed in tab one")
    await asyncio.sleep(0.5)
    assert not [f for f in tab1.seen if f.get("type") == "message" and f.get("seq") == sent["seq"]]  # no echo
    reply = await sam.reply(tab1.cid, "to both tabs")
    for tab in (tab1, tab2):
        assert (await tab.expect("message", sender="agent"))["seq"] == reply["seq"]
    await sam.do("close", conversation_id=tab1.cid, resolution="resolved")
    await sam.close()


async def test_agent_reconnect_keeps_its_chats_and_catches_up(live_gateway: str) -> None:
    sam = await Agent.connect(live_gateway, "sam")
    c = await escalated_and_claimed(live_gateway, sam)
    await sam.ws.close()
    await c.say("message while the agent reloads the page")
    again = await Agent.connect(live_gateway, "sam", cookie=sam.cookie)
    mine = {conv["conversation_id"]: conv for conv in again.welcome["conversations"]}
    assert c.cid in mine and mine[c.cid]["state"] == "agent"
    await again.do("open", conversation_id=c.cid)
    transcript = (await again.expect("transcript", conversation_id=c.cid))["transcript"]
    assert transcript[-1]["text"] == "message while the agent reloads the page"
    await again.do("close", conversation_id=c.cid, resolution="resolved")
    await again.close()


async def test_resuming_with_a_websocket_library_without_our_client_works(live_gateway: str) -> None:
    """A third-party client following docs/protocol.md only: raw frames, no helper."""
    async with websockets.connect(live_gateway.replace("http", "ws") + "/ws/customer") as ws:
        await ws.send(json.dumps({"type": "hello"}))
        welcome = json.loads(await ws.recv())
        await ws.send(json.dumps({"type": "message", "client_id": "tp-1", "text": "hello"}))
        assert json.loads(await ws.recv()) == {"type": "ack", "client_id": "tp-1", "seq": 1}
    async with websockets.connect(live_gateway.replace("http", "ws") + "/ws/customer") as ws:
        await ws.send(json.dumps({"type": "hello", "conversation_id": welcome["conversation_id"],
                                  "token": welcome["token"], "last_seq": 1}))
        assert json.loads(await ws.recv())["resumed"] is True
        frames = []
        while not any(f.get("sender") == "bot" for f in frames):
            frames.append(json.loads(await asyncio.wait_for(ws.recv(), BOT_WAIT)))
