"""Every bad-frame case gets a clear error frame (and a close where the protocol says so), never a crash."""
from __future__ import annotations

import asyncio
import json
import urllib.request

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatusCode

from handoff.core import errors, protocol
from handoff.core.context import sign_context
from tests.handoff.clients import WAIT, Agent, Customer


async def raw_socket(gw: str, path: str = "/ws/customer", **kw):  # type: ignore[no-untyped-def]
    return await websockets.connect(gw.replace("http", "ws", 1) + path, max_size=2**22, **kw)


async def next_json(ws) -> dict:  # type: ignore[no-untyped-def]
    return json.loads(await asyncio.wait_for(ws.recv(), WAIT))


async def still_serving(customer: Customer) -> None:
    await customer.send(type="ping")
    await customer.expect("pong")


@pytest.mark.parametrize("raw, code", [
    ("this is not json", errors.BAD_JSON),
    ("[1,2,3]", errors.BAD_JSON),
    ("null", errors.BAD_JSON),
    ("[" * 4000 + "]" * 4000, errors.BAD_JSON),  # nesting deeper than the JSON parser allows
    ('{"type":"launch_missiles"}', errors.UNKNOWN_TYPE),
    ('{"text":"no type"}', errors.UNKNOWN_TYPE),
    ('{"type":"message","client_id":"m1"}', errors.INVALID_FRAME),
    ('{"type":"message","client_id":"m1","text":""}', errors.INVALID_FRAME),
    ('{"type":"message","client_id":"m1","text":["a"]}', errors.INVALID_FRAME),
    ('{"type":"typing","on":"yes"}', errors.INVALID_FRAME),
    ('{"type":"rating","score":0}', errors.INVALID_FRAME),
], ids=["text", "array", "null", "deep", "unknown", "no-type", "no-text", "empty-text", "text-list",
        "typing-str", "rating-0"])
async def test_bad_customer_frame_gets_an_error_and_the_socket_stays_open(bare_gateway: str, raw: str,
                                                                           code: str) -> None:
    c = await Customer.connect(bare_gateway)
    await c.ws.send(raw)
    err = await c.expect("error")
    assert err["code"] == code and err["message"]
    await still_serving(c)
    await c.close()


async def test_binary_frame_is_refused_as_bad_json(bare_gateway: str) -> None:
    c = await Customer.connect(bare_gateway)
    await c.ws.send(b'{"type":"ping"}')
    assert (await c.expect("error"))["code"] == errors.BAD_JSON
    await still_serving(c)


async def test_text_over_the_limit_is_invalid_and_never_echoed(bare_gateway: str) -> None:
    c = await Customer.connect(bare_gateway)
    await c.send(type="message", client_id="long1", text="Z" * 2001)
    err = await c.expect("error")
    assert err["code"] == errors.INVALID_FRAME and err["ref"] == "long1" and "ZZZ" not in json.dumps(err)
    assert c.messages() == []  # nothing stored, nothing delivered


async def test_frame_over_8_kib_is_dropped_with_frame_too_large(bare_gateway: str) -> None:
    c = await Customer.connect(bare_gateway)
    await c.send(type="message", client_id="big1", text="x" * 1000, padding="p" * 9000)
    assert (await c.expect("error"))["code"] == errors.FRAME_TOO_LARGE
    await still_serving(c)


async def test_frame_over_64_kib_closes_the_socket_with_1009(bare_gateway: str) -> None:
    c = await Customer.connect(bare_gateway)
    await c.ws.send("x" * (protocol.HARD_FRAME_BYTES + 10))
    with pytest.raises(ConnectionClosed):
        await c.recv()
    assert c.ws.close_code == errors.WS_1009_MESSAGE_TOO_BIG


async def test_flood_is_rate_limited_then_closed_with_1008(bare_gateway: str) -> None:
    c = await Customer.connect(bare_gateway)
    for _ in range(protocol.RATE_BURST + protocol.MAX_RATE_VIOLATIONS + 10):
        try:
            await c.ws.send('{"type":"ping"}')
        except ConnectionClosed:
            break
    codes = []
    try:
        while True:
            codes.append((await c.recv()).get("code"))
    except ConnectionClosed:
        pass
    limited = [x for x in c.seen if x.get("code") == errors.RATE_LIMITED]
    assert limited and all(x["retry_after_ms"] > 0 for x in limited)
    assert c.ws.close_code == errors.WS_1008_POLICY_VIOLATION


async def test_a_few_frames_too_fast_are_limited_but_the_socket_survives(bare_gateway: str) -> None:
    c = await Customer.connect(bare_gateway)
    for _ in range(protocol.RATE_BURST + 3):
        await c.ws.send('{"type":"ping"}')
    frames = [await c.recv() for _ in range(protocol.RATE_BURST + 3)]
    assert sum(1 for f in frames if f.get("code") == errors.RATE_LIMITED) >= 2
    await asyncio.sleep(1.0)
    await still_serving(c)


async def test_frames_before_hello_are_refused_with_bad_state(bare_gateway: str) -> None:
    ws = await raw_socket(bare_gateway)
    await ws.send(json.dumps({"type": "message", "client_id": "early", "text": "hi"}))
    err = await next_json(ws)
    assert err["code"] == errors.BAD_STATE and err["ref"] == "early"
    await ws.send(json.dumps({"type": "hello"}))
    assert (await next_json(ws))["type"] == "welcome"
    await ws.close()


async def test_second_hello_on_one_socket_is_refused(bare_gateway: str) -> None:
    c = await Customer.connect(bare_gateway)
    await c.send(type="hello")
    assert (await c.expect("error"))["code"] == errors.BAD_STATE


async def test_no_hello_in_time_closes_with_1008(bare_gateway: str) -> None:
    ws = await raw_socket(bare_gateway)
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(ws.recv(), protocol.HELLO_TIMEOUT_S + WAIT)
    assert ws.close_code == errors.WS_1008_POLICY_VIOLATION


async def test_wrong_token_is_unauthorized_and_three_strikes_close(bare_gateway: str) -> None:
    first = await Customer.connect(bare_gateway)
    ws = await raw_socket(bare_gateway)
    for _ in range(protocol.MAX_FAILED_HELLOS):
        await ws.send(json.dumps({"type": "hello", "conversation_id": first.cid, "token": "guess"}))
        assert (await next_json(ws))["code"] == errors.UNAUTHORIZED
    with pytest.raises(ConnectionClosed):
        await next_json(ws)
    assert ws.close_code == errors.WS_1008_POLICY_VIOLATION


async def test_unknown_conversation_is_not_found_and_a_fresh_hello_still_works(bare_gateway: str) -> None:
    ws = await raw_socket(bare_gateway)
    await ws.send(json.dumps({"type": "hello", "conversation_id": "0" * 32, "token": "t"}))
    assert (await next_json(ws))["code"] == errors.NOT_FOUND
    await ws.send(json.dumps({"type": "hello"}))
    assert (await next_json(ws))["type"] == "welcome"


async def test_forged_or_expired_customer_context_is_refused(bare_gateway: str) -> None:
    forged = sign_context({"name": "Mallory", "customer_id": "C-1"}, "not-the-secret")
    expired = sign_context({"name": "Ada"}, bare_gateway.context_secret, ttl_s=-10)  # type: ignore[attr-defined]
    for context in (forged, expired, "garbage", "a.b"):
        ws = await raw_socket(bare_gateway)
        await ws.send(json.dumps({"type": "hello", "context": context}))
        err = await next_json(ws)
        assert err["code"] == errors.UNAUTHORIZED and "Mallory" not in err["message"]
        await ws.close()


async def test_valid_context_reaches_the_conversation(bare_gateway: str) -> None:
    context = sign_context({"name": "Ada", "customer_id": "C-9", "cards": [{"last_four": "1234"}]},
                           bare_gateway.context_secret)  # type: ignore[attr-defined]
    c = await Customer.connect(bare_gateway, context=context)
    assert c.welcome["state"] == "bot" and c.welcome["token"]


async def test_foreign_origin_is_refused_before_the_upgrade(bare_gateway: str) -> None:
    with pytest.raises(InvalidStatusCode) as info:
        await raw_socket(bare_gateway, origin="https://evil.example")
    assert info.value.status_code == 403
    port = bare_gateway.rsplit(":", 1)[1]
    ok = await raw_socket(bare_gateway, origin=f"http://127.0.0.1:{port}")  # the gateway's own origin
    await ok.close()


async def test_agent_socket_without_a_session_gets_unauthorized_and_4401(bare_gateway: str) -> None:
    ws = await raw_socket(bare_gateway, "/ws/agent", extra_headers={"Cookie": "tandem_session=forged"})
    assert (await next_json(ws))["code"] == errors.UNAUTHORIZED
    with pytest.raises(ConnectionClosed):
        await next_json(ws)
    assert ws.close_code == errors.WS_4401_SESSION_EXPIRED


async def test_bad_agent_frames_get_precise_errors(bare_gateway: str) -> None:
    agent = await Agent.connect(bare_gateway, "sam")
    c = await Customer.connect(bare_gateway)
    cases = [
        ({"type": "claim", "conversation_id": "0" * 32}, errors.NOT_FOUND),
        ({"type": "claim", "conversation_id": c.cid}, errors.BAD_STATE),  # bot mode, not queued
        ({"type": "message", "conversation_id": c.cid, "client_id": "r1", "text": "hi"}, errors.BAD_STATE),
        ({"type": "handback", "conversation_id": c.cid}, errors.BAD_STATE),
        ({"type": "open", "conversation_id": c.cid}, errors.FORBIDDEN),
        ({"type": "transfer", "conversation_id": c.cid, "to": "nobody"}, errors.NOT_FOUND),
        ({"type": "claim", "conversation_id": "not-an-id"}, errors.INVALID_FRAME),
        ({"type": "request_human"}, errors.UNKNOWN_TYPE),
    ]
    for frame, code in cases:
        await agent.ws.send(json.dumps(frame))
        err = await agent.expect("error")
        assert err["code"] == code, (frame, err)


async def test_rating_before_close_is_bad_state(bare_gateway: str) -> None:
    c = await Customer.connect(bare_gateway)
    await c.send(type="rating", score=5)
    assert (await c.expect("error"))["code"] == errors.BAD_STATE


async def test_login_api_rejects_bad_bodies_and_foreign_origins(bare_gateway: str) -> None:
    def post(body: bytes, headers: dict[str, str]) -> int:
        req = urllib.request.Request(bare_gateway + "/api/login", method="POST", data=body, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=WAIT) as resp:
                return resp.status
        except urllib.error.HTTPError as exc:
            return exc.code

    assert await asyncio.to_thread(post, b"{nope", {"Content-Type": "application/json"}) == 400
    assert await asyncio.to_thread(post, b'{"username":"sam"}', {"Content-Type": "application/json"}) == 400
    assert await asyncio.to_thread(post, b"username=sam", {"Content-Type": "text/plain"}) == 400
    good = json.dumps({"username": "sam", "password": "sam-password-123"}).encode()
    assert await asyncio.to_thread(post, good, {"Content-Type": "application/json",
                                                "Origin": "https://evil.example"}) == 403


async def test_the_gateway_is_healthy_after_all_of_the_above(bare_gateway: str) -> None:
    def health() -> dict:
        with urllib.request.urlopen(bare_gateway + "/health", timeout=WAIT) as resp:
            return json.loads(resp.read())

    assert (await asyncio.to_thread(health))["status"] == "ok"
    assert bare_gateway.proc.poll() is None  # type: ignore[attr-defined]
    c = await Customer.connect(bare_gateway)
    await still_serving(c)
