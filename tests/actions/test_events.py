"""Proactive events: their fields are checked, fill the flow's slots, and say what happened."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.events import ActionCardDeliveryLate, ActionProactiveEvent, clean_field, event_money
from tests.actions.trackers import flows_domain, slot_events, texts, tracker


def entities(**fields):
    return [{"entity": name, "value": value} for name, value in fields.items()]


async def run(action, intent, **fields):
    dispatcher = CollectingDispatcher()
    t = tracker(text=f"/{intent}", intent=intent, entities=entities(**fields))
    events = await action.run(dispatcher, t, flows_domain())
    return slot_events(events), " ".join(texts(dispatcher))


async def test_a_declined_payment_event_fills_merchant_and_amount():
    values, said = await run(ActionProactiveEvent(), "event_card_declined", merchant="Tesco", amount="£42.50")
    assert values == {"payment_merchant": "Tesco", "payment_amount": "42.5 GBP"}
    assert said == "I can see a card payment of £42.50 at Tesco was declined just now. Let's find out why."


async def test_a_declined_payment_event_with_junk_fields_still_starts_the_flow():
    values, said = await run(
        ActionProactiveEvent(), "event_card_declined", merchant="x" * 500, amount="-10"
    )
    assert values == {"payment_merchant": None}
    assert said.startswith("I can see a card payment was declined just now.")


async def test_a_failed_top_up_event_fills_amount_and_method_in_pounds_only():
    values, said = await run(ActionProactiveEvent(), "event_top_up_failed", amount="50", method="Apple Pay")
    assert values == {"topup_amount": "50", "topup_method": "apple_pay"}
    assert said.startswith("I can see your top-up of £50.00 didn't go through")
    values, _ = await run(ActionProactiveEvent(), "event_top_up_failed", amount="50 EUR")
    assert values == {}  # top-ups are in pounds: a euro amount is asked again rather than misread


async def test_a_late_delivery_event_names_its_date_and_offers_a_person():
    dispatcher = CollectingDispatcher()
    t = tracker(text="/event_card_delivery_late", intent="event_card_delivery_late",
                entities=entities(expected="12 March"))
    await ActionCardDeliveryLate().run(dispatcher, t, flows_domain())
    assert "(it was expected by 12 March)" in texts(dispatcher)[0]
    assert dispatcher.messages[-1]["buttons"] == [{"title": "Talk to a person", "payload": "/request_human"}]


@pytest.mark.parametrize(
    "value, cleaned",
    [("  Tesco\n Express ", "Tesco Express"), ("A\u0000B", "AB"), (42, "42"), (None, None), (["x"], None),
     ("", None)],
)
def test_event_fields_are_printable_bounded_text(value, cleaned):
    assert clean_field(value) == cleaned


@pytest.mark.parametrize("value", ["0", "-5", "lots", "£2000000000", None, True])
def test_event_amounts_must_be_sane(value):
    assert event_money(value) is None
