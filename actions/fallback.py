"""What the bot says when NLU cannot place a message: not always "say it another way".

Customers close and continue conversations in words the intent model was never trained on ("ok I'll
wait until tomorrow then", "sweet, doing it now", "does that cost anything?"). Answering those with
"I'm not sure I understood" is rude, and counting them as failures handed calm chats to people. So:

- an acknowledgement or closing gets a short, polite reply that leaves the door open;
- a short follow-up on the answer just given is taken as that: the bot says it cannot answer that
  detail for certain and offers a person, instead of asking the customer to rephrase;
- anything else gets the usual fallback (rephrase, or talk to a person).

The wording checks are the escalation's own (`bot.escalation.cues`), so the bot and the policy agree
on what asks nothing new.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.escalation import cues

ACKNOWLEDGED = "utter_acknowledge"
FOLLOW_UP = "utter_follow_up_unsure"
DEFAULT = "utter_default"


def _answered_before(tracker: Tracker) -> bool:
    """Did the bot answer something (not a fallback) before this message?"""
    user_turns = [e for e in tracker.events if e.get("event") == "user"]
    if len(user_turns) < 2:
        return False
    previous: dict[str, Any] = user_turns[-2].get("parse_data") or {}
    intent = (previous.get("intent") or {}).get("name")
    return intent not in (None, "nlu_fallback", "out_of_scope")


def fallback_response(text: str, answered_before: bool) -> str:
    """The response for a message NLU could not place (pure, for the tests)."""
    if cues.acknowledges(text):
        return ACKNOWLEDGED
    if answered_before and cues.follows_up(text):
        return FOLLOW_UP
    return DEFAULT


class ActionFallback(Action):
    """Replaces `utter_default` on `nlu_fallback`: acknowledgements and follow-ups get a fitting reply."""

    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = str(tracker.latest_message.get("text") or "")
        dispatcher.utter_message(response=fallback_response(text, _answered_before(tracker)))
        return []
