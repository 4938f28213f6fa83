"""Top-up failed: which method, how much, what did the error say? Then advice for that case.

``topup_form`` fills ``topup_method`` (card, bank_transfer, apple_pay, google_pay), ``topup_amount``
(a decimal string; top-ups are in pounds) and ``topup_error`` — a category code, never the
customer's own words. ``action_topup_advice`` combines the three. The limits are Harbour Bank's
(fictional) policy.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.amounts import canonical_amount, parse_money, to_decimal
from actions.flow import (
    FlowFormValidation,
    close_flow_without_answer,
    gave_up,
    latest_text,
    offer_human,
    parse_yes_no,
    reset_events,
)
from actions.next_steps import offer_next_step

FORM = "topup_form"
MIN_TOPUP = Decimal(10)
MAX_INSTANT_TOPUP = Decimal(5000)  # card, Apple Pay, Google Pay: per top-up

METHOD_NAMES = {
    "card": "card",
    "bank_transfer": "bank transfer",
    "apple_pay": "Apple Pay",
    "google_pay": "Google Pay",
}
_METHODS = [
    ("apple_pay", re.compile(r"\bapple ?pay\b")),
    ("google_pay", re.compile(r"\b(google ?pay|g ?pay|android pay)\b")),
    (
        "bank_transfer",
        re.compile(
            r"\b(bank transfer|transfer|bank account|iban|sort code|standing order"
            r"|faster payment|from my bank)\b"
        ),
    ),
    ("card", re.compile(r"\b(card|debit|credit|visa|mastercard|amex|american express)\b")),
]
_ERRORS = [
    (
        "name_mismatch",
        re.compile(
            r"\b(own name|your name|account holder|name (doesn'?t|does not) match|mismatch"
            r"|different name)\b"
        ),
    ),
    (
        "not_supported",
        re.compile(
            r"\b(not supported|unsupported|not accepted|isn'?t accepted|card type|prepaid"
            r"|amex|american express|business card|not eligible)\b"
        ),
    ),
    (
        "limit",
        re.compile(
            r"\b(limit|limits|maximum|max|exceeds?|exceeded|too (much|many|large|high)"
            r"|minimum|too (small|low))\b"
        ),
    ),
    (
        "verification",
        re.compile(
            r"(3-?d|secure|verif\w*|authenticat\w*|\botp\b|one[- ]time|\bcode\b"
            r"|confirm\w*)"
        ),
    ),
    (
        "declined",
        re.compile(
            r"\b(declined|rejected|refused|not authori[sz]ed|do not honou?r|insufficient"
            r"|denied|failed payment)\b"
        ),
    ),
    ("pending", re.compile(r"\b(pending|processing|in progress|waiting)\b")),
    (
        "unavailable",
        re.compile(
            r"\b(try again later|unavailable|went wrong|technical|timed? ?out|network"
            r"|server|error \d+|not available)\b"
        ),
    ),
]
_NO_ERROR = re.compile(
    r"\b(no error|nothing|didn'?t say|did not say|no message|just failed|it didn'?t"
    r"|none)\b"
)

ERROR_ADVICE = {
    "declined": (
        "The bank that issued your card declined the top-up. Check with them that the card is active and "
        "has enough money, or try a different card; we can't see their reasons."
    ),
    "verification": (
        "The top-up needs a security check (3-D Secure) from your card's bank: approve it in their app or"
        " with the code they text you, within 5 minutes. If no request arrives, ask your card's bank to "
        "check the mobile number they hold for you."
    ),
    "limit": (
        f"Card, Apple Pay and Google Pay top-ups must be between £{MIN_TOPUP:,} and £{MAX_INSTANT_TOPUP:,}"
        " each. For more, use a bank transfer, which has no upper limit."
    ),
    "not_supported": (
        "We accept Visa and Mastercard debit and credit cards in your own name. American Express and some"
        " prepaid and business cards can't be used for top-ups."
    ),
    "name_mismatch": (
        "Top-ups must come from a card or account in your own name. Money from someone else's account is "
        "sent back to them within 5 working days."
    ),
    "pending": (
        "A pending top-up usually completes within 30 minutes (bank transfers within 2 hours, at most 1 "
        "working day). Please don't try again meanwhile, or you could be charged twice."
    ),
    "unavailable": (
        "That was a temporary problem on our side or the card network's. Please try again in a few "
        "minutes; a failed top-up is never charged."
    ),
}
METHOD_ADVICE = {
    "card": (
        "Card top-ups most often fail because the card's bank declines them or a security check isn't "
        "finished. Check the card number, expiry date and billing address, and that the card is in your "
        "name."
    ),
    "bank_transfer": (
        "For a bank transfer, use the account number, sort code and your personal reference from the app "
        "(Accounts → Add money → Bank transfer). It usually arrives within 2 hours, at most 1 working "
        "day; without the reference it can take up to 3 working days to match."
    ),
    "apple_pay": (
        "For Apple Pay, check that the card in your Wallet is in your name and up to date; if the card "
        "was replaced recently, remove it from the Wallet and add it again."
    ),
    "google_pay": (
        "For Google Pay, check that the card in Google Wallet is in your name and up to date; if the card"
        " was replaced recently, remove it and add it again."
    ),
}


def method_of(text: str) -> str | None:
    lower = text.lower()
    for method, pattern in _METHODS:
        if pattern.search(lower):
            return method
    return None


def error_category(text: str) -> str:
    """The kind of error message described: a code from ERROR_ADVICE, "none", or "other"."""
    lower = text.lower().strip()
    for category, pattern in _ERRORS:
        if pattern.search(lower):
            return category
    if parse_yes_no(lower) is False or _NO_ERROR.search(lower):
        return "none"
    return "other"


class ValidateTopupForm(FlowFormValidation):
    def name(self) -> str:
        return "validate_topup_form"

    async def extract_topup_method(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if self.is_requested(tracker, "topup_method") or not self.should_extract(tracker, "topup_method"):
            return {}
        method = method_of(latest_text(tracker))
        return {"topup_method": method} if method else {}

    def validate_topup_method(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        method = value if value in METHOD_NAMES else method_of(value if isinstance(value, str) else "")
        if method is None:
            return self.reject("topup_method", tracker, dispatcher, "utter_flow_not_understood")
        return {"topup_method": method}

    async def extract_topup_amount(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if self.is_requested(tracker, "topup_amount") or not self.should_extract(tracker, "topup_amount"):
            return {}
        money = parse_money(latest_text(tracker), require_currency=True)
        return {"topup_amount": canonical_amount(money.amount)} if money else {}

    def validate_topup_amount(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.validate_amount("topup_amount", value, tracker, dispatcher)[1]

    def validate_topup_error(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value in ERROR_ADVICE or value in ("none", "other"):
            return {"topup_error": value}
        return {"topup_error": error_category(value if isinstance(value, str) else "")}


class ActionTopupAdvice(Action):
    """Closes the top-up flow: limits, what the error means for that method, and a person to check."""

    def name(self) -> str:
        return "action_topup_advice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        method = tracker.get_slot("topup_method")
        amount = to_decimal(tracker.get_slot("topup_amount"))
        error = tracker.get_slot("topup_error")
        if gave_up(tracker) or method not in METHOD_NAMES or amount is None or not isinstance(error, str):
            return close_flow_without_answer(dispatcher, tracker, FORM)
        instant = method != "bank_transfer"
        if instant and amount < MIN_TOPUP:
            dispatcher.utter_message(
                text=f"Top-ups by {METHOD_NAMES[method]} must be at least £{MIN_TOPUP:,}, "
                f"so £{amount:,.2f} can't go through. Try £{MIN_TOPUP:,} or more."
            )
        elif instant and amount > MAX_INSTANT_TOPUP:
            dispatcher.utter_message(
                text=f"£{amount:,.2f} is over the £{MAX_INSTANT_TOPUP:,} limit for one "
                f"top-up by {METHOD_NAMES[method]}. Split it into smaller top-ups, or "
                "use a bank transfer, which has no upper limit."
            )
        if error in ERROR_ADVICE and not (
            error == "limit" and instant and not MIN_TOPUP <= amount <= MAX_INSTANT_TOPUP
        ):
            dispatcher.utter_message(text=ERROR_ADVICE[error])
        if error not in ERROR_ADVICE:  # no error shown, or one we can't place: advice for the method
            dispatcher.utter_message(text=METHOD_ADVICE[method])
        offer_human(
            dispatcher,
            "If money left your account but the top-up didn't arrive, it's normally returned "
            "within 3–5 working days. A person from our team can check it for you now.",
        )
        if error == "limit":
            offer_next_step(dispatcher, "topup_limit")
        return reset_events(tracker, FORM)
