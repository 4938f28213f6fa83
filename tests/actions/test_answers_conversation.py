"""The bot uses what it knows (issue #25): each wrong or missing answer the issue lists, as a whole
conversation with the reduced model and the real action server.

Unlike the flow tests, the customer's questions are typed exactly as in the issue: what is proved is that
this wording reaches the right answer. Answers to the forms' questions are typed or the buttons' payloads.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from rasa.core.agent import Agent
from rasa.utils.endpoints import EndpointConfig

from tests.actions.conversation import Conversation, buttons, hands_over, offers_person, said

pytestmark = pytest.mark.model

DEBIT = {"last_four": "1234", "type": "debit", "label": "Everyday debit", "state": "active"}
CREDIT = {"last_four": "9876", "type": "credit", "label": "Rewards credit", "state": "active"}
BALANCES = [{"currency": "GBP", "amount": "1842.17"}, {"currency": "EUR", "amount": "120.00"}]


def signed_in(*cards: dict, balances: list | None = None) -> dict:
    # A customer of their own per test: the simulated card backend remembers freezes for the whole run.
    customer_id = f"cus_{uuid.uuid4().hex[:8]}"
    customer = {"name": "Ada Lovelace", "customer_id": customer_id, "cards": list(cards or (DEBIT, CREDIT))}
    customer["balances"] = BALANCES if balances is None else balances
    return {"customer": customer}


def event(intent: str, **fields: str) -> str:
    return f"/{intent}{json.dumps(fields)}"


PROACTIVE = {"proactive": True}
FROZEN_QUESTION = "Is the card shown as frozen"
MONEY_QUESTION = "Was there enough money in your account"
FREEZE_QUESTION = "Shall I freeze the card now?"


@pytest.fixture(scope="module")
def agent(reduced_model: Path, action_server_url: str) -> Agent:
    return Agent.load(str(reduced_model), action_endpoint=EndpointConfig(url=action_server_url))


# --- rates, straight from the rates table (data/exchange/rates.csv) ------------------------------------


async def test_card_spending_abroad_gets_the_euro_rate_not_the_top_up_fees(agent):
    chat = Conversation(agent)
    answer = said(await chat.say("what rate do you give if I spend euros in Spain with my card?"))
    assert "1 GBP = 1.17 EUR" in answer
    assert "a 100.00 EUR payment costs you about 85.47 GBP" in answer
    assert "top up" not in answer.lower() and "top-up" not in answer.lower()
    assert (await chat.tracker()).active_loop_name is None


async def test_one_pound_in_dollars_gets_the_rate_without_asking_for_an_amount(agent):
    chat = Conversation(agent)
    reply = await chat.say("how much is 1 pound in dollars today")
    assert "Today's rate is 1 GBP = 1.27 USD" in said(reply)
    assert "How much would you like to exchange" not in said(reply)
    # The one next step: price an amount, which asks for it.
    step = next(b for b in buttons(reply) if b["title"] == "Work out an amount")
    assert "How much would you like to exchange?" in said(await chat.say(step["payload"]))


# --- the balance, from the signed site context ---------------------------------------------------------


async def test_balance_for_a_signed_in_customer_comes_from_the_site_context(agent):
    chat = Conversation(agent, signed_in())
    answer = said(await chat.say("what's my balance"))
    assert "£1,842.17 in GBP and €120.00 in EUR" in answer
    assert "When you opened this chat" in answer


async def test_balance_for_a_guest_says_where_to_find_it(agent):
    chat = Conversation(agent)
    reply = await chat.say("what's my balance")
    assert "not signed in" in said(reply) and "Home screen of the Harbour Bank app" in said(reply)
    assert "action_fallback" not in await chat.actions()


# --- products the bank does not offer --------------------------------------------------------------------


async def test_mortgages_get_a_polite_no_with_what_the_bank_offers_and_no_queue(agent):
    chat = Conversation(agent)
    reply = await chat.say("do you do mortgages?")
    assert "Harbour Bank doesn't offer mortgages" in said(reply)
    assert "What we do offer is" in said(reply)
    assert not hands_over(reply)
    actions = await chat.actions()
    assert "action_product_not_offered" in actions
    assert "action_fallback" not in actions and "action_handoff" not in actions


# --- the declined-payment flow does not ask what it knows ---------------------------------------------


async def test_declined_payment_does_not_ask_about_money_the_customer_already_mentioned(agent):
    chat = Conversation(agent)
    asked = said(await chat.say("/declined_card_payment"))
    asked += said(await chat.say("online"))
    asked += said(await chat.say("no it's not frozen, and I definitely had enough money in my account"))
    asked += said(await chat.say("yes I approved it"))
    closing = await chat.say("/deny")  # not a gambling or crypto merchant
    assert MONEY_QUESTION not in asked + said(closing)
    assert "None of the usual causes fit" in said(closing)


async def test_a_card_the_bot_froze_is_known_frozen_when_a_payment_is_declined(agent):
    chat = Conversation(agent, signed_in({**DEBIT, "state": None}))
    await chat.say("/lost_or_stolen_card")
    await chat.say("/affirm")  # "Is it your Everyday debit ••1234?"
    await chat.say("stolen")
    frozen = await chat.say("/affirm")  # freeze it
    assert "Everyday debit ••1234 is now frozen" in said(frozen)
    asked = said(await chat.say("/declined_card_payment"))
    closing = await chat.say("in a shop")
    assert FROZEN_QUESTION not in asked + said(closing)
    assert "Your card is frozen" in said(closing)


async def test_stolen_card_that_is_already_frozen_is_not_offered_for_freezing(agent):
    chat = Conversation(agent, signed_in({**DEBIT, "state": "frozen"}))
    first = await chat.say("my card was stolen")
    assert "Is it your Everyday debit ••1234?" in said(first)
    closing = await chat.say("/affirm")
    assert FREEZE_QUESTION not in said(first) + said(closing)
    assert "Everyday debit ••1234 is already frozen" in said(closing)
    assert "A replacement card is on the way" in said(closing)


# --- a digression inside a form ---------------------------------------------------------------------------


async def test_a_question_inside_a_form_is_answered_before_the_form_asks_again(agent):
    chat = Conversation(agent)
    assert "When did you send it?" in said(await chat.say("/transfer_not_received_by_recipient"))
    reply = await chat.say("how do I change my PIN?")
    assert "Change PIN" in said(reply)
    assert "Sorry, I didn't quite get that" not in said(reply)
    assert said(reply).rstrip().endswith('For example "yesterday", "last Friday" or "3 March".')
    closing_start = await chat.say("three weeks ago")  # the form goes on where it was
    assert "How much did you send" in said(closing_start)


# --- proactive events from the host site -------------------------------------------------------------------


async def test_a_declined_payment_event_starts_the_flow_with_merchant_and_amount_filled_in(agent):
    chat = Conversation(agent, signed_in())
    first = await chat.say(event("event_card_declined", merchant="Tesco", amount="£42.50"), PROACTIVE)
    assert "I can see a card payment of £42.50 at Tesco was declined just now" in said(first)
    assert "Was the payment online or in a shop?" in said(first)
    asked = said(first) + said(await chat.say("in a shop"))
    asked += said(await chat.say("/deny"))  # not contactless over the limit
    closing = await chat.say("/deny")  # not gambling or crypto
    # Known without asking: the cards are active, and £42.50 is within the £1,842.17 balance.
    assert FROZEN_QUESTION not in asked and MONEY_QUESTION not in asked
    assert "none of them is frozen" in said(closing)
    assert "About your £42.50 payment at Tesco" in said(closing)
    assert not hands_over(first)


async def test_a_declined_event_over_the_balance_is_explained_and_offers_a_top_up(agent):
    chat = Conversation(agent, signed_in())
    first = await chat.say(event("event_card_declined", merchant="Amazon", amount="£2,500.00"), PROACTIVE)
    assert "Was the payment online or in a shop?" not in said(first)  # Amazon: online
    closing = await chat.say("/affirm")  # the security check was approved
    assert "more than your available balance" in said(closing)
    assert {"title": "Top up by card", "payload": "/topping_up_by_card"} in buttons(closing)
    assert offers_person(closing)


async def test_a_failed_top_up_event_skips_the_amount_question(agent):
    chat = Conversation(agent, signed_in())
    first = await chat.say(event("event_top_up_failed", amount="50"), PROACTIVE)
    assert "I can see your top-up of £50.00 didn't go through just now" in said(first)
    assert "How did you try to top up?" in said(first)
    second = await chat.say("card")
    assert "How much were you trying to add" not in said(second)
    assert "Did an error message appear?" in said(second)


async def test_a_late_card_delivery_event_answers_with_its_date(agent):
    chat = Conversation(agent, signed_in())
    reply = await chat.say(event("event_card_delivery_late", expected="12 March"), PROACTIVE)
    assert "your new card is running late (it was expected by 12 March)" in said(reply)
    assert offers_person(reply)


async def test_an_event_in_the_middle_of_another_flow_starts_its_own(agent):
    chat = Conversation(agent, signed_in())
    await chat.say("/transfer_not_received_by_recipient")
    first = await chat.say(event("event_card_declined", merchant="Tesco", amount="£42.50"), PROACTIVE)
    assert "I can see a card payment of £42.50 at Tesco was declined just now" in said(first)
    assert (await chat.tracker()).active_loop_name == "declined_payment_form"
