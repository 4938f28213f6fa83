"""A question on another topic inside a form is answered, and the form asks its own question again."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.digressions import digression_messages
from actions.transfers import ValidateTransferForm
from tests.actions.trackers import flows_domain, form_turn, slot_events, tracker

FORM = "transfer_form"


def domain_with_answers():
    domain = dict(flows_domain())
    domain["responses"] = {**domain["responses"], "utter_change_pin": [{"text": "Cards → Change PIN"}]}
    return domain


def confident(intent, confidence=0.9):
    t = form_turn(FORM, "transfer_date", "how do I change my PIN?", intent,
                  candidates={"transfer_date": "how do I change my PIN?"})
    t.latest_message["intent"] = {"name": intent, "confidence": confidence}
    return t


async def test_a_confident_one_shot_question_is_answered_and_the_same_question_comes_next():
    dispatcher = CollectingDispatcher()
    events = await ValidateTransferForm().run(dispatcher, confident("change_pin"), domain_with_answers())
    assert [m.get("response") for m in dispatcher.messages] == ["utter_change_pin"]
    values = slot_events(events)
    assert values["transfer_date"] is None and values["requested_slot"] == "transfer_date"
    assert "flow_attempts" not in values  # answered, not a failed answer


async def test_an_unsure_question_gets_the_forms_own_not_understood():
    dispatcher = CollectingDispatcher()
    events = await ValidateTransferForm().run(dispatcher, confident("change_pin", 0.3), domain_with_answers())
    assert "utter_change_pin" not in [m.get("response") for m in dispatcher.messages]
    assert slot_events(events)["flow_attempts"] == 1.0


def test_answers_by_action_are_said_in_their_own_words():
    t = tracker({"customer_id": None}, "what's my balance", "check_balance")
    t.latest_message["intent"] = {"name": "check_balance", "confidence": 0.95}
    messages = digression_messages(t, domain_with_answers())
    assert "not signed in" in messages[0]["text"]


def test_control_intents_and_flow_starts_are_never_digressions():
    for intent in ("deny", "goodbye", "request_human", "exchange_rate", "affirm", "nlu_fallback"):
        t = tracker(text="x", intent=intent)
        t.latest_message["intent"] = {"name": intent, "confidence": 0.99}
        assert digression_messages(t, domain_with_answers()) == []
