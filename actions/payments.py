"""Declined card payment: online or in a shop? Then the usual causes, one yes/no question at a time.

``declined_payment_form`` asks ``payment_channel`` and then walks the checks below in order,
stopping at the first one that explains the decline (no point asking about 3-D Secure once we know
the card is frozen). ``action_declined_advice`` says what to do about that cause.

It never asks what it already knows (``known_answer``): what the customer said earlier in the
conversation ("I had plenty of money", ``stated_checks``), the card states from the site's context and
the cards the bot froze in this chat, the amount of a proactive event against the balance, and the
merchant's name (online shop, gambling or crypto).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.account import all_frozen_state, customer_balances, customer_cards, format_money, frozen_cards
from actions.amounts import parse_money
from actions.flow import (
    FlowFormValidation,
    close_flow_without_answer,
    gave_up,
    latest_text,
    offer_human,
    parse_yes_no,
    reset_events,
    user_texts,
)
from actions.next_steps import offer_next_step

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


# What a customer may say about a check before it is asked: (slot, the answer it gives, the wording).
# For each slot the negative wording is tried first ("not enough money" also contains "enough money").
_STATEMENTS: tuple[tuple[str, bool, re.Pattern[str]], ...] = (
    (
        "enough_balance",
        False,
        re.compile(
            r"(\bnot|n't|\bnever) (have |had |got |enough|be )?(enough|sufficient|any) ?(money|funds|cash|balance)"
            r"|\binsufficient funds\b|\b(no|low) (money|funds|balance)\b|\bbalance (is|was) (too )?low\b"
            r"|\b(account|balance) (is|was) empty\b|\bskint\b|\bbroke\b"
        ),
    ),
    (
        "enough_balance",
        True,
        re.compile(
            r"\b(enough|plenty of|sufficient|more than enough|lots of|loads of) (money|funds|cash|balance)\b"
            r"|\b(balance|funds|money) (is|are|was|were) (fine|ok|okay|enough|plenty)\b"
        ),
    ),
    ("card_frozen", False, re.compile(r"(is ?n't|is not|was ?n't|was not|\bnot|\bnever) frozen\b|\bunfro(ze|zen)\b")),
    ("card_frozen", True, re.compile(r"\b(card|it) (is|was|'s) (frozen|locked)\b|\bi froze\b")),
    (
        "secure_check_passed",
        False,
        re.compile(r"(n't|\bnot|\bnever) (get|receive|got|see|seen) (a|any|the) (code|notification|text|request)"),
    ),
    (
        "secure_check_passed",
        True,
        re.compile(r"\bi (approved|confirmed|accepted) (it|the payment|the notification|the request)\b"),
    ),
    (
        "contactless_over_limit",
        False,
        re.compile(r"\b(chip and pin|with (my |the )?pin|inserted (my |the )?card|entered (my |the )?pin)\b"),
    ),
    ("merchant_blocked_category", True, re.compile(r"\b(gambl\w*|casino|betting|bet365|bookmakers?|crypto\w*|bitcoin|coinbase|binance)\b")),
)


def stated_checks(text: str) -> dict[str, bool]:
    """The checks a message answers without being asked ("I definitely had enough money")."""
    lower = text.lower().replace("’", "'")
    found: dict[str, bool] = {}
    for slot, answer, pattern in _STATEMENTS:
        if slot not in found and pattern.search(lower):
            found[slot] = answer
    return found


def said_before(tracker: Tracker) -> dict[str, bool]:
    """What the customer said about the checks in this conversation, the latest word winning."""
    answers: dict[str, bool] = {}
    for text in user_texts(tracker):
        answers.update(stated_checks(text))
    return answers


def payment_money(tracker: Tracker) -> tuple[Decimal, str] | None:
    """The declined payment's amount and currency (pounds unless said), from an event or the customer."""
    money = parse_money(str(tracker.get_slot("payment_amount") or ""))
    if money is None or money.amount <= 0:
        return None
    return money.amount, money.currency or "GBP"


def known_answer(tracker: Tracker, slot: str) -> bool | None:
    """A check's answer from what the bot knows, or None when it has to ask."""
    if slot == "card_frozen":
        state = all_frozen_state(customer_cards(tracker))
        if state is not None:
            return state
    if slot == "enough_balance":
        money = payment_money(tracker)
        balance = {b.currency: b.amount for b in customer_balances(tracker)}
        if money and money[1] in balance:
            return money[0] <= balance[money[1]]
    merchant = tracker.get_slot("payment_merchant")
    if slot == "merchant_blocked_category" and isinstance(merchant, str) and stated_checks(merchant).get(slot):
        return True
    return said_before(tracker).get(slot)


def describe_payment(tracker: Tracker) -> str | None:
    """'your £42.50 payment at Tesco' as far as we know it, None when we know neither."""
    money = payment_money(tracker)
    merchant = tracker.get_slot("payment_merchant")
    amount = format_money(*money) if money else None
    if amount and merchant:
        return f"your {amount} payment at {merchant}"
    if amount:
        return f"your {amount} payment"
    if merchant:
        return f"your payment at {merchant}"
    return None


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
        value = tracker.get_slot("payment_channel")
        # Before validation the slot holds the typed answer ("in a shop"): read it, so the checks it
        # brings in are filled from what we know in the same turn.
        channel = value if value in _BY_CHANNEL else channel_of(value if isinstance(value, str) else "")
        if channel is None:
            return slots
        for slot, explains, _ in checks_for(channel):
            slots.append(slot)
            if tracker.get_slot(slot) is explains:
                break  # found the cause: stop asking
        return slots

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Extract again while the answers change which checks apply: a channel read from the message or
        the merchant adds its checks, and what we already know about those must not be asked."""
        found: dict[str, Any] = {}
        for _ in range(3):  # channel, then its checks: two passes suffice, a third finds nothing new
            events = await super().get_extraction_events(dispatcher, tracker, domain)
            new = {e["name"]: e["value"] for e in events if e["name"] not in found}
            if not new:
                break
            found.update(new)
        return [SlotSet(name, value) for name, value in found.items()]

    async def extract_payment_channel(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if self.is_requested(tracker, "payment_channel") or not self.should_extract(
            tracker, "payment_channel"
        ):
            return {}
        channel = channel_of(latest_text(tracker))
        merchant = tracker.get_slot("payment_merchant")
        if channel is None and isinstance(merchant, str):
            channel = channel_of(merchant)  # "Amazon": online
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
        return self.extract_check(tracker, "card_frozen")

    async def extract_contactless_over_limit(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.extract_check(tracker, "contactless_over_limit")

    async def extract_secure_check_passed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.extract_check(tracker, "secure_check_passed")

    async def extract_enough_balance(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.extract_check(tracker, "enough_balance")

    async def extract_merchant_blocked_category(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.extract_check(tracker, "merchant_blocked_category")

    def extract_check(self, tracker: Tracker, slot: str) -> dict[str, Any]:
        """A yes/no check: the typed answer when asked, else what the bot already knows."""
        if not self.should_extract(tracker, slot):
            return {}
        if self.is_requested(tracker, slot):
            text = latest_text(tracker)
            answer = parse_yes_no(text)
            if answer is None:
                answer = stated_checks(text).get(slot)
        else:
            answer = known_answer(tracker, slot)
        return {} if answer is None else {slot: answer}

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
        if cause != "frozen" and all_frozen_state(customer_cards(tracker)) is False:
            dispatcher.utter_message(text="I checked your cards: none of them is frozen, so that wasn't the cause.")
        payment = describe_payment(tracker)
        advice = ADVICE[cause]
        dispatcher.utter_message(text=f"About {payment}: {advice[0].lower()}{advice[1:]}" if payment else advice)
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
        if cause == "balance":
            offer_next_step(dispatcher, "declined_balance")
        return reset_events(tracker, FORM)


class ActionAskCardFrozen(Action):
    """Asks whether the card is frozen, naming the card we know is frozen when only some of them are."""

    def name(self) -> str:
        return "action_ask_declined_payment_form_card_frozen"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        frozen = frozen_cards(customer_cards(tracker))
        if not frozen:
            dispatcher.utter_message(response="utter_ask_card_frozen")
            return []
        names = " or ".join(card.display for card in frozen)
        it = "That card is" if len(frozen) == 1 else "Those cards are"
        dispatcher.utter_message(
            text=f"Was the payment made with your {names}? {it} frozen, and a frozen card declines every payment.",
            buttons=[{"title": "Yes", "payload": "/affirm"}, {"title": "No, another card", "payload": "/deny"}],
        )
        return []
