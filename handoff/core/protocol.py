"""The wire protocol of docs/protocol.md, with no I/O: frame vocabulary, limits, validation, views.

The socket handlers call `parse_frame(raw, side)` on every incoming frame and send what the builders here
return; nothing in this module touches a socket, Redis or a clock it was not given.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal, TypedDict

from handoff.core import errors

MAX_FRAME_BYTES = 8192
HARD_FRAME_BYTES = 65536  # websocket max_size: above it the connection closes with 1009
MAX_TEXT_CHARS = 2000
RATE_PER_S = 5.0
RATE_BURST = 20
MAX_RATE_VIOLATIONS = 30
HELLO_TIMEOUT_S = 10.0
MAX_FAILED_HELLOS = 3

ID_RE = re.compile(r"^[0-9a-f]{32}$")
CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.\-]{1,31}$")


class State(str, Enum):
    """Conversation states; the value is what Redis and JSON carry."""

    BOT = "bot"
    QUEUED = "queued"
    AGENT = "agent"
    CLOSED = "closed"


class Sender(str, Enum):
    CUSTOMER = "customer"
    BOT = "bot"
    AGENT = "agent"
    SYSTEM = "system"
    NOTE = "note"


RESOLUTIONS = ("resolved", "unresolved", "duplicate", "spam")
PRESENCE = ("online", "away")
Side = Literal["customer", "agent"]


class Message(TypedDict, total=False):
    """A transcript entry as stored and as sent (after `customer_view`/`agent_view`)."""

    seq: int
    sender: str
    text: str
    ts: int
    client_id: str
    agent: str
    agent_name: str
    buttons: list[dict[str, str]]
    actions: list[dict[str, str]]
    image: str  # a bot response's image URL
    attachment: dict[str, Any]  # a bot response's attachment, as Rasa's channels send it
    custom: dict[str, Any]  # a bot response's custom payload (not the handoff one, which the gateway acts on)
    event: str
    intent: str
    confidence: float
    emotions: dict[str, float]
    negativity: float
    while_queued: bool  # a bot answer given while a person is coming
    agent_text: str  # a system message's words for agents (console), never sent to the customer
    reading: dict[str, Any]  # the escalation policy's reading of a customer message (handoff/assistant/reading.py)


# ---------------------------------------------------------------- field specs and frame schemas


@dataclass(frozen=True)
class Field:
    """One field of a client frame: its JSON type, whether required, and its bounds."""

    kind: type | tuple[type, ...]
    required: bool = True
    max_len: int | None = None
    min_len: int = 0
    lo: int | None = None
    hi: int | None = None
    choices: tuple[str, ...] | None = None
    pattern: re.Pattern[str] | None = None
    strip: bool = False


def _text(required: bool = True) -> Field:
    return Field(str, required, max_len=MAX_TEXT_CHARS, min_len=1, strip=True)


_CONV = Field(str, pattern=ID_RE)
_CLIENT_ID = Field(str, pattern=CLIENT_ID_RE)

CUSTOMER_FRAMES: dict[str, dict[str, Field]] = {
    "hello": {
        "conversation_id": Field(str, False, pattern=ID_RE),
        "token": Field(str, False, max_len=128, min_len=1),
        "last_seq": Field(int, False, lo=0),
        "context": Field(str, False, max_len=6000, min_len=1),
        "locale": Field(str, False, max_len=35),
    },
    "message": {"client_id": _CLIENT_ID, "text": _text(), "payload": Field(str, False, max_len=500)},
    "typing": {"on": Field(bool)},
    "request_human": {},
    "callback": {"text": _text()},
    "rating": {"score": Field(int, lo=1, hi=5), "comment": Field(str, False, max_len=MAX_TEXT_CHARS, strip=True)},
    "ping": {},
}

AGENT_FRAMES: dict[str, dict[str, Field]] = {
    "hello": {},
    "presence": {"status": Field(str, choices=PRESENCE)},
    "claim": {"conversation_id": _CONV},
    "open": {"conversation_id": _CONV},
    "message": {"conversation_id": _CONV, "client_id": _CLIENT_ID, "text": _text()},
    "note": {"conversation_id": _CONV, "client_id": _CLIENT_ID, "text": _text()},
    "typing": {"conversation_id": _CONV, "on": Field(bool)},
    "transfer": {"conversation_id": _CONV, "to": Field(str, pattern=USERNAME_RE), "note": _text(required=False)},
    "handback": {"conversation_id": _CONV},
    "close": {"conversation_id": _CONV, "resolution": Field(str, choices=RESOLUTIONS)},
    "ping": {},
    "takeback": {"conversation_id": _CONV},  # issue #24: the agent who handed a chat back takes it again
    "merge": {"conversation_id": _CONV, "from": _CONV},  # issue #24: the customer's second live chat into this one
}

# The customer's thumbs on one bot answer (`seq`), with an optional "what was wrong" (docs/protocol.md).
FEEDBACK_VALUES = ("up", "down")
CUSTOMER_FRAMES["feedback"] = {"seq": Field(int, lo=1), "value": Field(str, choices=FEEDBACK_VALUES),
                               "comment": Field(str, False, max_len=500, strip=True)}

SCHEMAS: dict[str, dict[str, dict[str, Field]]] = {"customer": CUSTOMER_FRAMES, "agent": AGENT_FRAMES}


def _check_field(ftype: str, name: str, spec: Field, value: Any) -> Any:
    where = f"{ftype}.{name}"
    # bool is a subclass of int in Python; JSON true is not a number.
    if isinstance(value, bool) and spec.kind is not bool:
        raise errors.InvalidFrame(f"{where} must be {_kind_name(spec.kind)}", frame=ftype)
    if not isinstance(value, spec.kind):
        raise errors.InvalidFrame(f"{where} must be {_kind_name(spec.kind)}", frame=ftype)
    if isinstance(value, str):
        if spec.strip:
            value = value.strip()
        if spec.pattern is not None and not spec.pattern.match(value):
            raise errors.InvalidFrame(f"{where} has an invalid format", frame=ftype)
        if len(value) < spec.min_len or (spec.max_len is not None and len(value) > spec.max_len):
            hi = spec.max_len if spec.max_len is not None else "any"
            raise errors.InvalidFrame(f"{where} must be {spec.min_len}-{hi} characters", frame=ftype)
        if spec.choices is not None and value not in spec.choices:
            raise errors.InvalidFrame(f"{where} must be one of {', '.join(spec.choices)}", frame=ftype)
    if isinstance(value, int) and not isinstance(value, bool) and (
            (spec.lo is not None and value < spec.lo) or (spec.hi is not None and value > spec.hi)):
            raise errors.InvalidFrame(f"{where} must be between {spec.lo} and {spec.hi}", frame=ftype)
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", bool: "a boolean", float: "a number"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def parse_frame(raw: str | bytes, side: Side) -> dict[str, Any]:
    """Decode and validate one client frame for `side`; raise a TandemError subclass when it is bad.

    Returns a new dict holding `type` and only the known fields (cleaned: strings stripped where the spec
    says so). Unknown extra keys are dropped, as docs/protocol.md promises.
    """
    if isinstance(raw, (bytes, bytearray)):
        raise errors.BadJson("binary frames are not accepted; send JSON text frames")
    if len(raw) > MAX_FRAME_BYTES or len(raw.encode("utf-8")) > MAX_FRAME_BYTES:
        raise errors.FrameTooLarge(f"frame larger than {MAX_FRAME_BYTES} bytes")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise errors.BadJson("frame is not valid JSON") from None
    if not isinstance(data, dict):
        raise errors.BadJson("frame must be a JSON object")
    ref = data.get("client_id")
    ref = ref if isinstance(ref, str) and CLIENT_ID_RE.match(ref) else None
    ftype = data.get("type")
    schema = SCHEMAS[side]
    if not isinstance(ftype, str) or ftype not in schema:
        raise errors.UnknownType(f"unknown frame type; expected one of {', '.join(schema)}", ref=ref)
    out: dict[str, Any] = {"type": ftype}
    try:
        for name, spec in schema[ftype].items():
            if name not in data or data[name] is None:
                if spec.required:
                    raise errors.InvalidFrame(f"{ftype}.{name} is required", frame=ftype)
                continue
            out[name] = _check_field(ftype, name, spec, data[name])
    except errors.TandemError as exc:
        exc.ref = ref
        raise
    return out


# ---------------------------------------------------------------- rate limiting (clock injected)


class TokenBucket:
    """Per-connection token bucket; `now` is passed in so tests need no sleeping."""

    def __init__(self, rate: float = RATE_PER_S, burst: int = RATE_BURST, now: float = 0.0) -> None:
        self.rate, self.burst = rate, float(burst)
        self.tokens, self.stamp = float(burst), now
        self.violations = 0

    def take(self, now: float) -> int:
        """Spend one token; return 0 when allowed, else the milliseconds until one is available."""
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0
        self.violations += 1
        return max(1, int((1.0 - self.tokens) / self.rate * 1000))

    @property
    def abusive(self) -> bool:
        return self.violations >= MAX_RATE_VIOLATIONS


# ---------------------------------------------------------------- server frames


def encode(frame: dict[str, Any]) -> str:
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


def frame(ftype: str, **fields: Any) -> dict[str, Any]:
    """A server frame; None-valued fields are left out (optional fields are absent, never null)."""
    out: dict[str, Any] = {"type": ftype}
    out.update({k: v for k, v in fields.items() if v is not None})
    return out


def ack(client_id: str, seq: int) -> dict[str, Any]:
    return frame("ack", client_id=client_id, seq=seq)


def typing(sender: str, on: bool, conversation_id: str | None = None) -> dict[str, Any]:
    return frame("typing", conversation_id=conversation_id, sender=sender, on=on)


_CUSTOMER_FIELDS = ("seq", "sender", "text", "ts", "client_id", "agent_name", "buttons", "actions", "event",
                    "image", "attachment", "custom")
_AGENT_ONLY = ("agent", "intent", "confidence", "emotions", "negativity", "agent_text", "reading")


def customer_view(msg: Message) -> Message | None:
    """What a customer may see of a stored message; None for private notes."""
    if msg.get("sender") == Sender.NOTE.value:
        return None
    return {k: msg[k] for k in _CUSTOMER_FIELDS if k in msg and msg[k] is not None}  # type: ignore[misc]


def agent_view(msg: Message) -> Message:
    return {k: msg[k] for k in _CUSTOMER_FIELDS + _AGENT_ONLY  # type: ignore[misc]
            if k in msg and msg[k] is not None}


def message_frame(msg: Message, view: Callable[[Message], Message | None],
                  conversation_id: str | None = None) -> dict[str, Any] | None:
    shown = view(msg)
    if shown is None:
        return None
    out: dict[str, Any] = {"type": "message"}
    if conversation_id is not None:
        out["conversation_id"] = conversation_id
    out.update(shown)
    return out


# Actions offered in system messages (docs/protocol.md, customer section).
ACTION_REQUEST_HUMAN = {"id": "request_human", "title": "Talk to a person"}
ACTION_STAY = {"id": "stay_in_queue", "title": "Stay in the queue"}
ACTION_LEAVE_MESSAGE = {"id": "leave_message", "title": "Leave a message for a call back"}


# ---------------------------------------------------------------- the customer's own controls and proactive help
# (docs/protocol.md: `end`, `bot_while_queued`, `event`). Added here rather than in the table above so each
# feature's frames read together.

CUSTOMER_FRAMES["end"] = {}  # the customer ends the chat (then rates it)
CUSTOMER_FRAMES["bot_while_queued"] = {"on": Field(bool)}  # may the bot answer while a person is coming?
CUSTOMER_FRAMES["event"] = {"client_id": _CLIENT_ID, "event": Field(str, max_len=2000, min_len=1)}
WHILE_QUEUED = "while_queued"  # on a bot message answered while the customer waits for a person
_CUSTOMER_FIELDS += (WHILE_QUEUED,)
