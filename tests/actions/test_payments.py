"""Declined card payment: the checks are walked in order and stop at the first cause found."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.payments import (
    ADVICE,
    ActionAskCardFrozen,
    ActionDeclinedAdvice,
    ValidateDeclinedPaymentForm,
    channel_of,
    known_answer,
    stated_checks,
)
from tests.actions.trackers import (
    flows_domain,
    form_turn,
    human_offered,
    responses,
    slot_events,
    texts,
    tracker,
)

FORM = "declined_payment_form"


async def validate(t):
    dispatcher = CollectingDispatcher()
    events = await ValidateDeclinedPaymentForm().run(dispatcher, t, flows_domain())
    return slot_events(events), dispatcher


@pytest.mark.parametrize(
    "text, channel",
    [
        ("My card is not working at stores.", "in_shop"),
        ("declined on amazon", "online"),
        ("in a shop", "in_shop"),
        ("online", "online"),
        ("contactless at the till", "in_shop"),
        ("I'm not sure why my card didn't work", None),
        ("online and in shops", None),
    ],
)
def test_channel_reading(text, channel):
    assert channel_of(text) == channel


async def test_first_message_saying_where_starts_with_the_frozen_check():
    t = form_turn(FORM, None, "I could not use my card in a store", "declined_card_payment")
    values, _ = await validate(t)
    assert values["payment_channel"] == "in_shop"
    assert values["requested_slot"] == "card_frozen"


async def test_in_shop_walks_contactless_then_balance():
    slots = {"payment_channel": "in_shop"}
    values, _ = await validate(
        form_turn(FORM, "card_frozen", "no", "deny", slots=slots, candidates={"card_frozen": False})
    )
    assert values["requested_slot"] == "contactless_over_limit"
    slots.update(card_frozen=False)
    values, _ = await validate(
        form_turn(
            FORM,
            "contactless_over_limit",
            "nope",
            "deny",
            slots=slots,
            candidates={"contactless_over_limit": False},
        )
    )
    assert values["requested_slot"] == "enough_balance"


async def test_online_asks_about_the_security_check_instead_of_contactless():
    values, _ = await validate(
        form_turn(
            FORM,
            "card_frozen",
            "no",
            "deny",
            slots={"payment_channel": "online"},
            candidates={"card_frozen": False},
        )
    )
    assert values["requested_slot"] == "secure_check_passed"


async def test_finding_a_cause_ends_the_questions():
    values, _ = await validate(
        form_turn(
            FORM,
            "card_frozen",
            "yes",
            "affirm",
            slots={"payment_channel": "online"},
            candidates={"card_frozen": True},
        )
    )
    assert values["card_frozen"] is True
    assert values["requested_slot"] is None


async def test_a_typed_no_not_classified_deny_still_answers():
    values, _ = await validate(
        form_turn(
            FORM,
            "enough_balance",
            "there wasn't enough, no",
            "declined_card_payment",
            slots={"payment_channel": "online", "card_frozen": False, "secure_check_passed": True},
        )
    )
    # "there wasn't..." does not start with a yes/no word: asked again rather than guessed
    assert "enough_balance" not in values
    values, _ = await validate(
        form_turn(
            FORM,
            "enough_balance",
            "no there wasn't",
            "declined_card_payment",
            slots={"payment_channel": "online", "card_frozen": False, "secure_check_passed": True},
        )
    )
    assert values["enough_balance"] is False
    assert values["requested_slot"] is None


async def test_an_unclear_channel_is_asked_again():
    values, dispatcher = await validate(
        form_turn(FORM, "payment_channel", "dunno", candidates={"payment_channel": "dunno"})
    )
    assert values["payment_channel"] is None
    assert responses(dispatcher) == ["utter_flow_not_understood"]


async def advise(slots):
    dispatcher = CollectingDispatcher()
    events = await ActionDeclinedAdvice().run(dispatcher, tracker(slots), flows_domain())
    return slot_events(events), dispatcher


@pytest.mark.parametrize(
    "slots, cause",
    [
        ({"payment_channel": "online", "card_frozen": True}, "frozen"),
        (
            {"payment_channel": "in_shop", "card_frozen": False, "contactless_over_limit": True},
            "contactless_limit",
        ),
        ({"payment_channel": "online", "card_frozen": False, "secure_check_passed": False}, "secure_check"),
        (
            {
                "payment_channel": "online",
                "card_frozen": False,
                "secure_check_passed": True,
                "enough_balance": False,
            },
            "balance",
        ),
        (
            {
                "payment_channel": "in_shop",
                "card_frozen": False,
                "contactless_over_limit": False,
                "enough_balance": True,
                "merchant_blocked_category": True,
            },
            "blocked_merchant",
        ),
        (
            {
                "payment_channel": "in_shop",
                "card_frozen": False,
                "contactless_over_limit": False,
                "enough_balance": True,
                "merchant_blocked_category": False,
            },
            "unknown",
        ),
    ],
)
async def test_advice_matches_the_cause_and_offers_a_person(slots, cause):
    values, dispatcher = await advise(slots)
    assert texts(dispatcher)[0] == ADVICE[cause]
    assert human_offered(dispatcher)
    assert all(value is None for value in values.values()) and values["payment_channel"] is None


async def test_advice_without_answers_closes_with_a_person():
    _, dispatcher = await advise({"payment_channel": "online"})
    assert responses(dispatcher) == ["utter_flow_gave_up"]


# --- what the flow knows without asking -----------------------------------------------------------------


ACTIVE = {"last_four": "1234", "type": "debit", "label": "Everyday debit", "state": "active"}


@pytest.mark.parametrize(
    "text, found",
    [
        ("I definitely had enough money in my account", {"enough_balance": True}),
        ("there's plenty of money", {"enough_balance": True}),
        ("I don't have enough money", {"enough_balance": False}),
        ("insufficient funds it said", {"enough_balance": False}),
        ("no it's not frozen", {"card_frozen": False}),
        ("the card is frozen", {"card_frozen": True}),
        ("I approved it in the app", {"secure_check_passed": True}),
        ("I never got a code", {"secure_check_passed": False}),
        ("I used chip and pin", {"contactless_over_limit": False}),
        ("it was a betting site", {"merchant_blocked_category": True}),
        ("it was declined at the shop", {}),
    ],
)
def test_what_a_customer_says_answers_the_checks_it_names(text, found):
    assert stated_checks(text) == found


async def test_something_said_earlier_in_the_conversation_is_not_asked_again():
    earlier = [{"event": "user", "text": "my payment failed but I have plenty of money", "parse_data": {}}]
    t = form_turn(FORM, "card_frozen", "no", "deny", slots={"payment_channel": "online"},
                  candidates={"card_frozen": False})
    t.events[:0] = earlier
    values, _ = await validate(t)
    assert values["enough_balance"] is True


def test_card_states_from_the_site_answer_the_frozen_check():
    assert known_answer(tracker({"customer_cards": [ACTIVE]}), "card_frozen") is False
    assert known_answer(tracker({"customer_cards": [{**ACTIVE, "state": "frozen"}]}), "card_frozen") is True
    assert known_answer(tracker({"customer_cards": [{**ACTIVE, "state": None}]}), "card_frozen") is None


@pytest.mark.parametrize("amount, enough", [("42.5 GBP", True), ("2500 GBP", False), ("10 USD", None)])
def test_an_events_amount_is_weighed_against_the_balance_in_its_currency(amount, enough):
    slots = {"payment_amount": amount, "customer_balances": [{"currency": "GBP", "amount": "1842.17"}]}
    assert known_answer(tracker(slots), "enough_balance") is enough


async def test_a_card_known_frozen_among_others_is_named_in_the_question():
    dispatcher = CollectingDispatcher()
    slots = {"customer_cards": [ACTIVE, {"last_four": "9876", "type": "credit", "label": "Rewards", "state": "frozen"}]}
    await ActionAskCardFrozen().run(dispatcher, tracker(slots), flows_domain())
    assert texts(dispatcher) == [
        "Was the payment made with your Rewards ••9876? That card is frozen, and a frozen card declines every payment."
    ]
