"""Rasa's socket.io wire ↔ Tandem's customer frames, with plain function calls (no sockets, no Redis)."""
from __future__ import annotations

import json

import pytest

from handoff.core import errors, protocol
from handoff.core.rasa_wire import (
    ERROR_EVENT,
    TYPING_EVENT,
    RasaWire,
    WireConfig,
    parse_session_id,
    session_id,
)

CID, TOKEN = "0123456789abcdef0123456789abcdef", "tok_-" * 8
PERSISTENT = WireConfig(session_persistence=True)


def wire(config: WireConfig = PERSISTENT) -> RasaWire:
    return RasaWire(config, "conn1")


def test_config_is_rasas_defaults_then_credentials_then_settings() -> None:
    assert WireConfig.resolve(None) == WireConfig()
    assert WireConfig().user_message_evt == "user_uttered" and not WireConfig().session_persistence
    creds = {"user_message_evt": "say", "bot_message_evt": "hear", "session_persistence": True, "jwt_key": None}
    config = WireConfig.resolve(creds, bot_message_evt="answer", session_persistence=None)
    assert (config.user_message_evt, config.bot_message_evt, config.session_persistence) == ("say", "answer", True)
    with pytest.raises(ValueError, match="user_message_evt"):
        WireConfig.resolve({"user_message_evt": ""})
    with pytest.raises(TypeError, match="session_persistence"):
        WireConfig.resolve({"session_persistence": "yes"})


def test_a_session_id_carries_the_conversation_and_its_token() -> None:
    assert parse_session_id(session_id(CID, TOKEN)) == (CID, TOKEN)
    for bad in (None, 42, "", CID, "a1b2c3", CID + ".", CID.upper() + "." + TOKEN, CID + ".x y z" * 4):
        assert parse_session_id(bad) is None


def test_session_request_resumes_with_persistence_and_starts_afresh_without() -> None:
    w = wire()
    assert w.hello({"session_id": session_id(CID, TOKEN)}) == {"type": "hello", "conversation_id": CID,
                                                                "token": TOKEN}
    assert w.events({"type": "welcome", "conversation_id": CID, "resumed": True}) == [
        ("session_confirm", session_id(CID, TOKEN))]
    plain = wire(WireConfig())
    assert plain.hello({"session_id": session_id(CID, TOKEN)}) == {"type": "hello"}
    assert plain.events({"type": "welcome", "conversation_id": "f" * 32, "token": "new-token-123456789",
                         "resumed": False}) == [("session_confirm", "f" * 32 + ".new-token-123456789")]


def test_a_failed_resume_becomes_a_new_conversation_keeping_the_signed_context() -> None:
    w = wire()
    w.hello({"session_id": session_id(CID, TOKEN), "customData": {"tandem_context": "signed.ctx"}})
    assert w.fresh_hello() == {"type": "hello", "context": "signed.ctx"}
    assert w.events({"type": "welcome", "conversation_id": "f" * 32, "token": "t" * 43, "resumed": False}) == [
        ("session_confirm", "f" * 32 + "." + "t" * 43)]


def test_the_signed_context_is_read_from_custom_data_of_session_request_or_the_first_message() -> None:
    w = wire()
    assert w.hello({"metadata": {"tandem_context": "a.b"}}) == {"type": "hello", "context": "a.b"}
    assert w.late_context({"customData": {"tandem_context": "c.d"}}) is None  # session_request had one
    late = wire()
    assert late.hello({"customData": {"name": "Mallory", "context": "x.y"}}) == {"type": "hello"}  # unsigned
    assert late.late_context({"message": "hi", "customData": {"tandem_context": "c.d"}}) == "c.d"
    assert late.late_context({"customData": {"tandem_context": "e.f"}}) is None  # only the first message's
    assert wire().late_context({"customData": {"tandem_context": {"name": "Ada"}}}) == "invalid"
    plain = wire()
    assert plain.auto_hello({"message": "hi", "customData": {"tandem_context": "g.h"}}) == {
        "type": "hello", "context": "g.h"}
    assert plain.late_context({"customData": {"tandem_context": "i.j"}}) is None


def test_user_messages_become_native_frames_that_the_native_validation_accepts() -> None:
    w = wire()
    first = protocol.parse_frame(w.user_uttered({"message": " hello ", "session_id": "x"}), "customer")
    second = protocol.parse_frame(w.user_uttered({"message": "again"}), "customer")
    assert first == {"type": "message", "client_id": "sio.conn1.1", "text": "hello"}
    assert second["client_id"] == "sio.conn1.2"


@pytest.mark.parametrize(("data", "code"), [
    (["a", "list"], errors.BAD_JSON), ("text", errors.BAD_JSON), (None, errors.BAD_JSON),
    ({"message": 42}, errors.INVALID_FRAME), ({}, errors.INVALID_FRAME), ({"message": "   "}, errors.INVALID_FRAME),
    ({"message": "x" * (protocol.MAX_TEXT_CHARS + 1)}, errors.INVALID_FRAME),
    ({"message": "x" * (protocol.MAX_FRAME_BYTES + 1)}, errors.FRAME_TOO_LARGE),
])
def test_bad_user_messages_are_refused_by_the_native_validation(data: object, code: str) -> None:
    with pytest.raises(errors.TandemError) as refused:
        protocol.parse_frame(wire().user_uttered(data), "customer")
    assert refused.value.code == code


def test_buttons_are_quick_replies_on_the_last_part_and_a_click_is_stored_under_its_title() -> None:
    w = wire()
    msg = {"seq": 3, "sender": "bot", "text": "Which card?\n\nPick one.",
           "buttons": [{"title": "Debit", "payload": "/choose_debit"}]}
    assert w.bot_uttered(msg) == [
        {"text": "Which card?"},
        {"text": "Pick one.", "quick_replies": [{"content_type": "text", "title": "Debit", "payload": "/choose_debit"}]}]
    clicked = json.loads(w.user_uttered({"message": "/choose_debit"}))
    assert (clicked["text"], clicked["payload"]) == ("Debit", "/choose_debit")
    typed = json.loads(w.user_uttered({"message": "/unknown_intent"}))
    assert (typed["text"], typed["payload"]) == ("/unknown_intent", "/unknown_intent")


def test_images_attachments_and_custom_payloads_in_rasas_shapes() -> None:
    w = wire()
    assert w.bot_uttered({"sender": "bot", "image": "https://x/y.png"}) == [
        {"attachment": {"type": "image", "payload": {"src": "https://x/y.png"}}}]
    assert w.bot_uttered({"sender": "bot", "attachment": {"type": "file", "payload": {"src": "f"}}}) == [
        {"attachment": {"type": "file", "payload": {"src": "f"}}}]
    assert w.bot_uttered({"sender": "bot", "custom": {"data": {"a": 1}}}) == [{"a": 1}]  # Rasa emits custom["data"]
    assert w.bot_uttered({"sender": "bot", "custom": {"a": 1}}) == [{"a": 1}]


def test_agents_are_named_customers_are_not_echoed_and_system_actions_are_quick_replies() -> None:
    w = wire()
    assert w.bot_uttered({"sender": "agent", "text": "Hi", "agent_name": "Sam"}) == [
        {"text": "Hi", "metadata": {"sender": "agent", "agent_name": "Sam"}}]
    assert w.bot_uttered({"sender": "customer", "text": "me"}) == []
    note = w.bot_uttered({"sender": "system", "text": "Nobody is online.",
                          "actions": [protocol.ACTION_STAY, protocol.ACTION_LEAVE_MESSAGE]})
    assert [r["payload"] for r in note[0]["quick_replies"]] == ["/tandem_stay_in_queue", "/tandem_leave_message"]


def test_tandem_quick_replies_become_request_human_rating_and_callback_frames() -> None:
    w = wire()
    assert json.loads(w.user_uttered({"message": "/tandem_request_human"})) == {"type": "request_human"}
    assert json.loads(w.user_uttered({"message": '/tandem_rating{"score":4}'})) == {"type": "rating", "score": 4}
    assert json.loads(w.user_uttered({"message": "/tandem_leave_message"}))["type"] == "ping"
    assert json.loads(w.user_uttered({"message": "Call me on 0123"})) == {"type": "callback", "text": "Call me on 0123"}
    assert json.loads(w.user_uttered({"message": "next"}))["type"] == "message"
    (event, ask), = w.events({"type": "rating_request"})
    assert event == "bot_uttered" and [r["title"] for r in ask["quick_replies"]] == ["1", "2", "3", "4", "5"]


def test_events_for_native_frames_use_the_configured_bot_event() -> None:
    w = wire(WireConfig(bot_message_evt="answer"))
    assert w.events({"type": "message", "sender": "bot", "text": "ok"}) == [("answer", {"text": "ok"})]
    assert w.events({"type": "typing", "sender": "agent", "on": True}) == [(TYPING_EVENT, {"sender": "agent", "on": True})]
    assert w.events({"type": "error", "code": "rate_limited", "message": "slow", "retry_after_ms": 9, "ref": "x"}) == [
        (ERROR_EVENT, {"code": "rate_limited", "message": "slow", "retry_after_ms": 9})]
    for silent in ("ack", "pong", "state"):
        assert w.events({"type": silent}) == []
