"""What every multi-turn flow shares: its slots, a clean start, a way out, and a way to give up.

Each flow is a Rasa form. Forms leave their slots behind when they finish or are interrupted, so
``action_reset_flow_slots`` runs before any form starts (see data/core/flows.yml) and every closing
action clears its own slots. ``FlowFormValidation`` counts answers it could not use; after
``MAX_FAILED_ANSWERS`` it ends the form instead of asking forever, and the closing action offers a person.
A question on another topic in the middle of a form is answered, then the form's question is asked
again (``actions.digressions``); it is not counted as an unusable answer.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from decimal import Decimal
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActionExecutionRejected, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from actions.amounts import Money, canonical_amount, parse_money

MAX_AMOUNT = Decimal(1000000000)  # beyond this an amount is a typo (a transfer, an exchange or a top-up)

FORM_SLOTS: dict[str, tuple[str, ...]] = {
    "card_loss_form": ("card_last_four", "card_loss_kind", "freeze_now", "card_offer_declined"),
    "transfer_form": ("transfer_date", "transfer_amount", "transfer_currency"),
    "declined_payment_form": (
        "payment_channel",
        "card_frozen",
        "contactless_over_limit",
        "secure_check_passed",
        "enough_balance",
        "merchant_blocked_category",
        "payment_merchant",
        "payment_amount",
    ),
    "exchange_form": ("exchange_mode", "exchange_amount", "exchange_from", "exchange_to"),
    "topup_form": ("topup_method", "topup_amount", "topup_error"),
}
# The intent that starts each flow (the rules in data/core/flows.yml).
FLOW_TRIGGERS: dict[str, str] = {
    "card_loss_form": "lost_or_stolen_card",
    "transfer_form": "transfer_not_received_by_recipient",
    "declined_payment_form": "declined_card_payment",
    "exchange_form": "exchange_rate",
    "topup_form": "top_up_failed",
}
# The host site's proactive events (actions/events.py): payloads that start a flow, or answer, at once.
EVENT_INTENTS = frozenset({"event_card_declined", "event_top_up_failed", "event_card_delivery_late"})
# How sure the classifier must be before an unusable answer is read as "start that other flow".
SWITCH_CONFIDENCE = 0.6
ATTEMPTS_SLOT = "flow_attempts"
GAVE_UP_SLOT = "flow_gave_up"
BOOKKEEPING_SLOTS = (ATTEMPTS_SLOT, GAVE_UP_SLOT, REQUESTED_SLOT)

# Intents a flow never reads as an answer: leaving, asking for a person, or asking if we are a bot
# (each has its own rule; a "no" is read only where the flow can use it).
NOT_ANSWERS = frozenset({"goodbye", "request_human", "bot_challenge"})
HUMAN_BUTTON = {"title": "Talk to a person", "payload": "/request_human"}

_YES = re.compile(
    r"^(yes|yeah|yep|yup|ya|y|sure|correct|right|ok|okay|please|absolutely|definitely|of course"
    r"|it (was|is|did)|i (did|was|have)|affirmative|indeed|true)\b"
)
_NO = re.compile(
    r"^(no|nope|nah|n|not|never|nothing|none|negative|false|it (wasn't|was not|isn't|is not|didn't"
    r"|did not)|i (didn't|did not|haven't|have not|wasn't|was not))\b"
)
_UNSURE = re.compile(
    r"\b(not sure|unsure|don'?t know|do not know|no idea|can'?t remember|cannot remember"
    r"|maybe|perhaps|dunno|not certain)\b"
)


def latest_text(tracker: Tracker) -> str:
    text = tracker.latest_message.get("text")
    return text if isinstance(text, str) else ""


def user_texts(tracker: Tracker) -> list[str]:
    """What the customer typed in this session, oldest first (payloads such as "/affirm" left out)."""
    texts: list[str] = []
    for event in tracker.events:
        if event.get("event") == "session_started":
            texts = []
        elif event.get("event") == "user":
            text = event.get("text")
            if isinstance(text, str) and text and not text.startswith("/"):
                texts.append(text)
    return texts


def latest_intent(tracker: Tracker) -> str | None:
    intent = tracker.latest_message.get("intent") or {}
    name = intent.get("name") if isinstance(intent, dict) else None
    return name if isinstance(name, str) else None


def parse_yes_no(text: object) -> bool | None:
    """True for "yes it was", False for "no", None for "not sure" or anything else."""
    if not isinstance(text, str):
        return None
    lower = text.strip().lower()
    if not lower or _UNSURE.search(lower):
        return None
    if _NO.search(lower):
        return False
    if _YES.search(lower):
        return True
    return None


def is_unsure(text: object) -> bool:
    return isinstance(text, str) and bool(_UNSURE.search(text.lower()))


def reset_events(tracker: Tracker, form: str | None = None) -> list[EventType]:
    """SlotSet(None) for the flow slots (of one form, or of all) that currently hold a value."""
    forms = [form] if form else list(FORM_SLOTS)
    names = [slot for name in forms for slot in FORM_SLOTS[name]] + list(BOOKKEEPING_SLOTS)
    return [SlotSet(slot, None) for slot in names if tracker.get_slot(slot) is not None]


def offer_human(dispatcher: CollectingDispatcher, text: str) -> None:
    """Say ``text`` with the "Talk to a person" button under it: how every flow avoids a dead end."""
    dispatcher.utter_message(text=text, buttons=[HUMAN_BUTTON])


def gave_up(tracker: Tracker) -> bool:
    return tracker.get_slot(GAVE_UP_SLOT) is True


def close_flow_without_answer(
    dispatcher: CollectingDispatcher, tracker: Tracker, form: str
) -> list[EventType]:
    """The closing action's reply when the form ended without the details it needed."""
    dispatcher.utter_message(response="utter_flow_gave_up")
    return reset_events(tracker, form)


class ActionResetFlowSlots(Action):
    """Clears every flow's slots before a form starts, so a half-finished flow never leaks answers."""

    def name(self) -> str:
        return "action_reset_flow_slots"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return reset_events(tracker)


class ActionStopFlow(Action):
    """Runs after a form is deactivated because the customer said no or goodbye mid-flow."""

    def name(self) -> str:
        return "action_stop_flow"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_flow_stopped")
        return reset_events(tracker)


class FlowFormValidation(FormValidationAction, ABC):
    """A form's validation action that counts unusable answers and gives up politely."""

    MAX_FAILED_ANSWERS = 3

    @abstractmethod
    def name(self) -> str:
        """validate_<form name>"""

    def should_extract(self, tracker: Tracker, slot: str) -> bool:
        """Whether an ``extract_<slot>`` method may read the latest message for ``slot``.

        Never overwrite an answer already given, and never read a goodbye, a request for a person or
        "are you a bot?" as an answer (the form must reject so the rule that handles it can run).
        """
        return tracker.get_slot(slot) is None and latest_intent(tracker) not in NOT_ANSWERS

    @staticmethod
    def is_requested(tracker: Tracker, slot: str) -> bool:
        return tracker.get_slot(REQUESTED_SLOT) == slot

    def extract_yes_no(self, tracker: Tracker, slot: str) -> dict[str, Any]:
        """Typed yes/no answers the intent classifier did not label affirm/deny ("yes it was")."""
        if not self.is_requested(tracker, slot) or not self.should_extract(tracker, slot):
            return {}
        answer = parse_yes_no(latest_text(tracker))
        return {} if answer is None else {slot: answer}

    def validate_amount(
        self, slot: str, value: Any, tracker: Tracker, dispatcher: CollectingDispatcher
    ) -> tuple[Money | None, dict[str, Any]]:
        """The one amount check of the flows' forms: (the money, ``{slot: canonical amount}``) for an amount
        above 0 and at most MAX_AMOUNT, else (None, the rejection, said to the customer)."""
        money = parse_money(value) if isinstance(value, str) else None
        if money is None:
            return None, self.reject(slot, tracker, dispatcher, "utter_amount_unclear")
        if money.amount <= 0:
            return None, self.reject(slot, tracker, dispatcher, "utter_amount_not_positive")
        if money.amount > MAX_AMOUNT:
            return None, self.reject(slot, tracker, dispatcher, "utter_amount_too_large")
        return money, {slot: canonical_amount(money.amount)}

    def reject(
        self,
        slot: str,
        tracker: Tracker,
        dispatcher: CollectingDispatcher,
        response: str | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Discard an answer, explain why (``response``), and end the form after too many tries."""
        attempts = int(tracker.get_slot(ATTEMPTS_SLOT) or 0) + 1
        result: dict[str, Any] = {slot: None, ATTEMPTS_SLOT: float(attempts)}
        if attempts >= self.MAX_FAILED_ANSWERS:
            result[GAVE_UP_SLOT] = True
        elif response:
            dispatcher.utter_message(response=response, **kwargs)
        return result

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Validate as rasa-sdk does, unless the customer has clearly moved on to another flow.

        A message the form cannot use that the classifier confidently reads as another flow's
        request ("what's your exchange rate?" while we wait for a transfer amount) rejects the form,
        so the rules start that flow instead of repeating "Sorry, I didn't get that".
        """
        from actions.digressions import digression_messages  # it answers with the flows' own helpers

        requested = tracker.get_slot(REQUESTED_SLOT)
        scratch = CollectingDispatcher()
        events = await super().run(scratch, tracker, domain)
        if self._moves_to_another_flow(tracker, events):
            return [ActionExecutionRejected(self.form_name())]
        if requested and not self._answered(requested, events):
            answer = digression_messages(tracker, domain)
            if answer:
                # Answered, not failed: no attempt counted, and the same question comes next.
                dispatcher.messages.extend(answer)
                kept = [e for e in events if e.get("name") not in BOOKKEEPING_SLOTS]
                return kept + [SlotSet(requested, None), SlotSet(REQUESTED_SLOT, requested)]
        dispatcher.messages.extend(scratch.messages)
        return events

    @staticmethod
    def _answered(slot: str, events: list[EventType]) -> bool:
        answered = [e for e in events if e.get("event") == "slot" and e.get("name") == slot]
        return bool(answered) and answered[-1].get("value") is not None

    def _moves_to_another_flow(self, tracker: Tracker, events: list[EventType]) -> bool:
        requested = tracker.get_slot(REQUESTED_SLOT)
        intent = tracker.latest_message.get("intent") or {}
        # An event mid-flow always takes over, even its own flow's: it brings the details with it.
        others = (set(FLOW_TRIGGERS.values()) - {FLOW_TRIGGERS.get(self.form_name())}) | EVENT_INTENTS
        if not requested or intent.get("name") not in others:
            return False
        if float(intent.get("confidence") or 0) < SWITCH_CONFIDENCE:
            return False
        return intent.get("name") in EVENT_INTENTS or not self._answered(requested, events)

    async def next_requested_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> EventType | None:
        if tracker.slots.get(GAVE_UP_SLOT):
            return SlotSet(REQUESTED_SLOT, None)
        return await super().next_requested_slot(dispatcher, tracker, domain)
