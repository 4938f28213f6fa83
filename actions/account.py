"""The customer's balances and card states, as the bank's site signed them when the chat started.

The site's context (docs/protocol.md, ``handoff.core.context``) may carry ``balances`` and each card's
``state``; ``action_session_start`` keeps them in the customer_balances and customer_cards slots. The
bot answers "what's my balance?" from them, saying they were read when the chat started (a payment made
since is not in them), and tells a guest where to find the balance instead of guessing. Cards the bot
freezes in this conversation are marked frozen in customer_cards (``mark_frozen``), so a later flow
knows without asking.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.customer import FROZEN, Balance, Card, parse_balances, parse_cards

_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}
WHERE_TO_FIND = "Your balance is always on the Home screen of the Harbour Bank app, and under Accounts in online banking."


def customer_cards(tracker: Tracker) -> tuple[Card, ...]:
    """The cards the website told us about, with their states (re-checked: slots can be set by anything)."""
    return parse_cards(tracker.get_slot("customer_cards"))


def customer_balances(tracker: Tracker) -> tuple[Balance, ...]:
    return parse_balances(tracker.get_slot("customer_balances"))


def format_money(amount: Decimal, currency: str) -> str:
    """'£1,842.17', '€120.00', '-£5.00', '1,000.00 CHF': how the bot writes an amount it read or worked out."""
    quantised = abs(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    symbol = _SYMBOLS.get(currency)
    return f"{sign}{symbol}{quantised:,}" if symbol else f"{sign}{quantised:,} {currency}"


def frozen_cards(cards: tuple[Card, ...]) -> list[Card]:
    return [card for card in cards if card.frozen]


def all_frozen_state(cards: tuple[Card, ...]) -> bool | None:
    """True when every card we know of is frozen, False when we know none is, None when we can't say."""
    if not cards:
        return None
    if all(card.frozen for card in cards):
        return True
    if all(card.state is not None and not card.frozen for card in cards):
        return False
    return None


def mark_frozen(tracker: Tracker, last_fours: list[str]) -> list[EventType]:
    """The customer_cards slot with these cards frozen: what the bot now knows after freezing them."""
    raw = tracker.get_slot("customer_cards")
    cards = parse_cards(raw)
    if not cards:
        return []
    updated = [
        Card(card.last_four, card.type, card.label, FROZEN if card.last_four in last_fours else card.state)
        for card in cards
    ]
    return [SlotSet("customer_cards", [card.as_slot() for card in updated])]


def balance_messages(tracker: Tracker) -> list[str]:
    """What the bot says to "what's my balance?" (pure: the digression handler says it too)."""
    if not tracker.get_slot("customer_id"):
        return [
            "You're not signed in here, so I can't see your account. " + WHERE_TO_FIND
            + " If you sign in on this site and open the chat again, I can tell you here."
        ]
    balances = customer_balances(tracker)
    if not balances:
        return ["I can't see your balance from this chat. " + WHERE_TO_FIND]
    listed = [f"{format_money(b.amount, b.currency)} in {b.currency}" for b in balances]
    if len(listed) == 1:
        amounts = listed[0]
    else:
        amounts = ", ".join(listed[:-1]) + " and " + listed[-1]
    return [
        (
            f"When you opened this chat, your balance was {amounts}. Payments since then aren't included: "
            "the Home screen of the app always shows it live."
        )
    ]


class ActionAnswerBalance(Action):
    """Answers "what's my balance?" from the signed context, or says where to find it."""

    def name(self) -> str:
        return "action_answer_balance"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        for text in balance_messages(tracker):
            dispatcher.utter_message(text=text)
        return []
