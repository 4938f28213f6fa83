"""Exchange calculator: amount and two currencies from one or more messages, then a Decimal quote."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.exchange import (
    CARD_ABROAD,
    QUOTE,
    RATE,
    ActionExchangeQuote,
    ValidateExchangeForm,
    currency_pair,
    exchange_mode,
    rate_messages,
    rate_pair,
)
from actions.rates import default_rates
from tests.actions.trackers import (
    SATURDAY,
    WEDNESDAY,
    flows_domain,
    form_turn,
    human_offered,
    responses,
    slot_events,
    texts,
    tracker,
)

FORM = "exchange_form"


async def validate(t):
    dispatcher = CollectingDispatcher()
    events = await ValidateExchangeForm().run(dispatcher, t, flows_domain())
    return slot_events(events), dispatcher


@pytest.mark.parametrize(
    "text, pair",
    [
        ("how many yen do I get for 100 dollars", {"exchange_from": "USD", "exchange_to": "JPY"}),
        ("what's the exchange rate from euros to pounds?", {"exchange_from": "EUR", "exchange_to": "GBP"}),
        ("rate for changing pounds into CHF?", {"exchange_from": "GBP", "exchange_to": "CHF"}),
        ("what rate do you give for GBP to EUR", {"exchange_from": "GBP", "exchange_to": "EUR"}),
        ("current rate for Swiss francs?", {"exchange_to": "CHF"}),
        ("What are your exchange rates?", {}),
    ],
)
def test_which_currency_is_given_and_which_wanted(text, pair):
    assert currency_pair(text) == pair


async def test_one_first_message_can_answer_every_question():
    values, _ = await validate(
        form_turn(FORM, None, "How many yen do I get for 100 dollars?", "exchange_rate")
    )
    assert values["exchange_amount"] == "100"
    assert (values["exchange_from"], values["exchange_to"]) == ("USD", "JPY")
    assert "requested_slot" not in values or values["requested_slot"] is None


async def test_an_amount_answer_with_both_currencies_fills_all_three():
    values, _ = await validate(
        form_turn(
            FORM, "exchange_amount", "500 euros into dollars", candidates={"exchange_amount": "500 euros"}
        )
    )
    assert values == {**values, "exchange_amount": "500", "exchange_from": "EUR", "exchange_to": "USD"}


async def test_a_bare_amount_leaves_the_currencies_to_ask():
    values, _ = await validate(
        form_turn(FORM, "exchange_amount", "1,000", candidates={"exchange_amount": "1,000"})
    )
    assert values["exchange_amount"] == "1000"
    assert "exchange_from" not in values


async def test_a_currency_we_do_not_exchange_is_named_by_its_proper_name():
    values, dispatcher = await validate(
        form_turn(
            FORM,
            "exchange_to",
            "hryvnia",
            slots={"exchange_amount": "100", "exchange_from": "GBP"},
            candidates={"exchange_to": "hryvnia"},
        )
    )
    assert values["exchange_to"] is None
    assert dispatcher.messages == [
        {
            **dispatcher.messages[0],
            "response": "utter_currency_not_exchanged",
            "currency_name": "Ukrainian hryvnia",
        }
    ]


async def test_crypto_is_not_exchanged():
    values, dispatcher = await validate(
        form_turn(
            FORM,
            "exchange_from",
            "bitcoin",
            slots={"exchange_amount": "1"},
            candidates={"exchange_from": "bitcoin"},
        )
    )
    assert values["exchange_from"] is None
    assert dispatcher.messages[0]["currency_name"] == "cryptocurrencies"


async def test_an_unknown_currency_is_refused_without_echoing_it():
    values, dispatcher = await validate(
        form_turn(
            FORM,
            "exchange_from",
            "space credits",
            slots={"exchange_amount": "1"},
            candidates={"exchange_from": "space credits"},
        )
    )
    assert values["exchange_from"] is None
    assert responses(dispatcher) == ["utter_currency_not_recognised"]
    assert "space" not in str(dispatcher.messages)


async def test_the_same_currency_twice_is_refused():
    values, dispatcher = await validate(
        form_turn(
            FORM,
            "exchange_to",
            "pounds",
            slots={"exchange_amount": "10", "exchange_from": "GBP"},
            candidates={"exchange_to": "pounds"},
        )
    )
    assert values["exchange_to"] is None
    assert responses(dispatcher) == ["utter_exchange_same_currency"]


@pytest.mark.parametrize(
    "text, response",
    [
        ("-100", "utter_amount_not_positive"),
        ("1e12", "utter_amount_unclear"),
        ("2000000000", "utter_amount_too_large"),
    ],
)
async def test_negative_and_absurd_amounts_are_refused(text, response):
    values, dispatcher = await validate(
        form_turn(FORM, "exchange_amount", text, candidates={"exchange_amount": text})
    )
    assert values["exchange_amount"] is None
    assert responses(dispatcher) == [response]


async def quote(slots, now=WEDNESDAY):
    dispatcher = CollectingDispatcher()
    events = await ActionExchangeQuote(clock=lambda: now).run(dispatcher, tracker(slots), flows_domain())
    return slot_events(events), dispatcher


async def test_weekday_quote_with_fee_and_rate():
    values, dispatcher = await quote(
        {"exchange_amount": "1000", "exchange_from": "EUR", "exchange_to": "GBP"}
    )
    said = texts(dispatcher)
    assert said[0] == (
        "1,000.00 EUR = 850.43 GBP, fee 5.00 EUR (0.5% weekday fee, taken from the amount you "
        "exchange). Rate: 1 EUR = 0.854701 GBP."
    )
    assert said[1].startswith("At weekends (Saturday and Sunday, UK time) the fee is 1%")
    assert responses(dispatcher) == ["utter_exchange_next_steps"]
    assert values == {"exchange_amount": None, "exchange_from": None, "exchange_to": None}


async def test_weekend_quote_uses_the_weekend_fee():
    _, dispatcher = await quote(
        {"exchange_amount": "1000", "exchange_from": "EUR", "exchange_to": "GBP"}, SATURDAY
    )
    assert texts(dispatcher)[0].startswith("1,000.00 EUR = 846.15 GBP, fee 10.00 EUR (1% weekend fee")
    assert texts(dispatcher)[1] == "On weekdays (Monday to Friday, UK time) the fee is 0.5%."


async def test_yen_has_no_decimal_places():
    _, dispatcher = await quote({"exchange_amount": "250.5", "exchange_from": "GBP", "exchange_to": "JPY"})
    # 250.50 - 1.25 fee = 249.25 GBP x 190.5 = 47,482.125 -> 47,482 (JPY has no minor unit)
    assert texts(dispatcher)[0].startswith("250.50 GBP = 47,482 JPY, fee 1.25 GBP")


async def test_very_large_amounts_go_to_a_person():
    _, dispatcher = await quote({"exchange_amount": "5000000", "exchange_from": "GBP", "exchange_to": "EUR"})
    assert "treasury team" in texts(dispatcher)[0]
    assert human_offered(dispatcher)


async def test_an_amount_too_small_to_exchange_is_explained():
    _, dispatcher = await quote({"exchange_amount": "0.001", "exchange_from": "EUR", "exchange_to": "GBP"})
    assert "smallest amount" in texts(dispatcher)[0]


async def test_a_quote_without_its_slots_closes_with_a_person():
    _, dispatcher = await quote({"exchange_amount": "100", "exchange_from": "XXX", "exchange_to": "GBP"})
    assert responses(dispatcher) == ["utter_flow_gave_up"]


# --- rate questions: the rate from the table, no amount asked ------------------------------------------



@pytest.mark.parametrize(
    "text, mode",
    [
        ("how much is 1 pound in dollars today", RATE),
        ("what's your exchange rate for euros?", RATE),
        ("/exchange_rate", RATE),
        ("what rate do you give if I spend euros in Spain with my card?", CARD_ABROAD),
        ("what rate do I get paying in dollars abroad", CARD_ABROAD),
        ("1000 EUR to GBP", QUOTE),
        ("how many yen for 100 dollars?", QUOTE),
    ],
)
def test_the_first_message_decides_rate_card_or_quote(text, mode):
    assert exchange_mode(text) == mode


def test_a_buttons_own_mode_wins():
    assert exchange_mode("/exchange_rate", "quote") == QUOTE


@pytest.mark.parametrize(
    "text, mode, pair",
    [
        ("how much is 1 pound in dollars today", RATE, {"exchange_from": "GBP", "exchange_to": "USD"}),
        ("what's the rate for euros", RATE, {"exchange_from": "GBP", "exchange_to": "EUR"}),
        ("what's the rate for pounds", RATE, {"exchange_from": "GBP"}),
        ("if I spend euros in Spain with my card", CARD_ABROAD, {"exchange_from": "GBP", "exchange_to": "EUR"}),
        ("using my card in Japan", CARD_ABROAD, {"exchange_from": "GBP", "exchange_to": "JPY"}),
        ("paying with my card abroad", CARD_ABROAD, {"exchange_from": "GBP"}),
    ],
)
def test_the_pound_is_the_side_left_unsaid(text, mode, pair):
    assert rate_pair(text, mode) == pair


def test_the_rate_answer_gives_both_directions_and_both_fees():
    said = " ".join(rate_messages(default_rates(), "GBP", "USD", RATE))
    assert "Today's rate is 1 GBP = 1.27 USD (1 USD = 0.787402 GBP)." in said
    assert "0.5% on weekdays and 1% at weekends" in said


def test_the_card_abroad_answer_prices_an_example_payment():
    said = " ".join(rate_messages(default_rates(), "GBP", "EUR", CARD_ABROAD))
    assert "1 GBP = 1.17 EUR, so a 100.00 EUR payment costs you about 85.47 GBP" in said
    assert "choose euros" in said


async def test_a_rate_question_naming_both_currencies_needs_no_question():
    dispatcher = CollectingDispatcher()
    t = form_turn(FORM, None, "how much is 1 pound in dollars today", "exchange_rate")
    events = await ValidateExchangeForm().run(dispatcher, t, flows_domain())
    values = slot_events(events)
    assert values["exchange_mode"] == RATE and values["requested_slot"] is None
    assert "exchange_amount" not in values


async def test_an_amount_given_to_the_currency_question_turns_a_rate_question_into_a_quote():
    t = form_turn(FORM, "exchange_to", "1000 EUR to GBP", slots={"exchange_mode": RATE, "exchange_from": "GBP"},
                  candidates={"exchange_to": "1000 EUR to GBP"})
    values = slot_events(await ValidateExchangeForm().run(CollectingDispatcher(), t, flows_domain()))
    assert values["exchange_mode"] == QUOTE and values["exchange_amount"] == "1000"
    assert (values["exchange_from"], values["exchange_to"]) == ("EUR", "GBP")


async def test_the_rate_answer_offers_working_out_an_amount():
    dispatcher = CollectingDispatcher()
    slots = {"exchange_mode": RATE, "exchange_from": "GBP", "exchange_to": "USD"}
    await ActionExchangeQuote(clock=lambda: WEDNESDAY).run(dispatcher, tracker(slots), flows_domain())
    assert dispatcher.messages[-1]["buttons"] == [
        {"title": "Work out an amount", "payload": '/exchange_rate{"exchange_mode":"quote"}'}
    ]
