"""The five flows end to end: a trained Rasa model, the real action server, whole conversations.

Intents are sent as payloads ("/top_up_failed") so the reduced model's NLU cannot make the test
flaky; answers are typed text, read by the forms' from_text mappings and the validation actions.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.core.agent import Agent
from rasa.utils.endpoints import EndpointConfig

from tests.actions.conversation import Conversation, offers_person, said

pytestmark = pytest.mark.model

CUSTOMER = {
    "customer": {
        "name": "Ada Lovelace",
        "customer_id": "cus_042",
        "cards": [
            {"last_four": "1234", "type": "debit", "label": "Everyday debit"},
            {"last_four": "9876", "type": "credit", "label": "Rewards credit"},
        ],
    }
}


@pytest.fixture(scope="module")
def agent(reduced_model: Path, action_server_url: str) -> Agent:
    return Agent.load(str(reduced_model), action_endpoint=EndpointConfig(url=action_server_url))


async def test_lost_card_is_offered_as_buttons_and_frozen(agent):
    chat = Conversation(agent, CUSTOMER)
    first = await chat.say("/lost_or_stolen_card")
    assert [b["payload"] for b in first[-1]["buttons"]][:2] == [
        '/inform_card{"card_last_four":"1234"}',
        '/inform_card{"card_last_four":"9876"}',
    ]
    await chat.say('/inform_card{"card_last_four":"9876"}')
    await chat.say("stolen")
    closing = await chat.say("/affirm")
    assert "Rewards credit ••9876 is now frozen" in said(closing)
    assert "3–5 working days" in said(closing)
    assert offers_person(closing)
    assert (await chat.actions())[-1] == "action_freeze_card"
    assert (await chat.tracker()).active_loop_name is None


async def test_transfer_status_after_date_and_amount(agent):
    chat = Conversation(agent)
    await chat.say("/transfer_not_received_by_recipient")
    await chat.say("three weeks ago")
    closing = await chat.say("250 EUR")
    assert "250.00 EUR SEPA transfer" in said(closing)
    assert "we'll trace it" in said(closing)
    assert offers_person(closing)


async def test_declined_payment_stops_asking_once_the_cause_is_found(agent):
    chat = Conversation(agent)
    await chat.say("/declined_card_payment")
    await chat.say("online")
    closing = await chat.say("/affirm")  # the card is frozen
    assert "Unfreeze it in the app" in said(closing)
    assert (await chat.actions()).count("declined_payment_form") == 3


async def test_exchange_quote_from_a_single_answer(agent):
    chat = Conversation(agent)
    await chat.say("/exchange_rate")  # a rate question: "which currency?"
    closing = await chat.say("1000 EUR to GBP")  # an amount after all: priced, not just the rate
    assert "1,000.00 EUR = " in said(closing) and " GBP, fee " in said(closing)


async def test_top_up_with_no_error_shown(agent):
    chat = Conversation(agent)
    await chat.say("/top_up_failed")
    await chat.say("Apple Pay")
    await chat.say("50")
    closing = await chat.say("/deny")  # "No error was shown" is an answer here, not a way out
    assert "Apple Pay" in said(closing)
    assert offers_person(closing)


QUOTE = '/exchange_rate{"exchange_mode":"quote"}'  # the "Work out an amount" button


async def test_goodbye_leaves_a_flow_and_the_next_flow_starts_clean(agent):
    chat = Conversation(agent)
    await chat.say(QUOTE)
    await chat.say("500 EUR")
    stopped = await chat.say("/goodbye")
    assert "nothing has been changed" in said(stopped)
    assert (await chat.tracker()).active_loop_name is None
    restart = await chat.say(QUOTE)
    assert "How much would you like to exchange?" in said(restart)  # the old 500 EUR is gone
