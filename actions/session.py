"""Session start and greeting: the customer context from the website becomes slots.

Rasa calls ``action_session_start`` for every new session with the metadata of the message that
opened it in the ``session_started_metadata`` slot. The customer object there is checked by
``actions.customer`` and copied into customer_name, customer_id, customer_cards (with each card's
state) and customer_balances; without one,
the previous session's customer slots are carried over (the same browser, a later visit).
"""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.customer import first_name, parse_customer

logger = logging.getLogger(__name__)

CUSTOMER_SLOTS = ("customer_name", "customer_id", "customer_cards", "customer_balances")
METADATA_SLOT = "session_started_metadata"


class ActionSessionStart(Action):
    """Starts a session with the customer's name, id and cards, then listens (as Rasa requires)."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        customer = parse_customer(tracker.get_slot(METADATA_SLOT))
        if customer is None:
            events += [
                SlotSet(slot, tracker.get_slot(slot))
                for slot in CUSTOMER_SLOTS
                if tracker.get_slot(slot) is not None
            ]
        else:
            # Counts only: names, ids and card digits stay out of the logs.
            logger.debug(
                "session starts with customer context (id: %s, cards: %d)",
                customer.customer_id is not None,
                len(customer.cards),
            )
            events += [
                SlotSet("customer_name", customer.name),
                SlotSet("customer_id", customer.customer_id),
                SlotSet("customer_cards", [card.as_slot() for card in customer.cards]),
                SlotSet("customer_balances", [balance.as_slot() for balance in customer.balances]),
            ]
        events.append(ActionExecuted("action_listen"))
        return events


class ActionGreet(Action):
    """Greets by first name when the website told us who the customer is."""

    def name(self) -> str:
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        name = first_name(tracker.get_slot("customer_name"))
        if name:
            dispatcher.utter_message(response="utter_greet_named", customer_name=name)
        else:
            dispatcher.utter_message(response="utter_greet")
        return []
