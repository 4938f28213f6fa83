"""Reading amounts of money out of what customers type.

spaCy's MONEY/CARDINAL entities say *that* a message holds an amount; turning "£1,250.50",
"2.5k euros" or "two hundred" into a ``Decimal`` with its currency (actions.currencies) happens
here, so every flow parses money the same way. Nothing here logs or echoes the text it reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from actions.currencies import CurrencyMention, find_currencies

NUMBER_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SCALES = {
    "hundred": 100,
    "thousand": 1000,
    "grand": 1000,
    "k": 1000,
    "million": 1_000_000,
    "m": 1_000_000,
    "mn": 1_000_000,
    "billion": 1_000_000_000,
    "bn": 1_000_000_000,
}

# A number: "1,250.50", "1250", ".5", optionally scaled ("2.5k", "3 million"). Not part of a
# date, time, phone number or ordinal ("12/03", "10:30", "3rd").
_NUMBER_RE = re.compile(
    r"(?<![\w.,/:\-])(?P<sign>-|−|minus\s+)?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?:\s*(?P<scale>k|m|mn|bn|thousand|grand|million|billion)\b)?"
    r"(?![\d/:]|\.\d|[a-z])",
    re.IGNORECASE,
)
_WORD_NUMBER_RE = re.compile(
    r"(?<![\w])(?:(?:a|an|"
    + "|".join(NUMBER_WORDS)
    + r"|hundred|thousand|million|grand)(?:[\s-]+(?:and[\s-]+)?|\b))+",
    re.IGNORECASE,
)
_CARD_DIGITS_BEFORE = re.compile(
    r"(\b(ending|ends|ended)( in| with)?|\blast (4|four)( digits)?( are)?|\*{4}|\bxxxx)[:\s-]*$",
    re.IGNORECASE,
)
_FULL_CARD_NUMBER_RE = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")


@dataclass(frozen=True)
class AmountMention:
    value: Decimal
    start: int
    end: int


@dataclass(frozen=True)
class Money:
    """An amount and, when the text names one, its ISO currency code."""

    amount: Decimal
    currency: str | None


def _words_to_int(phrase: str) -> int | None:
    total, current, seen = 0, 0, False
    for word in re.split(r"[\s-]+", phrase.lower().strip()):
        if word in ("", "and"):
            continue
        if word in ("a", "an"):
            current = max(current, 1)
        elif word in NUMBER_WORDS:
            current += NUMBER_WORDS[word]
            seen = True
        elif word == "hundred":
            current = max(current, 1) * 100
            seen = True
        elif word in _SCALES:
            total += max(current, 1) * _SCALES[word]
            current, seen = 0, True
        else:
            return None
    return total + current if seen else None


def find_amounts(text: str) -> list[AmountMention]:
    """Every number the text states, written in digits or in words, in order of appearance."""
    found: list[AmountMention] = []
    for match in _NUMBER_RE.finditer(text):
        try:
            value = Decimal(match.group("num").replace(",", ""))
        except InvalidOperation:
            continue
        scale = (match.group("scale") or "").lower()
        if scale:
            value *= _SCALES[scale]
        if match.group("sign"):
            value = -value
        before, after = text[max(0, match.start() - 30) : match.start()], text[match.end() : match.end() + 8]
        if _CARD_DIGITS_BEFORE.search(before) or re.match(r"\s*digits\b", after, re.IGNORECASE):
            continue  # "ending in 1234", "last 4 digits": card digits, not amounts
        found.append(AmountMention(value, match.start(), match.end()))
    for match in _WORD_NUMBER_RE.finditer(text):
        phrase = match.group(0).strip()
        value = _words_to_int(phrase)
        if value is None or phrase.lower() in ("a", "an"):
            continue
        if any(m.start <= match.start() < m.end for m in found):
            continue
        found.append(AmountMention(Decimal(value), match.start(), match.start() + len(phrase)))
    return sorted(found, key=lambda m: m.start)


def _adjacent_currency(amount: AmountMention, currencies: list[CurrencyMention], text: str) -> str | None:
    """The currency written right before ("£50", "EUR 50") or right after ("50 euros") an amount."""
    for mention in currencies:
        if mention.end <= amount.start:
            gap = text[mention.end : amount.start]
        elif mention.start >= amount.end:
            gap = text[amount.end : mention.start]
        else:
            continue
        if len(gap) <= 3 and not gap.strip():
            return mention.code
    return None


def parse_money(text: str, *, require_currency: bool = False) -> Money | None:
    """The amount a message states, preferring one written with its currency.

    With ``require_currency`` a bare number ("3 days ago", "12 March") is not taken for an amount:
    that is how a flow reads amounts out of a message that answered a different question.
    """
    if not isinstance(text, str) or not text.strip():
        return None
    amounts = find_amounts(text)
    currencies = find_currencies(text)
    for amount in amounts:
        code = _adjacent_currency(amount, currencies, text)
        if code:
            return Money(amount.value, code)
    if require_currency or not amounts:
        return None
    plausible = [a for a in amounts if not _looks_like_year(a, text)]
    if not plausible:
        return None
    return Money(plausible[0].value, currencies[0].code if len(currencies) == 1 else None)


def _looks_like_year(amount: AmountMention, text: str) -> bool:
    digits = text[amount.start : amount.end].strip()
    return bool(re.fullmatch(r"(19|20)\d\d", digits)) and len(find_amounts(text)) > 1


def contains_full_card_number(text: str) -> bool:
    """True when someone typed a whole card number, which the bot must never ask for or keep."""
    return isinstance(text, str) and bool(_FULL_CARD_NUMBER_RE.search(text))


def canonical_amount(amount: Decimal) -> str:
    """A slot-safe string for an amount: "1000", "12.5" (Decimal in, exact text out)."""
    return format(amount.normalize(), "f")


def to_decimal(value: object) -> Decimal | None:
    """The Decimal held in an amount slot, or None for anything else."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None
