"""Top-up failed: method, amount and error category combine into advice; limits are checked."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.topups import (
    ERROR_ADVICE,
    METHOD_ADVICE,
    ActionTopupAdvice,
    ValidateTopupForm,
    error_category,
    method_of,
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

FORM = "topup_form"


async def validate(t):
    dispatcher = CollectingDispatcher()
    events = await ValidateTopupForm().run(dispatcher, t, flows_domain())
    return slot_events(events), dispatcher


@pytest.mark.parametrize(
    "text, method",
    [
        ("Apple Pay", "apple_pay"),
        ("gpay", "google_pay"),
        ("I sent a bank transfer", "bank_transfer"),
        ("with my debit card", "card"),
        ("my Apple Pay card", "apple_pay"),
        ("no idea", None),
    ],
)
def test_method_reading(text, method):
    assert method_of(text) == method


@pytest.mark.parametrize(
    "text, category",
    [
        ("It said declined", "declined"),
        ("Payment failed: 3D Secure authentication failed", "verification"),
        ("limit exceeded", "limit"),
        ("card type not supported", "not_supported"),
        ("the name doesn't match", "name_mismatch"),
        ("it's still pending", "pending"),
        ("something went wrong, try again later", "unavailable"),
        ("no", "none"),
        ("it didn't say anything", "none"),
        ("error XJ-9", "other"),
    ],
)
def test_error_reading(text, category):
    assert error_category(text) == category


async def test_first_message_naming_the_method_fills_it():
    values, _ = await validate(form_turn(FORM, None, "My Apple Pay top-up failed", "top_up_failed"))
    assert values["topup_method"] == "apple_pay"


async def test_the_no_error_button_means_none():
    values, _ = await validate(
        form_turn(
            FORM,
            "topup_error",
            "/deny",
            "deny",
            slots={"topup_method": "card", "topup_amount": "50"},
            candidates={"topup_error": "none"},
        )
    )
    assert values["topup_error"] == "none"


async def test_the_error_is_kept_as_a_category_not_the_customers_words():
    text = "Error: card ****1234 declined by issuer for Ada"
    values, _ = await validate(
        form_turn(
            FORM,
            "topup_error",
            text,
            slots={"topup_method": "card", "topup_amount": "50"},
            candidates={"topup_error": text},
        )
    )
    assert values["topup_error"] == "declined"


@pytest.mark.parametrize(
    "text, response",
    [
        ("-20", "utter_amount_not_positive"),
        ("5000000000000", "utter_amount_too_large"),
        ("some", "utter_amount_unclear"),
    ],
)
async def test_bad_amounts_are_refused(text, response):
    values, dispatcher = await validate(
        form_turn(
            FORM, "topup_amount", text, slots={"topup_method": "card"}, candidates={"topup_amount": text}
        )
    )
    assert values["topup_amount"] is None
    assert responses(dispatcher) == [response]


async def advise(slots):
    dispatcher = CollectingDispatcher()
    events = await ActionTopupAdvice().run(dispatcher, tracker(slots), flows_domain())
    return slot_events(events), dispatcher


async def test_error_advice_then_a_person_to_check_the_money():
    values, dispatcher = await advise(
        {"topup_method": "card", "topup_amount": "50", "topup_error": "verification"}
    )
    said = texts(dispatcher)
    assert said[0] == ERROR_ADVICE["verification"]
    assert "returned within 3–5 working days" in said[-1]
    assert human_offered(dispatcher)
    assert values == {"topup_method": None, "topup_amount": None, "topup_error": None}


async def test_no_error_shown_gets_advice_for_the_method():
    _, dispatcher = await advise(
        {"topup_method": "bank_transfer", "topup_amount": "300", "topup_error": "none"}
    )
    assert texts(dispatcher)[0] == METHOD_ADVICE["bank_transfer"]


async def test_an_amount_below_the_minimum_is_explained():
    _, dispatcher = await advise({"topup_method": "apple_pay", "topup_amount": "5", "topup_error": "limit"})
    said = texts(dispatcher)
    assert said[0].startswith("Top-ups by Apple Pay must be at least £10")
    assert ERROR_ADVICE["limit"] not in said  # the limit is already explained, not twice


async def test_an_amount_over_the_card_limit_suggests_a_bank_transfer():
    _, dispatcher = await advise({"topup_method": "card", "topup_amount": "7500", "topup_error": "other"})
    assert "£7,500.00 is over the £5,000 limit" in texts(dispatcher)[0]


async def test_bank_transfers_have_no_upper_limit():
    _, dispatcher = await advise(
        {"topup_method": "bank_transfer", "topup_amount": "7500", "topup_error": "pending"}
    )
    assert texts(dispatcher)[0] == ERROR_ADVICE["pending"]


async def test_missing_answers_close_with_a_person():
    _, dispatcher = await advise({"topup_method": "card", "topup_amount": None, "topup_error": "none"})
    assert responses(dispatcher) == ["utter_flow_gave_up"]
