"""Session start turns the website's customer context into slots; greeting uses the first name."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.session import ActionGreet, ActionSessionStart
from tests.actions.trackers import flows_domain, responses, slot_events, tracker

CONTEXT = {
    "customer": {
        "name": "Ada Lovelace",
        "customer_id": "cus_042",
        "cards": [
            {"last_four": "1234", "type": "debit", "label": "Everyday debit"},
            {"last_four": "9876", "type": "credit", "label": "Rewards credit"},
        ],
    }
}


async def start(metadata, slots=None):
    t = tracker({"session_started_metadata": metadata, **(slots or {})})
    return await ActionSessionStart().run(CollectingDispatcher(), t, flows_domain())


async def test_session_starts_then_listens_as_rasa_requires():
    events = await start(CONTEXT)
    assert events[0]["event"] == "session_started"
    assert events[-1] == {**events[-1], "event": "action", "name": "action_listen"}


async def test_customer_context_becomes_slots():
    values = slot_events(await start(CONTEXT))
    assert values == {
        "customer_name": "Ada Lovelace",
        "customer_id": "cus_042",
        "customer_cards": [
            {"last_four": "1234", "type": "debit", "label": "Everyday debit"},
            {"last_four": "9876", "type": "credit", "label": "Rewards credit"},
        ],
        "customer_balances": [],
    }


async def test_balances_and_card_states_become_slots_and_junk_is_dropped():
    context = {
        "customer": {
            "customer_id": "cus_042",
            "cards": [
                {"last_four": "1234", "state": "frozen"},
                {"last_four": "9876", "state": "stolen?"},  # not a state we know: left unsaid
            ],
            "balances": [
                {"currency": "GBP", "amount": "1842.17"},
                {"currency": "eur", "amount": 120},
                {"currency": "GBP", "amount": "5"},  # a second GBP balance: the first is kept
                {"currency": "USD", "amount": "lots"},
                {"currency": "POUNDS", "amount": "1"},
            ],
        }
    }
    values = slot_events(await start(context))
    assert [card.get("state") for card in values["customer_cards"]] == ["frozen", None]
    assert values["customer_balances"] == [
        {"currency": "GBP", "amount": "1842.17"},
        {"currency": "EUR", "amount": "120"},
    ]


async def test_junk_fields_are_dropped_and_the_rest_kept():
    junk = {
        "customer": {
            "name": "<b>\u0000Eve</b>" + "x" * 200,  # too long: dropped
            "customer_id": "'; DROP TABLE--",  # not an id: dropped
            "cards": [
                {"last_four": "12345", "type": "debit"},  # five digits
                {"last_four": "abcd"},
                "1234",  # not an object
                {
                    "last_four": 5678,
                    "type": ["x"],
                    "label": 7,
                },  # int digits fixed up, junk type/label defaulted
                {"last_four": "5678", "label": "duplicate"},  # same card again
                {"last_four": "4321", "type": "Credit", "label": "  Travel\ncard  "},
            ],
        }
    }
    values = slot_events(await start(junk))
    assert values["customer_name"] is None
    assert values["customer_id"] is None
    assert values["customer_cards"] == [
        {"last_four": "5678", "type": "card", "label": "Card"},
        {"last_four": "4321", "type": "credit", "label": "Travel card"},
    ]


@pytest.mark.parametrize("metadata", [None, "customer", [], {"customer": "Ada"}, {"other": 1}])
async def test_metadata_without_a_customer_object_keeps_the_previous_customer(metadata):
    previous = {"customer_name": "Ada", "customer_id": "cus_042", "customer_cards": []}
    values = slot_events(await start(metadata, previous))
    assert values == previous


async def test_no_metadata_and_no_previous_customer_sets_nothing():
    assert slot_events(await start(None)) == {}


async def test_cards_are_capped_at_ten():
    many = {"customer": {"cards": [{"last_four": f"{i:04d}"} for i in range(25)]}}
    assert len(slot_events(await start(many))["customer_cards"]) == 10


async def test_greeting_uses_the_first_name_when_known():
    dispatcher = CollectingDispatcher()
    await ActionGreet().run(dispatcher, tracker({"customer_name": "Ada Lovelace"}), flows_domain())
    assert dispatcher.messages[0]["response"] == "utter_greet_named"
    assert dispatcher.messages[0]["customer_name"] == "Ada"


async def test_greeting_without_a_name_is_the_plain_one():
    dispatcher = CollectingDispatcher()
    await ActionGreet().run(dispatcher, tracker({"customer_name": None}), flows_domain())
    assert responses(dispatcher) == ["utter_greet"]
