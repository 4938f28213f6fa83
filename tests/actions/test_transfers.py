"""Transfer not received: when, how much, which currency; then expected arrival or a trace."""

from __future__ import annotations

from datetime import date

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.transfers import ActionTransferStatus, ValidateTransferForm, transfer_status
from tests.actions.trackers import (
    WEDNESDAY,
    flows_domain,
    form_turn,
    human_offered,
    responses,
    slot_events,
    texts,
    tracker,
)

FORM = "transfer_form"


async def validate(t):
    dispatcher = CollectingDispatcher()
    events = await ValidateTransferForm(clock=lambda: WEDNESDAY).run(dispatcher, t, flows_domain())
    return slot_events(events), dispatcher


@pytest.mark.parametrize(
    "sent, currency, due, overdue",
    [
        (date(2025, 3, 11), "EUR", date(2025, 3, 12), False),  # SEPA sent Tuesday: due Wednesday
        (date(2025, 3, 10), "EUR", date(2025, 3, 11), True),  # sent Monday: a day late
        (date(2025, 3, 8), "GBP", date(2025, 3, 11), True),  # sent Saturday: starts Monday, due Tuesday
        (date(2025, 3, 7), "USD", date(2025, 3, 14), False),  # SWIFT: 5 working days after Friday
        (date(2025, 3, 12), "GBP", date(2025, 3, 13), False),  # sent today
    ],
)
def test_status_counts_working_days_per_scheme(sent, currency, due, overdue):
    status = transfer_status(sent, date(2025, 3, 12), currency)
    assert (status.due, status.overdue) == (due, overdue)


def test_bank_holidays_do_not_count():
    status = transfer_status(date(2025, 4, 17), date(2025, 4, 22), "EUR")  # Good Friday, Easter Monday
    assert status.due == date(2025, 4, 22) and not status.overdue


async def test_first_message_with_amount_currency_and_date_fills_everything():
    t = form_turn(
        FORM,
        None,
        "I sent 250 euros to my friend last Friday and it never arrived",
        "transfer_not_received_by_recipient",
    )
    values, _ = await validate(t)
    assert values["transfer_date"] == "2025-03-07"
    assert values["transfer_amount"] == "250"
    assert values["transfer_currency"] == "EUR"


async def test_date_from_the_date_entity():
    t = form_turn(
        FORM,
        "transfer_date",
        "the day before yesterday",
        entities=[{"entity": "DATE", "value": "the day before yesterday"}],
        candidates={"transfer_date": "the day before yesterday"},
    )
    values, _ = await validate(t)
    assert values["transfer_date"] == "2025-03-10"


async def test_a_future_date_is_refused():
    t = form_turn(FORM, "transfer_date", "next Friday 21 March", candidates={"transfer_date": "21 March"})
    values, dispatcher = await validate(t)
    assert values["transfer_date"] is None
    assert responses(dispatcher) == ["utter_transfer_date_in_future"]


async def test_an_unreadable_date_is_asked_again():
    t = form_turn(FORM, "transfer_date", "a while back", candidates={"transfer_date": "a while back"})
    values, dispatcher = await validate(t)
    assert values["transfer_date"] is None
    assert responses(dispatcher) == ["utter_transfer_date_unclear"]


async def test_amount_answer_with_currency_fills_both():
    t = form_turn(
        FORM,
        "transfer_amount",
        "£1,250.50",
        slots={"transfer_date": "2025-03-10"},
        entities=[{"entity": "MONEY", "value": "£1,250.50"}],
        candidates={"transfer_amount": "£1,250.50"},
    )
    values, _ = await validate(t)
    assert values["transfer_amount"] == "1250.5"
    assert values["transfer_currency"] == "GBP"


@pytest.mark.parametrize(
    "text, response",
    [
        ("-50", "utter_amount_not_positive"),
        ("0", "utter_amount_not_positive"),
        ("99999999999", "utter_amount_too_large"),
        ("loads", "utter_amount_unclear"),
    ],
)
async def test_negative_absurd_and_unreadable_amounts_are_refused(text, response):
    t = form_turn(
        FORM,
        "transfer_amount",
        text,
        slots={"transfer_date": "2025-03-10"},
        candidates={"transfer_amount": text},
    )
    values, dispatcher = await validate(t)
    assert values["transfer_amount"] is None
    assert responses(dispatcher) == [response]


async def test_unknown_currency_is_refused_without_echoing_it():
    t = form_turn(
        FORM,
        "transfer_currency",
        "zorkmids",
        slots={"transfer_date": "2025-03-10", "transfer_amount": "5"},
        candidates={"transfer_currency": "zorkmids"},
    )
    values, dispatcher = await validate(t)
    assert values["transfer_currency"] is None
    assert responses(dispatcher) == ["utter_currency_not_recognised"]
    assert "zorkmids" not in str(dispatcher.messages)


async def test_a_date_answer_does_not_take_its_day_number_for_an_amount():
    t = form_turn(FORM, "transfer_date", "12 March", candidates={"transfer_date": "12 March"})
    values, _ = await validate(t)
    assert values["transfer_date"] == "2025-03-12"
    assert "transfer_amount" not in values


async def status(slots):
    dispatcher = CollectingDispatcher()
    events = await ActionTransferStatus(clock=lambda: WEDNESDAY).run(
        dispatcher, tracker(slots), flows_domain()
    )
    return slot_events(events), dispatcher


async def test_a_transfer_within_normal_time_gets_an_arrival_date_and_next_steps():
    values, dispatcher = await status(
        {"transfer_date": "2025-03-11", "transfer_amount": "250", "transfer_currency": "EUR"}
    )
    said = texts(dispatcher)
    assert said[0].startswith(
        "Your 250.00 EUR SEPA transfer sent on Tue 11 Mar is still within the normal time."
    )
    assert "arrive by the end of Wed 12 Mar" in said[0]
    assert "we'll trace it" in said[-1]
    assert human_offered(dispatcher)
    assert values == {"transfer_date": None, "transfer_amount": None, "transfer_currency": None}


async def test_an_overdue_transfer_is_traced_with_a_person():
    _, dispatcher = await status(
        {"transfer_date": "2025-02-28", "transfer_amount": "80", "transfer_currency": "USD"}
    )
    said = texts(dispatcher)
    assert "international (SWIFT) transfer" in said[0]
    assert "It's been 8 working days, so we'll trace it" in said[0]
    assert "start the trace now" in said[-1]
    assert human_offered(dispatcher)


async def test_a_large_transfer_mentions_security_checks():
    _, dispatcher = await status(
        {"transfer_date": "2025-03-12", "transfer_amount": "25000", "transfer_currency": "GBP"}
    )
    assert any("security check" in text for text in texts(dispatcher))


async def test_missing_details_close_with_a_person():
    values, dispatcher = await status(
        {"transfer_date": "not a date", "transfer_amount": "80", "transfer_currency": "USD"}
    )
    assert responses(dispatcher) == ["utter_flow_gave_up"]
    assert values["transfer_date"] is None
