"""action_fallback, the rasa-sdk way: what the bot says when NLU cannot place a message."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ACKNOWLEDGED, DEFAULT, FOLLOW_UP, ActionFallback, fallback_response


def user(text: str, intent: str) -> dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"text": text, "intent": {"name": intent}}}


async def reply_to(*events: dict[str, Any]) -> str:
    latest = events[-1]["parse_data"]
    tracker = Tracker("customer-1", {}, latest, list(events), False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    assert await ActionFallback().run(dispatcher, tracker, {}) == []
    return str(dispatcher.messages[0]["response"])


@pytest.mark.parametrize("text", ["ok I'll wait until tomorrow then", "sweet, doing it now", "all sorted, cheers",
                                  "nice", "thanks, done"])
def test_acknowledgements_get_a_polite_close(text: str) -> None:
    assert fallback_response(text, answered_before=True) == ACKNOWLEDGED


@pytest.mark.parametrize("text", ["does that cost anything?", "can I use my passport for that?",
                                  "and how long does it take?"])
def test_a_follow_up_on_an_answer_is_offered_a_person_not_asked_to_rephrase(text: str) -> None:
    assert fallback_response(text, answered_before=True) == FOLLOW_UP
    assert fallback_response(text, answered_before=False) == DEFAULT


@pytest.mark.parametrize("text", ["asdfgh", "do you do mortgages", "ok how do I unblock it"])
def test_anything_else_gets_the_usual_fallback(text: str) -> None:
    assert fallback_response(text, answered_before=True) == DEFAULT


async def test_the_action_reads_whether_the_bot_answered_the_previous_message() -> None:
    answered = [user("How do I order a card?", "order_physical_card"), {"event": "bot", "text": "In the app..."},
                user("does that cost anything?", "nlu_fallback")]
    unanswered = [user("blorp", "nlu_fallback"), {"event": "bot", "text": "I'm not sure..."},
                  user("does that cost anything?", "nlu_fallback")]
    assert await reply_to(*answered) == FOLLOW_UP
    assert await reply_to(*unanswered) == DEFAULT
