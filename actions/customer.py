"""The customer context the embedding website sends, checked before any flow relies on it.

The widget passes session metadata {"customer": {"name", "customer_id", "cards": [{"last_four",
"type", "label", "state"}], "balances": [{"currency", "amount"}]}}. It crosses a trust boundary, so
every field is type-checked and bounded; a field that fails is dropped (the conversation goes on
without it) rather than rejected wholesale. Balances and card states are what the bank's site knew
when the chat started: the bot says so rather than presenting them as live.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

MAX_CARDS = 10
MAX_BALANCES = 10
CARD_STATES = ("active", "frozen")
FROZEN = "frozen"
_AMOUNT = re.compile(r"-?\d{1,12}(\.\d{1,4})?")
_CUSTOMER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
_CARD_TYPE = re.compile(r"[a-z][a-z _-]{0,19}")
_TYPE_NAMES = {
    "debit": "Debit card",
    "credit": "Credit card",
    "prepaid": "Prepaid card",
    "virtual": "Virtual card",
}


@dataclass(frozen=True)
class Card:
    last_four: str
    type: str
    label: str
    state: str | None = None  # "active" | "frozen"; None when the site did not say

    @property
    def frozen(self) -> bool:
        return self.state == FROZEN

    @property
    def display(self) -> str:
        """'Everyday debit ••1234' — how a card is named to the customer (never more digits)."""
        return f"{self.label} ••{self.last_four}"

    def as_slot(self) -> dict[str, str]:
        """The card as the customer_cards slot holds it (no "state" key when the site did not say)."""
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class Balance:
    """One currency balance of the account, as the site knew it when the chat started."""

    currency: str
    amount: Decimal

    def as_slot(self) -> dict[str, str]:
        return {"currency": self.currency, "amount": f"{self.amount:f}"}


@dataclass(frozen=True)
class Customer:
    name: str | None
    customer_id: str | None
    cards: tuple[Card, ...]
    balances: tuple[Balance, ...] = ()


def _clean_text(value: object, limit: int) -> str | None:
    """Printable text without control characters, collapsed whitespace, at most ``limit`` chars."""
    if not isinstance(value, str):
        return None
    text = "".join(
        " " if ch.isspace() else ch for ch in value if ch.isspace() or unicodedata.category(ch)[0] != "C"
    )
    text = " ".join(text.split())
    return text if 0 < len(text) <= limit else None


def parse_card(raw: object) -> Card | None:
    """One card from the context, or None when it is not a usable card description."""
    if not isinstance(raw, dict):
        return None
    last_four = raw.get("last_four")
    if isinstance(last_four, int) and not isinstance(last_four, bool) and 0 <= last_four <= 9999:
        last_four = f"{last_four:04d}"
    if not (
        isinstance(last_four, str) and len(last_four) == 4 and last_four.isascii() and last_four.isdigit()
    ):
        return None
    card_type = raw.get("type")
    card_type = card_type.strip().lower() if isinstance(card_type, str) else ""
    if not _CARD_TYPE.fullmatch(card_type):
        card_type = "card"
    label = _clean_text(raw.get("label"), 40) or _TYPE_NAMES.get(card_type, "Card")
    state = raw.get("state")
    return Card(last_four, card_type, label, state if state in CARD_STATES else None)


def parse_cards(raw: object) -> tuple[Card, ...]:
    """Valid cards from a list, first occurrence of each last-four kept, at most ``MAX_CARDS``."""
    if not isinstance(raw, list):
        return ()
    cards: dict[str, Card] = {}
    for item in raw:
        card = parse_card(item)
        if card and card.last_four not in cards:
            cards[card.last_four] = card
        if len(cards) == MAX_CARDS:
            break
    return tuple(cards.values())


def parse_balance(raw: object) -> Balance | None:
    """One {"currency": "GBP", "amount": "1234.56"} entry, or None when it is not one."""
    if not isinstance(raw, dict):
        return None
    currency, amount = raw.get("currency"), raw.get("amount")
    if not (isinstance(currency, str) and len(currency) == 3 and currency.isascii() and currency.isalpha()):
        return None
    if isinstance(amount, (int, float)) and not isinstance(amount, bool):
        amount = str(amount)
    if not (isinstance(amount, str) and _AMOUNT.fullmatch(amount.strip())):
        return None
    return Balance(currency.upper(), Decimal(amount.strip()))


def parse_balances(raw: object) -> tuple[Balance, ...]:
    """Valid balances from a list, one per currency (the first), at most ``MAX_BALANCES``."""
    if not isinstance(raw, list):
        return ()
    balances: dict[str, Balance] = {}
    for item in raw[: MAX_BALANCES * 2]:
        balance = parse_balance(item)
        if balance and balance.currency not in balances:
            balances[balance.currency] = balance
    return tuple(balances.values())[:MAX_BALANCES]


def parse_customer(metadata: Any) -> Customer | None:
    """The customer described by session metadata, or None when there is no customer object."""
    if not isinstance(metadata, dict) or not isinstance(metadata.get("customer"), dict):
        return None
    raw = metadata["customer"]
    customer_id = raw.get("customer_id")
    if not (isinstance(customer_id, str) and _CUSTOMER_ID.fullmatch(customer_id)):
        customer_id = None
    return Customer(
        _clean_text(raw.get("name"), 80),
        customer_id,
        parse_cards(raw.get("cards")),
        parse_balances(raw.get("balances")),
    )


def first_name(name: object) -> str | None:
    cleaned = _clean_text(name, 80)
    return cleaned.split(" ")[0] if cleaned else None
