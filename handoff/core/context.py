"""Signed customer context: the bank's site vouches for who is logged in; the widget cannot forge it.

Format (docs/protocol.md): base64url(JSON) "." base64url(HMAC-SHA256(secret, first part)), no padding.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from typing import Any

from handoff.core import errors

_LAST_FOUR = re.compile(r"^\d{4}$")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_context(customer: dict[str, Any], secret: str, ttl_s: int | None = 3600,
                 now: float | None = None) -> str:
    return sign_body({"customer": customer}, secret, ttl_s, now)


def verify_context(token: str, secret: str, now: float | None = None) -> dict[str, Any]:
    """The validated customer object; raises Unauthorized for any bad, expired or malformed context."""
    body = verify_body(token, secret, now, what="customer context")
    return clean_customer(body.get("customer"))


def sign_body(body: dict[str, Any], secret: str, ttl_s: int | None = 3600, now: float | None = None) -> str:
    """Sign any JSON object in the context's format (the customer context, a proactive event: same rules)."""
    body = dict(body)
    if ttl_s is not None:
        body["exp"] = int((now if now is not None else time.time()) + ttl_s)
    head = _b64(json.dumps(body, separators=(",", ":")).encode())
    mac = hmac.new(secret.encode(), head.encode("ascii"), hashlib.sha256).digest()
    return f"{head}.{_b64(mac)}"


def verify_body(token: str, secret: str, now: float | None = None, what: str = "customer context") -> dict[str, Any]:
    """The signed JSON object, checked (signature, `exp`); raises Unauthorized naming `what` otherwise."""
    bad = errors.Unauthorized(f"the {what} is invalid or expired")
    if not secret:
        raise errors.Unauthorized(f"this gateway accepts no {what} (CONTEXT_SECRET is not set)")
    head, dot, sig = token.partition(".")
    if not dot or not head or not sig:
        raise bad
    expected = hmac.new(secret.encode(), head.encode("ascii", "replace"), hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(_unb64(sig), expected):
            raise bad
        body = json.loads(_unb64(head))
    except (ValueError, UnicodeDecodeError):
        raise bad from None
    if not isinstance(body, dict):
        raise bad
    exp = body.get("exp")
    if exp is not None and (not isinstance(exp, (int, float)) or exp < (now if now is not None else time.time())):
        raise bad
    return body


def clean_customer(raw: Any) -> dict[str, Any]:
    """Keep only the documented fields, within their limits (the signature vouches for origin, not shape)."""
    bad = errors.Unauthorized("the customer context is invalid or expired")
    if not isinstance(raw, dict):
        raise bad
    out: dict[str, Any] = {}
    for key, limit in (("name", 100), ("customer_id", 64)):
        value = raw.get(key)
        if value is not None:
            if not isinstance(value, str) or len(value) > limit:
                raise bad
            out[key] = value
    cards = raw.get("cards") or []
    if not isinstance(cards, list) or len(cards) > 10:
        raise bad
    out_cards = []
    for card in cards:
        if not isinstance(card, dict) or not _LAST_FOUR.match(str(card.get("last_four", ""))):
            raise bad
        entry = {"last_four": str(card["last_four"])}
        for key in ("type", "label", "state"):
            value = card.get(key)
            if value is not None:
                if not isinstance(value, str) or len(value) > 50:
                    raise bad
                entry[key] = value
        out_cards.append(entry)
    if out_cards:
        out["cards"] = out_cards
    balances = clean_balances(raw.get("balances"))
    if balances:
        out["balances"] = balances
    return out


_CURRENCY = re.compile(r"^[A-Z]{3}$")
_AMOUNT = re.compile(r"^-?\d{1,12}(\.\d{1,4})?$")


def clean_balances(raw: Any) -> list[dict[str, str]]:
    """The account's balances when the site signed the context: [{"currency": "GBP", "amount": "1234.56"}],
    at most 10 (the assistant answers "what's my balance?" from them and says when they were read)."""
    bad = errors.Unauthorized("the customer context is invalid or expired")
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > 10:
        raise bad
    out = []
    for entry in raw:
        if not isinstance(entry, dict):
            raise bad
        currency, amount = entry.get("currency"), entry.get("amount")
        if isinstance(amount, (int, float)) and not isinstance(amount, bool):
            amount = str(amount)
        if not (isinstance(currency, str) and _CURRENCY.match(currency)
                and isinstance(amount, str) and _AMOUNT.match(amount)):
            raise bad
        out.append({"currency": currency, "amount": amount})
    return out
