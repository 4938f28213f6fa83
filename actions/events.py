"""Proactive events from the host site: the matching flow starts with what the event already says.

The site tells the widget that something just went wrong for this customer; the widget sends it as a
customer turn with metadata {"proactive": true} and a Rasa payload (docs/flows.md):

- ``/event_card_declined{"merchant": "Tesco", "amount": "£42.50"}``: the declined-payment flow, with the
  merchant and amount known (the amount is weighed against the balance, the merchant read for an online
  shop or a gambling/crypto one);
- ``/event_top_up_failed{"amount": "50", "method": "card"}``: the top-up flow, amount (and method) known;
- ``/event_card_delivery_late{"expected": "12 March"}``: the late-delivery answer, with its date.

Every field is optional and checked here: the event crosses a trust boundary like the customer's words.
"""

from __future__ import annotations

import unicodedata

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.account import format_money
from actions.amounts import Money, canonical_amount, parse_money
from actions.exchange import entity_value
from actions.flow import HUMAN_BUTTON, MAX_AMOUNT, latest_intent
from actions.topups import METHOD_NAMES, method_of

MAX_FIELD = 60


def clean_field(value: object, limit: int = MAX_FIELD) -> str | None:
    """Printable text of at most ``limit`` characters, whitespace collapsed; None for anything else."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    text = " ".join("".join(ch for ch in value if unicodedata.category(ch)[0] != "C" or ch.isspace()).split())
    return text if 0 < len(text) <= limit else None


def event_money(value: object) -> Money | None:
    """The amount of an event's "amount" ("£42.50", "42.50 EUR", 42.5), or None when it is not a sane one."""
    text = clean_field(value, 30)
    money = parse_money(text) if text else None
    if money is None or not 0 < money.amount <= MAX_AMOUNT:
        return None
    return money


class ActionProactiveEvent(Action):
    """Fills the flow's slots from the event and says what happened, before the form asks anything."""

    def name(self) -> str:
        return "action_proactive_event"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent = latest_intent(tracker)
        money = event_money(entity_value(tracker, "amount"))
        if intent == "event_card_declined":
            merchant = clean_field(entity_value(tracker, "merchant"))
            events: list[EventType] = [SlotSet("payment_merchant", merchant)]
            what = "a card payment"
            if money:
                currency = money.currency or "GBP"
                events.append(SlotSet("payment_amount", f"{canonical_amount(money.amount)} {currency}"))
                what += f" of {format_money(money.amount, currency)}"
            where = f" at {merchant}" if merchant else ""
            dispatcher.utter_message(text=f"I can see {what}{where} was declined just now. Let's find out why.")
            return events
        if intent == "event_top_up_failed":
            events = []
            method = clean_field(entity_value(tracker, "method"), 30)
            method = method if method in METHOD_NAMES else (method_of(method) if method else None)
            if method:
                events.append(SlotSet("topup_method", method))
            if money and money.currency in (None, "GBP"):  # top-ups are in pounds
                events.append(SlotSet("topup_amount", canonical_amount(money.amount)))
                lead = f"I can see your top-up of {format_money(money.amount, 'GBP')}"
            else:
                lead = "I can see a top-up"
            dispatcher.utter_message(text=f"{lead} didn't go through just now. Let's find out why.")
            return events
        return []


class ActionCardDeliveryLate(Action):
    """Says the new card is running late, what the usual times are, and what to do if it never comes."""

    def name(self) -> str:
        return "action_card_delivery_late"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        expected = clean_field(entity_value(tracker, "expected"), 40)
        due = f" (it was expected by {expected})" if expected else ""
        dispatcher.utter_message(
            text=f"I can see your new card is running late{due}, sorry about that. Cards usually arrive within "
            "5–7 working days, or up to 3 weeks abroad; you can follow yours in Cards → select the card → Track "
            "delivery."
        )
        dispatcher.utter_message(
            text="If it still hasn't arrived 14 working days after you ordered it, tap Card not arrived on that "
            "screen and we'll block it and send a replacement. If you think it was lost or taken, a person from "
            "our team can cancel it now.",
            buttons=[HUMAN_BUTTON],
        )
        return []
