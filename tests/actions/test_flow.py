"""What every flow shares: a clean start, a way out, yes/no reading and giving up after three misses."""

from __future__ import annotations

import pytest
from rasa_sdk.events import ActionExecutionRejected
from rasa_sdk.executor import CollectingDispatcher

from actions.cards import ValidateCardLossForm
from actions.exchange import ValidateExchangeForm
from actions.flow import (
    ATTEMPTS_SLOT,
    FORM_SLOTS,
    GAVE_UP_SLOT,
    ActionResetFlowSlots,
    ActionStopFlow,
    parse_yes_no,
    reset_events,
)
from actions.topups import ValidateTopupForm
from actions.transfers import ValidateTransferForm
from tests.actions.trackers import flows_domain, form_turn, responses, slot_events, tracker


async def test_reset_clears_every_flow_slot_that_holds_a_value_and_nothing_else():
    t = tracker(
        {
            "card_last_four": "1234",
            "exchange_to": "EUR",
            "flow_attempts": 2.0,
            "requested_slot": "x",
            "customer_name": "Ada",
        }
    )
    events = await ActionResetFlowSlots().run(CollectingDispatcher(), t, flows_domain())
    assert slot_events(events) == {
        "card_last_four": None,
        "exchange_to": None,
        "flow_attempts": None,
        "requested_slot": None,
    }


async def test_stop_says_nothing_changed_offers_a_person_and_clears_the_flow():
    dispatcher = CollectingDispatcher()
    t = tracker({"transfer_date": "2025-03-10", "requested_slot": "transfer_amount"}, "bye", "goodbye")
    events = await ActionStopFlow().run(dispatcher, t, flows_domain())
    assert responses(dispatcher) == ["utter_flow_stopped"]
    assert slot_events(events) == {"transfer_date": None, "requested_slot": None}
    stopped = flows_domain()["responses"]["utter_flow_stopped"][0]
    assert stopped["buttons"] == [{"title": "Talk to a person", "payload": "/request_human"}]


def test_reset_of_one_form_leaves_other_flows_alone():
    t = tracker({"card_last_four": "1234", "exchange_to": "EUR"})
    assert slot_events(reset_events(t, "card_loss_form")) == {"card_last_four": None}


def test_form_slots_match_the_forms_in_the_domain():
    forms = flows_domain()["forms"]
    assert set(FORM_SLOTS) == set(forms)
    for form, slots in FORM_SLOTS.items():
        assert set(forms[form]["required_slots"]) <= set(slots)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("yes", True),
        ("Yes it was", True),
        ("yep", True),
        ("I did", True),
        ("no", False),
        ("Nope, it wasn't", False),
        ("not frozen", False),
        ("I didn't", False),
        ("not sure", None),
        ("no idea", None),
        ("maybe", None),
        ("purple", None),
        ("", None),
        (None, None),
    ],
)
def test_yes_no_reading(text, expected):
    assert parse_yes_no(text) is expected


async def test_three_unusable_answers_end_the_form_instead_of_asking_forever():
    validate = ValidateCardLossForm()
    slots = {"card_last_four": "1234", "customer_id": "c-1"}
    attempts: float | None = None
    for turn in range(3):
        dispatcher = CollectingDispatcher()
        t = form_turn(
            "card_loss_form",
            "card_loss_kind",
            "purple elephants",
            slots={**slots, ATTEMPTS_SLOT: attempts},
            candidates={"card_loss_kind": "purple elephants"},
        )
        events = await validate.run(dispatcher, t, flows_domain())
        values = slot_events(events)
        attempts = values[ATTEMPTS_SLOT]
        assert values["card_loss_kind"] is None
        if turn < 2:
            assert responses(dispatcher) == ["utter_flow_not_understood"]
            assert GAVE_UP_SLOT not in values
            assert "requested_slot" not in values  # Rasa asks the same question again
    assert values[GAVE_UP_SLOT] is True
    assert values["requested_slot"] is None  # the form ends; its closing action offers a person


async def test_an_unusable_answer_asking_for_another_flow_hands_the_turn_to_that_flow():
    text = "what's your exchange rate for euros?"
    t = form_turn(
        "transfer_form",
        "transfer_amount",
        text,
        "exchange_rate",
        slots={"transfer_date": "2025-03-10"},
        candidates={"transfer_amount": text},
    )
    dispatcher = CollectingDispatcher()
    events = await ValidateTransferForm().run(dispatcher, t, flows_domain())
    assert events == [ActionExecutionRejected("transfer_form")]
    assert dispatcher.messages == []  # no "Sorry, I didn't get that", no attempt counted


async def test_an_answer_that_parses_stays_an_answer_whatever_the_intent():
    t = form_turn(
        "transfer_form",
        "transfer_amount",
        "250 euros",
        "exchange_rate",
        slots={"transfer_date": "2025-03-10"},
        candidates={"transfer_amount": "250 euros"},
    )
    events = await ValidateTransferForm().run(CollectingDispatcher(), t, flows_domain())
    assert slot_events(events)["transfer_amount"] == "250"


async def test_an_unsure_classifier_does_not_switch_flows():
    text = "what's your exchange rate for euros?"
    t = form_turn(
        "transfer_form", "transfer_amount", text, "exchange_rate", candidates={"transfer_amount": text}
    )
    t.latest_message["intent"]["confidence"] = 0.3
    dispatcher = CollectingDispatcher()
    events = await ValidateTransferForm().run(dispatcher, t, flows_domain())
    assert slot_events(events)["transfer_amount"] is None
    assert responses(dispatcher) == ["utter_amount_unclear"]


@pytest.mark.parametrize("intent", ["goodbye", "request_human", "bot_challenge"])
async def test_leaving_asking_for_a_person_or_asking_about_the_bot_is_never_an_answer(intent):
    t = form_turn(
        "card_loss_form",
        "freeze_now",
        "yes but bye",
        intent,
        slots={"card_last_four": "1234", "card_loss_kind": "lost", "customer_id": "c-1"},
    )
    events = await ValidateCardLossForm().run(CollectingDispatcher(), t, flows_domain())
    assert "freeze_now" not in slot_events(events)  # nothing extracted: the form rejects, a rule answers


AMOUNT_FORMS = [  # (form, its validator, the amount slot, slots it already has)
    ("transfer_form", ValidateTransferForm, "transfer_amount", {"transfer_date": "2025-03-10"}),
    ("exchange_form", ValidateExchangeForm, "exchange_amount", {}),
    ("topup_form", ValidateTopupForm, "topup_amount", {"topup_method": "card"}),
]


@pytest.mark.parametrize("text, kept, response", [
    ("1000000000", "1000000000", None),  # the largest amount taken
    ("1000000000.01", None, "utter_amount_too_large"),
    ("0.01", "0.01", None),
    ("0", None, "utter_amount_not_positive"),
    ("a lot", None, "utter_amount_unclear"),
])
@pytest.mark.parametrize("form, validator, slot, slots", AMOUNT_FORMS)
async def test_the_three_amount_questions_take_and_refuse_the_same_amounts(
        form, validator, slot, slots, text, kept, response) -> None:  # type: ignore[no-untyped-def]
    """One check (FlowFormValidation.validate_amount): the same bounds and answers in every form."""
    dispatcher = CollectingDispatcher()
    t = form_turn(form, slot, text, slots=slots, candidates={slot: text})
    values = slot_events(await validator().run(dispatcher, t, flows_domain()))
    assert values[slot] == kept
    if response is not None:
        assert responses(dispatcher) == [response]
