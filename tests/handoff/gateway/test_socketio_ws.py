"""Rasa's socket.io wire against a real gateway process and Redis, with python-socketio's own client: the
session handshake and its persistence, quick replies, custom payloads, agents, rating, bad frames, Origin."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import socketio
import websockets

from handoff import settings as settings_mod
from handoff.core import errors
from handoff.core.context import sign_context
from handoff.core.protocol import HARD_FRAME_BYTES, MAX_TEXT_CHARS
from handoff.core.rasa_wire import ERROR_EVENT, WireConfig, parse_session_id
from handoff.gateway.socketio_ws import wire_config
from handoff.storage import store as store_mod
from tests.handoff.clients import BOT_WAIT, Agent
from tests.handoff.gateway.sio_client import RasaClient, close_all
from tests.handoff.rasa_tracker import tracker_events


@pytest.fixture(autouse=True)
async def _close_sio_clients() -> AsyncIterator[None]:
    yield
    await close_all()


async def gateway_store(gw: str) -> store_mod.Store:
    return store_mod.Store(await store_mod.connect(gw.redis_url), conversation_ttl_s=3600)  # type: ignore[attr-defined]


def has_reply(title: str):  # type: ignore[no-untyped-def]
    return lambda d: isinstance(d, dict) and title in [r["title"] for r in d.get("quick_replies") or []]


async def test_session_request_is_confirmed_with_a_session_that_names_a_stored_conversation(bare_gateway: str) -> None:
    c = await RasaClient().connect(bare_gateway)
    session = await c.session()
    cid, _ = parse_session_id(session) or ("", "")
    store = await gateway_store(bare_gateway)
    try:
        assert (await store.get(cid))["state"].value == "bot"  # type: ignore[index]
        await c.say("hello?")  # no model: the bot is unavailable, and says so with Rasa's quick replies
        note = await c.expect("bot_uttered", has_reply("Talk to a person"))
        assert note["quick_replies"][0] == {"content_type": "text", "title": "Talk to a person",
                                            "payload": "/tandem_request_human"}
        assert [m["text"] for m in await store.read_log(cid, 0) if m["sender"] == "customer"] == ["hello?"]
    finally:
        await store.r.close()


async def test_a_reload_resumes_the_conversation_and_gets_only_what_it_missed(bare_gateway: str) -> None:
    c = await RasaClient().connect(bare_gateway)
    session = await c.session()
    await c.say("hello?")
    await c.expect("bot_uttered", has_reply("Talk to a person"))
    # A clean close, which the gateway hears at once (a polling client that vanishes is only noticed at the
    # ping timeout; what is written to it until then counts as sent: docs/rasa-webchat.md).
    await c.sio.disconnect()
    store = await gateway_store(bare_gateway)
    cid = session.split(".")[0]
    try:  # while the page reloads, the desk writes to the customer (an agent, a system note)
        await store.append(cid, {"sender": "bot", "text": "Sent while you were away."})
    finally:
        await store.r.close()
    again = await RasaClient().connect(bare_gateway)
    assert await again.session(session) == session
    await again.text("Sent while you were away.")
    assert not [d for e, d in await again.quiet(0.5) if e == "bot_uttered"]  # nothing it had, again


async def test_an_unknown_or_forged_session_gets_a_new_conversation(bare_gateway: str) -> None:
    c = await RasaClient().connect(bare_gateway)
    real = await c.session()
    forged = real.split(".")[0] + ".not-the-token-of-this-chat"
    for asked in (forged, "a1b2c3d4e5f6", None):
        other = await RasaClient().connect(bare_gateway)
        confirmed = await other.session(asked)
        assert confirmed not in (real, asked) and parse_session_id(confirmed)


async def test_buttons_become_quick_replies_and_a_click_is_stored_under_its_title(bare_gateway: str) -> None:
    c = await RasaClient().connect(bare_gateway)
    cid = (await c.session()).split(".")[0]
    store = await gateway_store(bare_gateway)
    try:
        await store.append(cid, {"sender": "bot", "text": "Which card?\n\nPick one.",
                                 "buttons": [{"title": "Debit", "payload": '/choose{"card":"debit"}'}]})
        first = await c.text("Which card?")
        last = await c.text("Pick one.")
        assert "quick_replies" not in first
        assert last["quick_replies"] == [{"content_type": "text", "title": "Debit", "payload": '/choose{"card":"debit"}'}]
        await c.say('/choose{"card":"debit"}')
        await c.expect("bot_uttered", has_reply("Talk to a person"))  # the answer (no model here)
        said = [m for m in await store.read_log(cid, 0) if m["sender"] == "customer"]
        assert said[-1]["text"] == "Debit"
    finally:
        await store.r.close()


async def test_custom_payloads_images_and_attachments_arrive_in_rasas_shapes(bare_gateway: str) -> None:
    c = await RasaClient().connect(bare_gateway)
    cid = (await c.session()).split(".")[0]
    store = await gateway_store(bare_gateway)
    try:
        await store.append(cid, {"sender": "bot", "custom": {"data": {"map": {"lat": 51.5, "lon": -0.1}}}})
        await store.append(cid, {"sender": "bot", "custom": {"kind": "card_picker"}})
        await store.append(cid, {"sender": "bot", "text": "Our branch", "image": "https://example.com/b.png"})
        assert await c.expect("bot_uttered", lambda d: "map" in d) == {"map": {"lat": 51.5, "lon": -0.1}}
        assert await c.expect("bot_uttered", lambda d: "kind" in d) == {"kind": "card_picker"}
        assert (await c.text("Our branch")) == {"text": "Our branch"}
        image = await c.expect("bot_uttered", lambda d: "attachment" in d)
        assert image == {"attachment": {"type": "image", "payload": {"src": "https://example.com/b.png"}}}
    finally:
        await store.r.close()


async def test_handover_agent_reply_with_name_close_and_rating_by_quick_reply(bare_gateway: str) -> None:
    sam = await Agent.connect(bare_gateway, "sam")
    c = await RasaClient().connect(bare_gateway)
    cid = (await c.session()).split(".")[0]
    await c.say("/tandem_request_human")
    await c.expect("bot_uttered", lambda d: "queue" in str(d.get("text")) or "online" in str(d.get("text")))
    await sam.do("claim", conversation_id=cid)
    await sam.expect("claimed", conversation_id=cid)
    await c.text("Sam has joined the chat.")
    await sam.reply(cid, "Hi, I'm Sam. How can I help?")
    reply = await c.text("How can I help?")
    assert reply["metadata"] == {"sender": "agent", "agent_name": "Sam"}
    await c.say("my card is blocked")
    await sam.expect("message", conversation_id=cid, sender="customer", text="my card is blocked")
    await sam.do("close", conversation_id=cid, resolution="resolved")
    ask = await c.expect("bot_uttered", has_reply("5"))
    await c.say(ask["quick_replies"][4]["payload"])
    await c.text("Thank you for your feedback.")


ADA = {"name": "Ada Lovelace", "customer_id": "C-1815",
       "cards": [{"last_four": "1234", "type": "debit", "label": "Everyday debit"}]}


async def test_a_signed_context_in_custom_data_makes_the_customer_known_to_the_desk(bare_gateway: str) -> None:
    context = sign_context(ADA, bare_gateway.context_secret)  # type: ignore[attr-defined]
    sam = await Agent.connect(bare_gateway, "sam")
    c = await RasaClient().connect(bare_gateway)
    cid = (await c.session()).split(".")[0]  # rasa-webchat: customData comes only with the messages
    await c.say("hello?", customData={"tandem_context": context, "language": "en", "name": "Mallory"})
    await c.expect("bot_uttered", has_reply("Talk to a person"))
    await c.say("/tandem_request_human", customData={"tandem_context": "not.checked-again"})
    alert = await sam.expect("escalation")
    assert alert["item"]["customer"] == {"name": "Ada Lovelace", "customer_id": "C-1815"}
    await sam.do("claim", conversation_id=cid)
    claimed = await sam.expect("claimed", conversation_id=cid)
    assert claimed["conversation"]["customer"] == ADA  # only what was signed: not customData's "name"
    store = await gateway_store(bare_gateway)
    try:
        assert (await store.get(cid))["customer"] == ADA  # type: ignore[index]
        assert [m["text"] for m in await store.read_log(cid, 0) if m["sender"] == "customer"] == ["hello?"]
    finally:
        await store.r.close()


async def test_a_signed_context_in_session_request_and_unsigned_custom_data(bare_gateway: str) -> None:
    context = sign_context(ADA, bare_gateway.context_secret)  # type: ignore[attr-defined]
    signed = await RasaClient().connect(bare_gateway)
    await signed.sio.emit("session_request", {"session_id": None, "customData": {"tandem_context": context}})
    signed_cid = str(await signed.expect("session_confirm")).split(".")[0]
    plain = await RasaClient().connect(bare_gateway)
    plain_cid = (await plain.session()).split(".")[0]
    await plain.say("hi", customData={"name": "Mallory", "customer_id": "C-1", "cards": [{"last_four": "9999"}]})
    await plain.expect("bot_uttered", has_reply("Talk to a person"))
    store = await gateway_store(bare_gateway)
    try:
        assert (await store.get(signed_cid))["customer"] == ADA  # type: ignore[index]
        assert (await store.get(plain_cid))["customer"] == {}  # type: ignore[index]
    finally:
        await store.r.close()


async def test_a_forged_or_expired_context_in_custom_data_is_refused_like_the_native_hellos(
        bare_gateway: str) -> None:
    forged = sign_context({"name": "Mallory", "customer_id": "C-1"}, "not-the-secret")
    expired = sign_context(ADA, bare_gateway.context_secret, ttl_s=-10)  # type: ignore[attr-defined]
    store = await gateway_store(bare_gateway)
    try:
        for context in (forged, expired, 42):
            c = await RasaClient().connect(bare_gateway)
            cid = (await c.session()).split(".")[0]
            await c.say("I am Mallory", customData={"tandem_context": context})
            refused = await c.expect(ERROR_EVENT)
            assert refused == {"code": errors.UNAUTHORIZED, "message": "the customer context is invalid or expired"}
            await c.expect("disconnect")
            conv = await store.get(cid)
            assert conv is not None and conv["customer"] == {} and await store.read_log(cid, 0) == []
        early = await RasaClient().connect(bare_gateway)  # in session_request: refused as the hello is
        await early.sio.emit("session_request", {"customData": {"tandem_context": forged}})
        assert (await early.expect(ERROR_EVENT))["code"] == errors.UNAUTHORIZED
        await early.expect("disconnect")
        assert not [e for e, _ in early.events if e == "session_confirm"]
    finally:
        await store.r.close()


async def test_bad_frames_get_error_events_and_the_socket_stays_open(bare_gateway: str) -> None:
    c = await RasaClient().connect(bare_gateway)
    await c.session()
    await c.sio.emit("user_uttered", ["not", "an", "object"])
    assert (await c.expect(ERROR_EVENT))["code"] == errors.BAD_JSON
    await c.sio.emit("user_uttered", {"message": 42})
    assert (await c.expect(ERROR_EVENT))["code"] == errors.INVALID_FRAME
    await c.sio.emit("user_uttered", {"session_id": "x"})
    assert (await c.expect(ERROR_EVENT))["code"] == errors.INVALID_FRAME
    await c.say("x" * (MAX_TEXT_CHARS + 1))
    assert (await c.expect(ERROR_EVENT))["code"] == errors.INVALID_FRAME
    await c.say("x" * 9000)
    assert (await c.expect(ERROR_EVENT))["code"] == errors.FRAME_TOO_LARGE
    await c.say("still here?")
    await c.expect("bot_uttered", has_reply("Talk to a person"))
    assert c.sio.connected


async def test_a_frame_above_the_hard_limit_is_refused_before_it_reaches_the_conversation(bare_gateway: str) -> None:
    c = await RasaClient().connect(bare_gateway)
    cid = (await c.session()).split(".")[0]
    await c.say("x" * (HARD_FRAME_BYTES + 10))  # polling: HTTP 413 (websocket: close 1009, as natively)
    await asyncio.sleep(1.0)
    store = await gateway_store(bare_gateway)
    try:
        assert await store.read_log(cid, 0) == []
    finally:
        await store.r.close()


async def test_flooding_is_rate_limited_like_the_native_socket(bare_gateway: str) -> None:
    c = await RasaClient().connect(bare_gateway)
    await c.session()
    for _ in range(30):  # one at a time: Engine.IO itself refuses a poll carrying more than 16 packets
        await c.sio.emit("user_uttered", {"message": 7})  # invalid, so no turns are started
        await asyncio.sleep(0.02)
    limited = await c.expect(ERROR_EVENT, lambda d: d["code"] == errors.RATE_LIMITED)
    assert limited["retry_after_ms"] > 0


async def test_a_foreign_origin_is_refused_and_the_gateways_own_is_not(bare_gateway: str) -> None:
    with pytest.raises(socketio.exceptions.ConnectionError):  # the Engine.IO handshake got 400
        await RasaClient().connect(bare_gateway, origin="https://evil.example")
    own = await RasaClient().connect(bare_gateway, origin=bare_gateway)
    assert parse_session_id(await own.session())


async def test_a_foreign_origin_cannot_open_the_websocket_transport_either(bare_gateway: str) -> None:
    url = bare_gateway.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
    with pytest.raises(websockets.exceptions.InvalidStatusCode) as refused:
        await websockets.connect(url, origin="https://evil.example")  # type: ignore[arg-type]
    assert refused.value.status_code == 400
    ws = await websockets.connect(url, origin=bare_gateway)  # type: ignore[arg-type]
    try:
        assert (await asyncio.wait_for(ws.recv(), 5)).startswith("0{")  # Engine.IO v4 "open"
    finally:
        await ws.close()


@pytest.mark.model
async def test_the_signed_context_reaches_the_assistants_metadata(live_gateway: str) -> None:
    c = await RasaClient().connect(live_gateway)
    cid = (await c.session()).split(".")[0]
    context = sign_context(ADA, live_gateway.context_secret)  # type: ignore[attr-defined]
    await c.say("hello", customData={"tandem_context": context, "page": "/cards"})
    await c.expect("bot_uttered", timeout=BOT_WAIT)
    users = [e for e in tracker_events(live_gateway.redis_url, cid) if e["event"] == "user"]  # type: ignore[attr-defined]
    assert users[0]["metadata"]["customer"] == ADA
    assert "page" not in str(users[0]["metadata"])  # customData's unsigned rest is not passed on


@pytest.mark.model
async def test_the_bot_answers_over_socketio(live_gateway: str) -> None:
    c = await RasaClient().connect(live_gateway)
    await c.session()
    await c.say("hello")
    answer = await c.expect("bot_uttered", timeout=BOT_WAIT)
    assert answer["text"]
    await asyncio.sleep(0)


def test_credentials_yml_configures_the_channel_the_rasa_way_and_settings_override_it(tmp_path: Path) -> None:
    creds = tmp_path / "credentials.yml"
    creds.write_text("rest:\nsocketio:\n  user_message_evt: say\n  bot_message_evt: hear\n"
                     "  session_persistence: true\n  socketio_path: /chat.io\n")
    env = {"CREDENTIALS_PATH": str(creds), "SOCKETIO_BOT_MESSAGE_EVT": "answer"}
    config = wire_config(settings_mod.load(env=env, dotenv=tmp_path / "none"))
    assert (config.user_message_evt, config.bot_message_evt, config.session_persistence, config.socketio_path) == (
        "say", "answer", True, "/chat.io")
    off = settings_mod.load(env={**env, "SOCKETIO_SESSION_PERSISTENCE": "false"}, dotenv=tmp_path / "none")
    assert wire_config(off).session_persistence is False
    missing = settings_mod.load(env={"CREDENTIALS_PATH": str(tmp_path / "absent.yml")}, dotenv=tmp_path / "none")
    assert wire_config(missing) == WireConfig()
    assert wire_config(settings_mod.load(env={}, dotenv=tmp_path / "none")).session_persistence  # the repo's file


@pytest.mark.model
async def test_a_socketio_customer_and_an_agent_on_another_instance_meet_through_redis(
        live_gateway: str, live_gateway_b: str) -> None:
    sam = await Agent.connect(live_gateway, "sam")
    c = await RasaClient().connect(live_gateway_b)
    session = await c.session()
    cid = session.split(".")[0]
    await c.say("/tandem_request_human")
    await sam.expect("escalation", timeout=BOT_WAIT)
    await sam.do("claim", conversation_id=cid)
    await sam.expect("claimed", conversation_id=cid)
    await c.text("Sam has joined the chat.")
    await sam.reply(cid, "Hello from the other instance.")
    assert (await c.text("other instance"))["metadata"]["agent_name"] == "Sam"
    await c.close()
    again = await RasaClient().connect(live_gateway)  # the reload lands on the agent's instance
    assert await again.session(session) == session
    await sam.reply(cid, "Still here.")
    await again.text("Still here.")
    await sam.do("close", conversation_id=cid, resolution="resolved")


NEW_CHATS_DB = 14  # a database of its own: the per-IP counter is the desk's, shared by every test on loopback


async def test_one_network_opens_only_so_many_new_socketio_chats_but_may_always_resume(
    redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from tests.reliability.conftest import start_bare
    from tests.support import stop

    gw = await asyncio.to_thread(start_bare, redis_url.rsplit("/", 1)[0] + f"/{NEW_CHATS_DB}",
                                 tmp_path_factory.mktemp("gateway-sio-newchats"), "gw-sio-newchats",
                                 NEW_CHATS_PER_IP="2", NEW_CHATS_WINDOW_S="600")
    try:
        first = await RasaClient().connect(gw)
        first_id = await first.session()
        await (await RasaClient().connect(gw)).session()
        extra = await RasaClient().connect(gw)
        await extra.sio.emit("session_request", {"session_id": None})
        refused = await extra.expect(ERROR_EVENT)
        assert refused["code"] == errors.RATE_LIMITED and refused["retry_after_ms"] > 0
        assert not [e for e, _ in await extra.quiet(0.3) if e == "session_confirm"]
        # The limit is on opening conversations, never on coming back to one's own.
        await first.close()
        back = await RasaClient().connect(gw)
        assert await back.session(first_id) == first_id
    finally:
        await asyncio.to_thread(stop, gw.proc)
