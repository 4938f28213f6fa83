"""The customer context the embedding website sends, checked before any flow relies on it.

The widget passes session metadata {"customer": {"name", "customer_id", "cards": [{"last_four",
"type", "label"}]}}. It crosses a trust boundary, so every field is type-checked and bounded; a
field that fails is dropped (the conversation goes on without it) rather than rejected wholesale.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

MAX_CARDS = 10
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

    @property
    def display(self) -> str:
        """'Everyday debit ••1234' — how a card is named to the customer (never more digits)."""
        return f"{self.label} ••{self.last_four}"

    def as_slot(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class Customer:
    name: str | None
    customer_id: str | None
    cards: tuple[Card, ...]


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
    return Card(last_four, card_type, label)


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


def parse_customer(metadata: Any) -> Customer | None:
    """The customer described by session metadata, or None when there is no customer object."""
    if not isinstance(metadata, dict) or not isinstance(metadata.get("customer"), dict):
        return None
    raw = metadata["customer"]
    customer_id = raw.get("customer_id")
    if not (isinstance(customer_id, str) and _CUSTOMER_ID.fullmatch(customer_id)):
        customer_id = None
    return Customer(_clean_text(raw.get("name"), 80), customer_id, parse_cards(raw.get("cards")))


def first_name(name: object) -> str | None:
    cleaned = _clean_text(name, 80)
    return cleaned.split(" ")[0] if cleaned else None
