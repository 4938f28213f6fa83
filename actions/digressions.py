"""A question on another topic in the middle of a form: answer it, then ask the form's question again.

"Sorry, I didn't get that" to "how do I change my PIN?" while the bot waits for a transfer's date is a
dead end the customer did not walk into. When the form cannot use a message and the classifier is sure
it is one of the one-shot questions, ``FlowFormValidation.run`` says that question's answer (its
``utter_<intent>``, or the balance and product answers, which are actions) and asks its own question
again. Another flow's question moves to that flow instead (``FlowFormValidation._moves_to_another_flow``);
a "no", "bye", "are you a bot?" or "a person, please" keep their own rules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.account import balance_messages
from actions.flow import EVENT_INTENTS, FLOW_TRIGGERS, NOT_ANSWERS, latest_text
from actions.products import product_answer

# Below this the message is more likely a clumsy answer than a new question: the form's own
# "Sorry, I didn't get that" is the better reply.
DIGRESSION_CONFIDENCE = 0.5
# Intents that are answers, conversation control, or payloads, never a question to answer mid-form.
NOT_DIGRESSIONS = (
    NOT_ANSWERS
    | set(FLOW_TRIGGERS.values())
    | {"affirm", "deny", "greet", "thank_you", "inform_card", "nlu_fallback", "out_of_scope"}
    | EVENT_INTENTS
)
# Questions answered by an action rather than a response: the same words the action says.
ACTION_ANSWERS: dict[str, Callable[[Tracker], list[str]]] = {
    "check_balance": balance_messages,
    "product_not_offered": lambda tracker: [product_answer(latest_text(tracker))],
}


def digression_intent(tracker: Tracker) -> str | None:
    """The one-shot question the latest message confidently asks, or None."""
    intent = tracker.latest_message.get("intent") or {}
    name = intent.get("name") if isinstance(intent, dict) else None
    if not isinstance(name, str) or name in NOT_DIGRESSIONS:
        return None
    if float(intent.get("confidence") or 0) < DIGRESSION_CONFIDENCE:
        return None
    return name


def digression_messages(tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
    """The answer to a mid-form question, as dispatcher messages; [] when it is not one we answer."""
    intent = digression_intent(tracker)
    if intent is None:
        return []
    answer = CollectingDispatcher()
    if intent in ACTION_ANSWERS:
        for text in ACTION_ANSWERS[intent](tracker):
            answer.utter_message(text=text)
    elif f"utter_{intent}" in (domain.get("responses") or {}):
        answer.utter_message(response=f"utter_{intent}")
    return answer.messages
