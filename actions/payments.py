"""Declined card payment: online or in a shop? Then the usual causes, one yes/no question at a time.

``declined_payment_form`` asks ``payment_channel`` and then walks the checks below in order,
stopping at the first one that explains the decline (no point asking about 3-D Secure once we know
the card is frozen). ``action_declined_advice`` says what to do about that cause.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.flow import (
    FlowFormValidation,
    close_flow_without_answer,
    gave_up,
    latest_text,
    offer_human,
    reset_events,
)

FORM = "declined_payment_form"
ONLINE, IN_SHOP = "online", "in_shop"
CONTACTLESS_LIMIT = "£100"

_ONLINE = re.compile(
    r"\b(online|on-line|internet|websites?|web|in[- ]app|amazon|ebay|paypal|checkout"
    r"|e-?commerce|subscriptions?|over the phone|shopping site|webshop)\b"
)
_IN_SHOP = re.compile(
    r"\b(shops?|stores?|till|supermarket|restaurant|caf[eé]|bar|pub|in person|in-person"
    r"|terminal|card machine|contactless|chip|pin|petrol|taxi|tapp?(ed)?|market|counter"
    r"|physical|in real life)\b"
)


# (slot, the answer that explains the decline, cause) in the order they are asked.
_COMMON_FIRST = [("card_frozen", True, "frozen")]
_BY_CHANNEL = {
    IN_SHOP: [("contactless_over_limit", True, "contactless_limit")],
    ONLINE: [("secure_check_passed", False, "secure_check")],
}
_COMMON_LAST = [("enough_balance", False, "balance"), ("merchant_blocked_category", True, "blocked_merchant")]

ADVICE = {
    "frozen": (
        "Your card is frozen, and a frozen card declines every payment. Unfreeze it in the app (Cards → "
        "your card → Unfreeze) and try again. If you froze it because it was lost or stolen, order a "
        "replacement instead."
    ),
    "contactless_limit": (
        f"Contactless payments are limited to {CONTACTLESS_LIMIT} each, and after several contactless "
        "payments in a row the terminal asks for your PIN once. Insert the card and enter your PIN "
        "instead; that resets the contactless count too."
    ),
    "secure_check": (
        "Online payments often need a security check (3-D Secure): a notification in the Harbour Bank app"
        " to approve within 5 minutes, or a code we text you. Make sure notifications are on, the app is "
        "up to date and your mobile number with us is current, then try the payment again and approve it "
        "when asked."
    ),
    "balance": (
        "The payment was more than your available balance, so it was declined. Pending payments reduce "
        "the available balance too. Top up or move money in, then try again."
    ),
    "blocked_merchant": (
        "Gambling and crypto payments are declined while the gambling and crypto block is on (Settings → "
        "Spending controls). If you switch it off, the change takes effect after a 48-hour cooling-off "
        "period; that delay is there to protect you."
    ),
    "unknown": (
        "None of the usual causes fit, so the merchant or our fraud checks may have declined it. Check "
        "the app for a notification asking you to confirm a payment, then try once more."
    ),
}


def channel_of(text: str) -> str | None:
    """ONLINE or IN_SHOP when the text points at exactly one of them."""
    lower = text.lower()
    online, in_shop = bool(_ONLINE.search(lower)), bool(_IN_SHOP.search(lower))
    if online == in_shop:
        return None
    return ONLINE if online else IN_SHOP


def checks_for(channel: str) -> list[tuple[str, bool, str]]:
    return _COMMON_FIRST + _BY_CHANNEL[channel] + _COMMON_LAST


def first_cause(tracker: Tracker) -> str | None:
    """The first check whose answer explains the decline; "unknown" when every check was cleared."""
    channel = tracker.get_slot("payment_channel")
    if channel not in _BY_CHANNEL:
        return None
    for slot, explains, cause in checks_for(channel):
        answer = tracker.get_slot(slot)
        if answer is None:
            return None
        if answer is explains:
            return cause
    return "unknown"


class ValidateDeclinedPaymentForm(FlowFormValidation):
    def name(self) -> str:
        return "validate_declined_payment_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        slots = ["payment_channel"]
        channel = tracker.get_slot("payment_channel")
        if channel not in _BY_CHANNEL:
            return slots
        for slot, explains, _ in checks_for(channel):
            slots.append(slot)
            if tracker.get_slot(slot) is explains:
                break  # found the cause: stop asking
        return slots

    async def extract_payment_channel(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if self.is_requested(tracker, "payment_channel") or not self.should_extract(
            tracker, "payment_channel"
        ):
            return {}
        channel = channel_of(latest_text(tracker))
        return {"payment_channel": channel} if channel else {}

    def validate_payment_channel(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        channel = value if value in _BY_CHANNEL else channel_of(value if isinstance(value, str) else "")
        if channel is None:
            return self.reject("payment_channel", tracker, dispatcher, "utter_flow_not_understood")
        return {"payment_channel": channel}

    async def extract_card_frozen(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.extract_yes_no(tracker, "card_frozen")

    async def extract_contactless_over_limit(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.extract_yes_no(tracker, "contactless_over_limit")

    async def extract_secure_check_passed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.extract_yes_no(tracker, "secure_check_passed")

    async def extract_enough_balance(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.extract_yes_no(tracker, "enough_balance")

    async def extract_merchant_blocked_category(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.extract_yes_no(tracker, "merchant_blocked_category")

    def _yes_no(
        self, slot: str, value: Any, tracker: Tracker, dispatcher: CollectingDispatcher
    ) -> dict[str, Any]:
        if isinstance(value, bool):
            return {slot: value}
        return self.reject(slot, tracker, dispatcher, "utter_flow_yes_or_no")

    def validate_card_frozen(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._yes_no("card_frozen", value, tracker, dispatcher)

    def validate_contactless_over_limit(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._yes_no("contactless_over_limit", value, tracker, dispatcher)

    def validate_secure_check_passed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._yes_no("secure_check_passed", value, tracker, dispatcher)

    def validate_enough_balance(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._yes_no("enough_balance", value, tracker, dispatcher)

    def validate_merchant_blocked_category(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._yes_no("merchant_blocked_category", value, tracker, dispatcher)


class ActionDeclinedAdvice(Action):
    """Closes the declined-payment flow with advice for the cause found, and a person for the rest."""

    def name(self) -> str:
        return "action_declined_advice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        cause = first_cause(tracker)
        if gave_up(tracker) or cause is None:
            return close_flow_without_answer(dispatcher, tracker, FORM)
        dispatcher.utter_message(text=ADVICE[cause])
        if cause == "unknown":
            offer_human(
                dispatcher,
                "If it keeps failing, a person from our team can look up the exact reason "
                "the payment was declined.",
            )
        else:
            offer_human(
                dispatcher,
                "If the payment still doesn't go through after that, a person from our team "
                "can look up the exact reason it was declined.",
            )
        return reset_events(tracker, FORM)
