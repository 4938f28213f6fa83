"""One test per answer docs/protocol.md gives ("Precise answers", the customer's own controls, proactive
events), against a real gateway process and Redis without a bot model."""
from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
import uuid

import websockets

from handoff.core import errors, protocol
from handoff.core.proactive import sign_event
from tests.handoff.clients import WAIT, Agent, Customer, login


async def test_a_second_hello_on_the_agent_socket_is_bad_state_and_the_socket_carries_on(bare_gateway: str) -> None:
    sam = await Agent.connect(bare_gateway, "sam")
    await sam.do("hello")
    assert (await sam.expect("error", frame="hello"))["code"] == errors.BAD_STATE
    await sam.do("ping")
    await sam.expect("pong")


async def test_a_frame_before_hello_on_the_agent_socket_is_bad_state_then_hello_works(bare_gateway: str) -> None:
    cookie = await asyncio.to_thread(login, bare_gateway, "sam", bare_gateway.accounts["sam"][0])  # type: ignore[attr-defined]
    ws = await websockets.connect(bare_gateway.replace("http", "ws", 1) + "/ws/agent",
                                  extra_headers={"Cookie": cookie})
    try:
        await ws.send(json.dumps({"type": "claim", "conversation_id": "0" * 32}))
        err = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
        assert (err["code"], err["frame"]) == (errors.BAD_STATE, "claim")
        await ws.send(json.dumps({"type": "hello"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), WAIT))["type"] == "welcome"
    finally:
        await ws.close()


async def test_the_agents_role_is_in_the_welcome(bare_gateway: str) -> None:
    sam = await Agent.connect(bare_gateway, "sam")
    ada = await Agent.connect(bare_gateway, "ada")
    assert sam.welcome["agent"]["role"] == "agent" and ada.welcome["agent"]["role"] == "admin"


async def test_malformed_ids_are_invalid_frame_and_unknown_ones_not_found(bare_gateway: str) -> None:
    c = await Customer.connect(bare_gateway)
    sam = await Agent.connect(bare_gateway, "sam")
    await sam.do("claim", conversation_id="not-an-id")
    assert (await sam.expect("error", frame="claim"))["code"] == errors.INVALID_FRAME
    await sam.do("claim", conversation_id="f" * 32)
    assert (await sam.expect("error", frame="claim"))["code"] == errors.NOT_FOUND
    ws = await websockets.connect(bare_gateway.replace("http", "ws", 1) + "/ws/customer")
    try:
        for hello, code in (({"conversation_id": "XYZ", "token": "t"}, errors.INVALID_FRAME),
                            ({"conversation_id": "f" * 32, "token": "t"}, errors.NOT_FOUND),
                            ({"conversation_id": c.cid}, errors.UNAUTHORIZED)):
            await ws.send(json.dumps({"type": "hello", **hello}))
            assert json.loads(await asyncio.wait_for(ws.recv(), WAIT))["code"] == code, hello
    finally:
        await ws.close()


async def test_login_bodies_that_are_not_a_json_object_get_bad_json(bare_gateway: str) -> None:
    def post(body: bytes, content_type: str) -> tuple[int, str]:
        req = urllib.request.Request(bare_gateway + "/api/login", method="POST", data=body,
                                     headers={"Content-Type": content_type})
        try:
            with urllib.request.urlopen(req, timeout=WAIT) as resp:
                return resp.status, ""
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())["error"]["code"]

    assert await asyncio.to_thread(post, b"{nope", "application/json") == (400, errors.BAD_JSON)
    assert await asyncio.to_thread(post, b"[1, 2]", "application/json") == (400, errors.BAD_JSON)
    assert await asyncio.to_thread(post, b"username=sam", "text/plain") == (400, errors.INVALID_FRAME)
    assert await asyncio.to_thread(post, b'{"username": "sam"}', "application/json") == (400, errors.INVALID_FRAME)


async def test_pings_count_toward_the_rate_limit(bare_gateway: str) -> None:
    c = await Customer.connect(bare_gateway)
    for _ in range(protocol.RATE_BURST + 5):
        await c.ws.send('{"type":"ping"}')
    frames = [await c.recv() for _ in range(protocol.RATE_BURST + 5)]
    assert sum(f.get("code") == errors.RATE_LIMITED for f in frames) >= 3


async def test_the_first_failing_check_is_the_one_answered(bare_gateway: str) -> None:
    c = await Customer.connect(bare_gateway)
    checks = [
        ('{"type":"nope","text":"' + "x" * 9000 + '"}', errors.FRAME_TOO_LARGE),  # size before type
        ('{"type":"nope","client_id":5}', errors.UNKNOWN_TYPE),  # type before fields
        ('{"type":"message","client_id":"bad id!","text":""}', errors.INVALID_FRAME),  # first field in order
    ]
    for raw, code in checks:
        await c.ws.send(raw)
        err = await c.expect("error")
        assert err["code"] == code, raw[:40]
    await c.ws.send('{"type":"message","client_id":"bad id!","text":""}')
    assert "client_id" in (await c.expect("error"))["message"]  # client_id comes before text in the table
    for _ in range(protocol.RATE_BURST + 2):  # over the limit, a bad frame gets rate_limited, not bad_json
        await c.ws.send("not json")
    codes = [(await c.recv())["code"] for _ in range(protocol.RATE_BURST + 2)]
    assert codes[-1] == errors.RATE_LIMITED and errors.BAD_JSON in codes


async def test_the_request_human_button_is_an_explicit_reason(bare_gateway: str) -> None:
    sam = await Agent.connect(bare_gateway, "sam")
    await sam.do("presence", status="online")
    await sam.expect("presence", status="online")
    c = await Customer.connect(bare_gateway)
    await c.send(type="request_human")
    item = (await sam.expect("escalation"))["item"]
    assert item["conversation_id"] == c.cid and item["reason"]["kind"] == "explicit"


async def test_the_customer_ends_the_chat_then_is_asked_to_rate_it(bare_gateway: str) -> None:
    sam = await Agent.connect(bare_gateway, "sam")
    c = await Customer.connect(bare_gateway)
    await c.send(type="request_human")
    await c.expect("state", state="queued")
    await sam.do("claim", conversation_id=c.cid)
    await sam.expect("claimed", conversation_id=c.cid)
    await c.send(type="end")
    assert "ended the chat" in (await c.expect("message", event="ended"))["text"]
    await c.expect("state", state="closed")
    await c.expect("rating_request")
    await sam.expect("state", conversation_id=c.cid, state="closed")
    await c.send(type="rating", score=5)
    await c.expect("message", event="rated")
    assert (await sam.expect("rating", conversation_id=c.cid))["score"] == 5
    await c.send(type="end")
    assert (await c.expect("error", frame="end"))["code"] == errors.BAD_STATE


async def test_a_bot_chat_can_be_ended_too(bare_gateway: str) -> None:
    c = await Customer.connect(bare_gateway)
    await c.send(type="end")
    await c.expect("state", state="closed")
    await c.expect("rating_request")


async def test_the_customer_can_switch_off_bot_answers_while_queued(bare_gateway: str) -> None:
    c = await Customer.connect(bare_gateway)
    await c.send(type="bot_while_queued", on=False)
    assert (await c.expect("bot_while_queued"))["on"] is False
    await c.send(type="bot_while_queued", on="no")
    assert (await c.expect("error", frame="bot_while_queued"))["code"] == errors.INVALID_FRAME


async def test_a_signed_event_is_stored_as_plain_words_and_bad_ones_are_refused(bare_gateway: str) -> None:
    secret = bare_gateway.context_secret  # type: ignore[attr-defined]
    c = await Customer.connect(bare_gateway)
    sam = await Agent.connect(bare_gateway, "sam")
    forged = sign_event({"type": "card_declined", "merchant": "Coffee Corner"}, "not-the-secret")
    await c.send(type="event", client_id="e0", event=forged)
    assert (await c.expect("error", frame="event"))["code"] == errors.UNAUTHORIZED
    odd = sign_event({"type": "mortgage_offer"}, secret)
    await c.send(type="event", client_id="e1", event=odd)
    assert (await c.expect("error", frame="event"))["code"] == errors.INVALID_FRAME
    bad_data = sign_event({"type": "card_declined", "merchant": "<script>"}, secret)
    await c.send(type="event", client_id="e2", event=bad_data)
    assert (await c.expect("error", frame="event"))["code"] == errors.INVALID_FRAME

    good = sign_event({"type": "card_declined", "merchant": "Coffee Corner", "amount": 12.5, "currency": "GBP"},
                      secret)
    client_id = uuid.uuid4().hex
    await c.send(type="event", client_id=client_id, event=good)
    ack = await c.expect("ack", client_id=client_id)
    await c.send(type="event", client_id=client_id, event=good)  # a resend is the same message, not a second
    assert (await c.expect("ack", client_id=client_id))["seq"] == ack["seq"]
    await c.send(type="request_human")
    await c.expect("state", state="queued")
    await sam.do("open", conversation_id=c.cid)
    transcript = (await sam.expect("transcript", conversation_id=c.cid))["transcript"]
    mine = [m for m in transcript if m["sender"] == "customer"]
    assert [m["text"] for m in mine] == ["Help me with my declined card payment at Coffee Corner (GBP 12.50)."]
    assert not any("/event_" in m["text"] for m in transcript)
