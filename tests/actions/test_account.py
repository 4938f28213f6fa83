"""Balances and card states from the site's context: the balance answer, and what the bot knows is frozen."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.account import ActionAnswerBalance, all_frozen_state, format_money, mark_frozen
from actions.customer import Card
from tests.actions.trackers import flows_domain, slot_events, texts, tracker

ACTIVE = Card("1234", "debit", "Everyday debit", "active")
FROZEN = Card("9876", "credit", "Rewards credit", "frozen")
UNKNOWN = Card("5555", "debit", "Travel", None)


async def balance_answer(slots):
    dispatcher = CollectingDispatcher()
    await ActionAnswerBalance().run(dispatcher, tracker(slots), flows_domain())
    return " ".join(texts(dispatcher))


async def test_a_signed_in_customer_hears_every_balance_and_when_it_was_read():
    said = await balance_answer({
        "customer_id": "cus_042",
        "customer_balances": [{"currency": "GBP", "amount": "1842.17"}, {"currency": "CHF", "amount": "-3.5"}],
    })
    assert "When you opened this chat, your balance was £1,842.17 in GBP and -3.50 CHF in CHF." in said
    assert "Payments since then aren't included" in said


async def test_a_signed_in_customer_without_balances_is_told_where_to_look():
    said = await balance_answer({"customer_id": "cus_042", "customer_balances": []})
    assert said.startswith("I can't see your balance from this chat.") and "Home screen" in said


async def test_a_guest_is_told_where_to_look_and_that_signing_in_helps():
    said = await balance_answer({"customer_balances": [{"currency": "GBP", "amount": "5"}]})  # not signed in
    assert "not signed in" in said and "£" not in said


@pytest.mark.parametrize(
    "amount, currency, shown",
    [("1842.17", "GBP", "£1,842.17"), ("120", "EUR", "€120.00"), ("-5", "GBP", "-£5.00"), ("1000", "CHF", "1,000.00 CHF")],
)
def test_money_is_written_with_its_symbol_or_code(amount, currency, shown):
    assert format_money(Decimal(amount), currency) == shown


@pytest.mark.parametrize(
    "cards, state",
    [((FROZEN,), True), ((ACTIVE,), False), ((ACTIVE, FROZEN), None), ((ACTIVE, UNKNOWN), None), ((), None),
     ((Card("1111", "debit", "A", "frozen"), FROZEN), True)],
)
def test_all_frozen_state_says_only_what_every_card_agrees_on(cards, state):
    assert all_frozen_state(cards) is state


def test_freezing_marks_only_the_frozen_cards():
    t = tracker({"customer_cards": [ACTIVE.as_slot(), UNKNOWN.as_slot()]})
    cards = slot_events(mark_frozen(t, ["5555"]))["customer_cards"]
    assert [card.get("state") for card in cards] == ["active", "frozen"]
