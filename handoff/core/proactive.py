"""Proactive help: an event the bank's site signs for this customer (a declined card payment, a failed top-up,
a card delivery running late), which the widget offers as one line and the bot turns into the right flow.

Signed exactly like the customer context (handoff/core/context.py; docs/protocol.md "Proactive events"):
base64url({"event": {"type": …, "merchant": …, "amount": …, "currency": …}, "exp": …}) "." base64url(HMAC).
When the customer accepts, the bot receives the Rasa intent payload `/event_<type>{…data…}` as their turn,
with metadata {"proactive": true}; the transcript shows `acceptance_text`, never the payload.
Pure: no I/O.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from handoff.core import errors
from handoff.core.context import sign_body, verify_body

EVENT_TYPES = ("card_declined", "top_up_failed", "card_delivery_late")
INTENT_PREFIX = "event_"  # the Rasa intent of each type: event_card_declined, … (domain/, part of the bot)
METADATA = {"proactive": True}  # the turn's Rasa metadata

# The data an event may carry, each with what it must look like (the signature vouches for origin, not shape).
_FIELDS: dict[str, re.Pattern[str]] = {
    "merchant": re.compile(r"^[\w &'.,\-]{1,60}$"),
    "amount": re.compile(r"^\d{1,9}(\.\d{1,2})?$"),
    "currency": re.compile(r"^[A-Z]{3}$"),
    "last_four": re.compile(r"^\d{4}$"),
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
}


@dataclass(frozen=True)
class ProactiveEvent:
    type: str
    data: dict[str, str]

    def payload(self) -> str:
        """What the bot receives: `/event_card_declined{"merchant": "…", "amount": "…"}` (Rasa's intent syntax)."""
        return f"/{INTENT_PREFIX}{self.type}{json.dumps(self.data, ensure_ascii=False)}"

    def acceptance_text(self) -> str:
        """The customer's turn as the transcript shows it (and the agents read it)."""
        money = _money(self.data)
        if self.type == "card_declined":
            where = f" at {self.data['merchant']}" if "merchant" in self.data else ""
            return f"Help me with my declined card payment{where}{f' ({money})' if money else ''}."
        if self.type == "top_up_failed":
            return f"Help me with my failed top-up{f' of {money}' if money else ''}."
        return "Help me with my card delivery that is running late."


def _money(data: dict[str, str]) -> str:
    if "amount" not in data:
        return ""
    return f"{data['currency']} {data['amount']}" if "currency" in data else data["amount"]


def verify_event(token: str, secret: str, now: float | None = None) -> ProactiveEvent:
    """The checked event; raises Unauthorized (bad signature, expired) or InvalidFrame (unknown type, bad data)."""
    body = verify_body(token, secret, now, what="proactive event")
    raw = body.get("event")
    if not isinstance(raw, dict):
        raise errors.InvalidFrame("event.event must hold an object with a type", frame="event")
    kind = raw.get("type")
    if kind not in EVENT_TYPES:
        raise errors.InvalidFrame(f"event type must be one of {', '.join(EVENT_TYPES)}", frame="event")
    data: dict[str, str] = {}
    for name, pattern in _FIELDS.items():
        value = raw.get(name)
        if value is None:
            continue
        text = f"{value:.2f}" if name == "amount" and isinstance(value, (int, float)) and \
            not isinstance(value, bool) else value
        if not isinstance(text, str) or not pattern.match(text):
            raise errors.InvalidFrame(f"event.{name} has an invalid format", frame="event")
        data[name] = text
    return ProactiveEvent(str(kind), data)


def sign_event(event: dict[str, Any], secret: str, ttl_s: int | None = 900, now: float | None = None) -> str:
    """What the bank's site does (in its own language): sign {"type": …, data…} for the widget."""
    return sign_body({"event": event}, secret, ttl_s, now)
