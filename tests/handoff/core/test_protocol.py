"""handoff.core.protocol: every client frame is validated; bad ones raise the documented error, never crash."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff.core import errors, protocol


def parse(frame: object, side: str = "customer") -> dict:
    return protocol.parse_frame(json.dumps(frame), side)  # type: ignore[arg-type]


def test_valid_customer_message_is_parsed_and_text_trimmed() -> None:
    out = parse({"type": "message", "client_id": "c-1", "text": "  hello  ", "extra": 1})
    assert out == {"type": "message", "client_id": "c-1", "text": "hello"}


def test_unknown_extra_keys_are_dropped_but_optional_fields_kept() -> None:
    out = parse({"type": "hello", "conversation_id": "a" * 32, "token": "t", "last_seq": 4, "x": {"y": 1}})
    assert out == {"type": "hello", "conversation_id": "a" * 32, "token": "t", "last_seq": 4}


@pytest.mark.parametrize("raw, code", [
    ("not json", errors.BAD_JSON),
    ("[1, 2]", errors.BAD_JSON),
    ('"hello"', errors.BAD_JSON),
    (b'{"type": "ping"}', errors.BAD_JSON),
    ('{"type": "shout"}', errors.UNKNOWN_TYPE),
    ('{"no_type": 1}', errors.UNKNOWN_TYPE),
    ('{"type": 5}', errors.UNKNOWN_TYPE),
    ('{"type": "message", "client_id": "c1"}', errors.INVALID_FRAME),
    ('{"type": "message", "client_id": "c1", "text": "   "}', errors.INVALID_FRAME),
    ('{"type": "message", "client_id": "c1", "text": 5}', errors.INVALID_FRAME),
    ('{"type": "message", "client_id": "bad id!", "text": "hi"}', errors.INVALID_FRAME),
    ('{"type": "typing", "on": 1}', errors.INVALID_FRAME),
    ('{"type": "rating", "score": 6}', errors.INVALID_FRAME),
    ('{"type": "rating", "score": true}', errors.INVALID_FRAME),
    ('{"type": "hello", "last_seq": -1}', errors.INVALID_FRAME),
    ('{"type": "hello", "conversation_id": "../../etc"}', errors.INVALID_FRAME),
])
def test_bad_customer_frames_raise_the_documented_code(raw: str | bytes, code: str) -> None:
    with pytest.raises(errors.TandemError) as info:
        protocol.parse_frame(raw, "customer")
    assert info.value.code == code
    assert info.value.to_frame()["type"] == "error"


def test_text_over_2000_characters_is_invalid_and_not_echoed() -> None:
    secret = "4111111111111111 " * 118  # ~2000+ chars, under the byte limit
    with pytest.raises(errors.InvalidFrame) as info:
        parse({"type": "message", "client_id": "c1", "text": secret})
    assert "4111" not in info.value.message


def test_frame_over_8_kib_is_too_large() -> None:
    with pytest.raises(errors.FrameTooLarge):
        protocol.parse_frame(json.dumps({"type": "message", "client_id": "c", "text": "é" * 4200}), "customer")


def test_error_ref_carries_the_client_id_of_the_offending_frame() -> None:
    with pytest.raises(errors.InvalidFrame) as info:
        parse({"type": "message", "client_id": "abc-1", "text": ""})
    assert info.value.to_frame()["ref"] == "abc-1"
    assert info.value.to_frame()["frame"] == "message"


def test_agent_frames_have_their_own_vocabulary() -> None:
    assert parse({"type": "claim", "conversation_id": "f" * 32}, "agent")["conversation_id"] == "f" * 32
    with pytest.raises(errors.UnknownType):
        parse({"type": "request_human"}, "agent")
    with pytest.raises(errors.InvalidFrame):
        parse({"type": "close", "conversation_id": "f" * 32, "resolution": "whatever"}, "agent")
    with pytest.raises(errors.InvalidFrame):
        parse({"type": "presence", "status": "busy"}, "agent")


def test_token_bucket_allows_a_burst_then_limits_then_refills() -> None:
    bucket = protocol.TokenBucket(rate=5, burst=20, now=0.0)
    assert all(bucket.take(0.0) == 0 for _ in range(20))
    wait = bucket.take(0.0)
    assert 150 <= wait <= 250
    assert bucket.take(1.0) == 0  # one second later, five more tokens


def test_token_bucket_flags_abuse_after_repeated_violations() -> None:
    bucket = protocol.TokenBucket(rate=5, burst=1, now=0.0)
    bucket.take(0.0)
    for _ in range(protocol.MAX_RATE_VIOLATIONS):
        bucket.take(0.0)
    assert bucket.abusive


def test_customer_view_hides_notes_and_agent_only_fields() -> None:
    note = {"seq": 3, "sender": "note", "text": "vip", "ts": 1}
    assert protocol.customer_view(note) is None
    msg = {"seq": 4, "sender": "customer", "text": "hi", "ts": 1, "emotions": {"anger": 0.9}, "negativity": 0.8,
           "intent": "greet", "agent": "sam"}
    assert protocol.customer_view(msg) == {"seq": 4, "sender": "customer", "text": "hi", "ts": 1}
    assert protocol.agent_view(msg)["negativity"] == 0.8


def test_server_frames_leave_out_absent_optional_fields() -> None:
    assert protocol.frame("welcome", conversation_id="x", token=None) == {"type": "welcome", "conversation_id": "x"}


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=300), st.binary(max_size=100),
                 st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                              lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
                              max_leaves=12).map(json.dumps)))
def test_any_input_either_parses_or_raises_a_tandem_error(raw: str | bytes) -> None:
    for side in ("customer", "agent"):
        try:
            out = protocol.parse_frame(raw, side)  # type: ignore[arg-type]
        except errors.TandemError as exc:
            assert exc.code in errors.ERROR_CODES
        else:
            assert out["type"] in protocol.SCHEMAS[side]


def test_docs_protocol_md_documents_every_frame_type_and_error_code() -> None:
    """docs/protocol.md is the contract third parties read: nothing the code accepts may be missing there."""
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[3] / "docs" / "protocol.md").read_text(encoding="utf-8")
    customer = doc[doc.index("## Customer socket"):doc.index("## Agent HTTP API")]
    agent = doc[doc.index("## Agent socket"):doc.index("## Shared objects")]
    for ftype, fields in protocol.CUSTOMER_FRAMES.items():
        assert f"| `{ftype}` |" in customer, ftype
        for name in fields:
            assert f"`{name}" in customer, (ftype, name)
    for ftype, fields in protocol.AGENT_FRAMES.items():
        assert f"| `{ftype}` |" in agent, ftype
        for name in fields:
            assert f"`{name}" in agent, (ftype, name)
    for code in errors.ERROR_CODES:
        assert f"| `{code}` |" in doc, code
    for close in (1000, 1008, 1009, 1011, 4401):
        assert f"| {close} |" in doc, close
    assert f"{protocol.MAX_FRAME_BYTES:,}".replace(",", " ") in doc
    assert f"{protocol.HARD_FRAME_BYTES:,}".replace(",", " ") in doc
