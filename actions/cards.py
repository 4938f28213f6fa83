"""Lost or stolen card: which card, lost or stolen, freeze it now? Then freeze and replace.

``card_loss_form`` asks for ``card_last_four`` (offered as buttons when the website sent the
customer's cards), ``card_loss_kind`` and, for a signed-in customer, ``freeze_now`` — unless the card
is already frozen (the site's context said so, the bot froze it earlier, or the bank backend knows),
when there is nothing to offer. ``action_freeze_card`` freezes through the bank backend (simulated:
actions.bank_simulator) and records the cards it froze in customer_cards, so later flows know.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.account import customer_cards, mark_frozen
from actions.amounts import contains_full_card_number
from actions.bank_simulator import SimulatedCardService, card_service
from actions.customer import Card
from actions.dates import add_working_days, format_day, uk_now
from actions.flow import (
    HUMAN_BUTTON,
    FlowFormValidation,
    close_flow_without_answer,
    gave_up,
    is_unsure,
    latest_intent,
    latest_text,
    offer_human,
    parse_yes_no,
    reset_events,
)
from actions.next_steps import step_button

FORM = "card_loss_form"
OTHER_CARD = "other"  # "a different card": not one of the cards we offered
ALL_CARDS = "all"  # "all my cards": freeze every card on file
REPLACEMENT_WORKING_DAYS = (3, 5)

_ALL = re.compile(r"\b(all|both|every|each)\b[\w\s]{0,20}\bcards?\b")
_DIGITS = re.compile(r"(?<!\d)\d{4}(?!\d)")
_STOLEN = re.compile(r"\b(stolen|stole|steal|theft|thief|thieves|nicked|pickpocket\w*|robbed|mugged|taken)\b")
_LOST = re.compile(
    r"\b(lost|lose|losing|misplaced?|can'?t find|cannot find|couldn'?t find|dropped|left it|missing"
    r"|gone)\b"
)


def card_payload(last_four: str) -> str:
    return "/inform_card" + json.dumps({"card_last_four": last_four}, separators=(",", ":"))


def offers_single_card(tracker: Tracker, cards: tuple[Card, ...]) -> bool:
    """True when the question asked was "Is it your <card>?" (one card on file, not yet declined)."""
    return len(cards) == 1 and not tracker.get_slot("card_offer_declined")


def match_card(text: str, cards: tuple[Card, ...]) -> str | None:
    """Which card the text points at: four digits, ALL_CARDS, or a card named by type or label."""
    lower = text.lower()
    if cards and _ALL.search(lower):
        return ALL_CARDS
    digits = set(_DIGITS.findall(text))
    if len(digits) == 1:
        return digits.pop()
    if digits:
        return None
    named = [card for card in cards if _names_card(lower, card)]
    return named[0].last_four if len(named) == 1 else None


def _names_card(lower: str, card: Card) -> bool:
    words = {card.type} | {w for w in re.findall(r"[a-z]+", card.label.lower()) if len(w) >= 4}
    words -= {"card", "cards"}
    return any(re.search(rf"\b{re.escape(word)}\b", lower) for word in words)


def loss_kind(text: str, *, strict: bool = False) -> str | None:
    """'lost', 'stolen' or (unless ``strict``) 'unsure' for an answer; None when it says neither."""
    lower = text.lower()
    if not strict and is_unsure(lower):
        return "unsure"
    stolen, lost = bool(_STOLEN.search(lower)), bool(_LOST.search(lower))
    if stolen and lost:
        return None if strict else "unsure"
    if stolen:
        return "stolen"
    if lost:
        return "lost"
    return None


class ActionAskCardLossFormCardLastFour(Action):
    """Asks which card, offering the customer's own cards as buttons when we know them."""

    def name(self) -> str:
        return "action_ask_card_loss_form_card_last_four"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        cards = customer_cards(tracker)
        if not cards or tracker.get_slot("card_offer_declined"):
            dispatcher.utter_message(response="utter_ask_card_last_four")
        elif len(cards) == 1:
            card = cards[0]
            dispatcher.utter_message(
                text=f"Is it your {card.display}?",
                buttons=[
                    {"title": f"Yes, {card.display}", "payload": card_payload(card.last_four)},
                    {"title": "No, a different card", "payload": card_payload(OTHER_CARD)},
                ],
            )
        else:
            buttons = [{"title": card.display, "payload": card_payload(card.last_four)} for card in cards]
            buttons.append({"title": "All of these cards", "payload": card_payload(ALL_CARDS)})
            buttons.append({"title": "A different card", "payload": card_payload(OTHER_CARD)})
            dispatcher.utter_message(text="Which card is it?", buttons=buttons)
        return []


def targets_of(choice: str, cards: tuple[Card, ...]) -> list[Card]:
    """The cards a card_last_four answer points at (a card not on file by its digits alone)."""
    if choice == ALL_CARDS:
        return list(cards)
    for card in cards:
        if card.last_four == choice:
            return [card]
    if len(choice) == 4 and choice.isdigit():
        return [Card(choice, "card", "card")]
    return []


def already_frozen(tracker: Tracker, service: SimulatedCardService) -> bool:
    """True when every card the customer chose is known to be frozen: nothing to offer to freeze."""
    choice, customer_id = tracker.get_slot("card_last_four"), tracker.get_slot("customer_id")
    if not isinstance(choice, str) or not customer_id:
        return False
    targets = targets_of(choice, customer_cards(tracker))
    return bool(targets) and all(card.frozen or service.is_frozen(customer_id, card.last_four) for card in targets)


class ValidateCardLossForm(FlowFormValidation):
    def __init__(self, cards: SimulatedCardService | None = None) -> None:
        self._cards = cards or card_service

    def name(self) -> str:
        return "validate_card_loss_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        # Only a signed-in customer's card can be frozen from the chat; others are told how. A card
        # already frozen is not offered again.
        slots = ["card_last_four", "card_loss_kind"]
        if tracker.get_slot("customer_id") and not already_frozen(tracker, self._cards):
            slots.append("freeze_now")
        return slots

    async def extract_card_last_four(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not self.should_extract(tracker, "card_last_four"):
            return {}
        cards = customer_cards(tracker)
        if self.is_requested(tracker, "card_last_four"):
            # The typed answer arrives through from_text; only "no" to "Is it your <card>?" lands here.
            if latest_intent(tracker) == "deny" and offers_single_card(tracker, cards):
                return {"card_last_four": OTHER_CARD}
            return {}
        choice = match_card(latest_text(tracker), cards) if cards else None
        known = {card.last_four for card in cards} | {ALL_CARDS}
        return {"card_last_four": choice} if choice in known else {}

    def validate_card_last_four(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = value if isinstance(value, str) else ""
        cards = customer_cards(tracker)
        if text == OTHER_CARD:
            return {"card_last_four": None, "card_offer_declined": True}
        if contains_full_card_number(text):
            return self.reject("card_last_four", tracker, dispatcher, "utter_no_full_card_number")
        if offers_single_card(tracker, cards) and text not in (ALL_CARDS, cards[0].last_four):
            answer = True if latest_intent(tracker) == "affirm" else parse_yes_no(text)
            if answer is True:
                return {"card_last_four": cards[0].last_four}
            if answer is False:
                return {"card_last_four": None, "card_offer_declined": True}
        choice = match_card(text, cards)
        if choice is None or (choice == ALL_CARDS and not cards):
            return self.reject("card_last_four", tracker, dispatcher, "utter_card_not_recognised")
        if cards and choice != ALL_CARDS and choice not in {card.last_four for card in cards}:
            return self.reject("card_last_four", tracker, dispatcher, "utter_card_not_on_account")
        return {"card_last_four": choice}

    async def extract_card_loss_kind(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if self.is_requested(tracker, "card_loss_kind") or not self.should_extract(tracker, "card_loss_kind"):
            return {}
        kind = loss_kind(latest_text(tracker), strict=True)
        return {"card_loss_kind": kind} if kind else {}

    def validate_card_loss_kind(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        kind = (
            value
            if value in ("lost", "stolen", "unsure")
            else loss_kind(value if isinstance(value, str) else "")
        )
        if kind is None:
            return self.reject("card_loss_kind", tracker, dispatcher, "utter_flow_not_understood")
        return {"card_loss_kind": kind}

    async def extract_freeze_now(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.extract_yes_no(tracker, "freeze_now")

    def validate_freeze_now(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if isinstance(value, bool):
            return {"freeze_now": value}
        return self.reject("freeze_now", tracker, dispatcher, "utter_flow_yes_or_no")


class ActionFreezeCard(Action):
    """Closes the card-loss flow: freezes (or explains how), replacement timing, theft next steps."""

    def __init__(
        self, cards: SimulatedCardService | None = None, clock: Callable[[], datetime] = uk_now
    ) -> None:
        self._cards = cards or card_service
        self._clock = clock

    def name(self) -> str:
        return "action_freeze_card"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        choice, kind = tracker.get_slot("card_last_four"), tracker.get_slot("card_loss_kind")
        if gave_up(tracker) or not choice or kind not in ("lost", "stolen", "unsure"):
            return close_flow_without_answer(dispatcher, tracker, FORM)
        targets = targets_of(choice, customer_cards(tracker))
        if not targets:
            return close_flow_without_answer(dispatcher, tracker, FORM)
        names = " and ".join(card.display for card in targets)
        customer_id = tracker.get_slot("customer_id")
        low, high = REPLACEMENT_WORKING_DAYS
        latest = format_day(add_working_days(self._clock().date(), high))
        paragraphs: list[str] = []
        frozen_now: list[EventType] = []
        if not customer_id:
            paragraphs.append(
                f"You're not signed in, so I can't freeze your {names} from here. Freeze it straight away in "
                "the Harbour Bank app (Cards → Freeze card), or a person from our team can do it once "
                "they've checked it's you."
            )
            paragraphs.append(
                f"You can order a replacement in the app too; it arrives in {low}–{high} working days."
            )
        elif tracker.get_slot("freeze_now") is True or already_frozen(tracker, self._cards):
            for card in targets:
                result = self._cards.freeze(customer_id, card.last_four)
                if result.already_frozen or card.frozen:
                    paragraphs.append(
                        f"Your {card.display} is already frozen, so no new payments or cash withdrawals "
                        "will go through on it."
                    )
                else:
                    paragraphs.append(
                        f"Done: your {card.display} is now frozen. No new payments or cash withdrawals "
                        "will go through on it."
                    )
            frozen_now = mark_frozen(tracker, [card.last_four for card in targets])
            plural = "cards are" if len(targets) > 1 else "card is"
            paragraphs.append(
                f"A replacement {plural} on the way to the address we hold for you and should arrive "
                f"in {low}–{high} working days (by {latest} at the latest). If the old card turns up "
                "before then, you can unfreeze it in the app."
            )
        elif kind == "lost":
            paragraphs.append(
                f"OK, I haven't frozen your {names}. If it doesn't turn up soon, freeze it in the app "
                "(Cards → Freeze card) or ask me again: freezing is instant and you can undo it."
            )
        else:
            paragraphs.append(
                f"OK, I haven't frozen your {names}. As it may have been stolen, please freeze it as soon as "
                "you can: it's instant, and you can unfreeze it in the app if it turns up."
            )
        if kind in ("stolen", "unsure"):
            paragraphs.append(
                "If you see payments you don't recognise, report them: a person from our team can stop "
                "and dispute them with you now."
            )
        else:
            paragraphs.append(
                "If anything else about this card worries you, a person from our team can help."
            )
        for paragraph in paragraphs[:-1]:
            dispatcher.utter_message(text=paragraph)
        if kind in ("stolen", "unsure"):
            dispatcher.utter_message(text=paragraphs[-1], buttons=[step_button("card_stolen"), HUMAN_BUTTON])
        else:
            offer_human(dispatcher, paragraphs[-1])
        return reset_events(tracker, FORM) + frozen_now
