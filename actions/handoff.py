"""action_handoff: tell the customer honestly what happens next, hand the conversation to the desk.

The EscalationPolicy decides *that* and *why* (the `handoff_reason` slot, set on this very turn);
this action says so in words that fit the reason, emits the machine-readable handoff the gateway
queues on, and pauses the bot so it cannot talk over the agent. Queue position, expected wait and the
"nobody is online right now: stay in the queue or leave a message for a call back" offer come from
the gateway, the only part that knows who is online.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.escalation.kinds import Kind

REASON_SLOT = "handoff_reason"
REQUEST_INTENT = "request_human"

# (kind, detail) -> response; the first match wins, (kind, None) matches any detail.
RESPONSES: list[tuple[str, str | None, str]] = [
    (Kind.SENSITIVE, "fraud", "utter_handoff_fraud"),
    (Kind.SENSITIVE, "stolen or compromised, with distress", "utter_handoff_fraud"),
    (Kind.SENSITIVE, "unrecognised payment, with distress", "utter_handoff_fraud"),
    (Kind.SENSITIVE, "bereavement", "utter_handoff_bereavement"),
    (Kind.SENSITIVE, "hardship", "utter_handoff_hardship"),
    (Kind.SENSITIVE, "vulnerability", "utter_handoff_vulnerability"),
    (Kind.SENSITIVE, None, "utter_handoff_sensitive"),
    (Kind.NEGATIVITY, None, "utter_handoff_negativity"),
    (Kind.FAILURE, None, "utter_handoff_failure"),
    (Kind.EXPLICIT, None, "utter_handoff_explicit"),
]
DEFAULT_RESPONSE = "utter_handoff_explicit"


def response_for(reason: dict[str, Any]) -> str:
    for kind, detail, response in RESPONSES:
        if reason.get("kind") == kind and detail in (None, reason.get("detail")):
            return response
    return DEFAULT_RESPONSE


def customer_turns(tracker: Tracker) -> list[dict[str, Any]]:
    return [e for e in tracker.events if e.get("event") == "user"]


def reason_for_this_turn(tracker: Tracker) -> dict[str, Any]:
    """The policy's reason if it set one after the latest customer message; otherwise (the action
    was predicted by the request_human rule) an explicit-request reason built here. A reason left
    over from an earlier handover is never reused."""
    events = tracker.events
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    for event in events[last_user + 1:]:
        if event.get("event") == "slot" and event.get("name") == REASON_SLOT:
            value = event.get("value")
            if isinstance(value, dict) and value.get("kind"):
                return value
    latest = tracker.latest_message or {}
    asked = (latest.get("intent") or {}).get("name") == REQUEST_INTENT
    return {
        "kind": (Kind.EXPLICIT if asked else Kind.UNSPECIFIED).value,
        "detail": "asked for a person" if asked else "handoff without a recorded reason",
        "score": 1.0 if asked else 0.0,
        "turn": max(len(customer_turns(tracker)) - 1, 0),
        "messages": [latest.get("text") or ""] if latest.get("text") else [],
    }


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        reason = reason_for_this_turn(tracker)
        dispatcher.utter_message(response=response_for(reason))
        dispatcher.utter_message(json_message={"handoff": reason})
        events: list[EventType] = [SlotSet(REASON_SLOT, reason)]
        if tracker.active_loop_name:
            # The agent takes it from here; on hand-back the bot must not resume a half-asked form.
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        events.append(ConversationPaused())
        return events
