"""Trackers shaped the way Rasa sends them to the action server, and helpers to read the replies.

``form_turn`` builds what a form's validation action receives: the customer's message, then
``SlotSet(requested_slot)``, ``ActionExecuted(<form>)`` and the slot candidates Rasa extracted —
``slots_to_validate()`` reads those trailing SlotSets exactly as in production.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from rasa.shared.core.domain import Domain
from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from tests.support import ROOT

# Wednesday 12 March 2025, 10:00 UK time; a Saturday for the weekend fee.
WEDNESDAY = datetime(2025, 3, 12, 10, 0)
SATURDAY = datetime(2025, 3, 15, 10, 0)


@lru_cache(maxsize=1)
def flows_domain() -> dict[str, Any]:
    """The real domain/flows.yml as the action server receives it (a dict)."""
    return Domain.load(str(ROOT / "domain" / "flows.yml")).as_dict()


def all_slots() -> dict[str, Any]:
    return {name: None for name in flows_domain()["slots"]}


def message(
    text: str, intent: str | None = "inform", entities: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9} if intent else {},
        "entities": entities or [],
    }


def tracker(
    slots: dict[str, Any] | None = None,
    text: str = "",
    intent: str | None = "inform",
    entities: list[dict[str, Any]] | None = None,
    events: list[dict[str, Any]] | None = None,
    active_loop: str | None = None,
) -> Tracker:
    values = all_slots()
    values.update(slots or {})
    latest = message(text, intent, entities)
    history = [{"event": "user", "text": text, "parse_data": latest}] + list(events or [])
    return Tracker(
        sender_id="test",
        slots=values,
        latest_message=latest,
        events=history,
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def form_turn(
    form: str,
    requested: str | None,
    text: str,
    intent: str | None = "inform",
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    candidates: dict[str, Any] | None = None,
) -> Tracker:
    """The tracker ``validate_<form>`` gets after the customer answered ``requested``.

    ``candidates`` are the values Rasa's own slot mappings extracted from this message (from_text,
    from_entity, from_intent): they are set on the tracker and listed as slots to validate.
    ``requested=None`` is the turn that activates the form.
    """
    values = dict(slots or {})
    values.update(candidates or {})
    values["requested_slot"] = requested
    trailing = [SlotSet("requested_slot", requested), ActionExecuted(form)]
    trailing += [SlotSet(name, value) for name, value in (candidates or {}).items()]
    return tracker(values, text, intent, entities, trailing, active_loop=form)


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The slots a list of events sets, last value wins."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["text"] for m in dispatcher.messages if m.get("text")]


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["response"] for m in dispatcher.messages if m.get("response")]


def buttons(dispatcher: CollectingDispatcher) -> list[dict[str, str]]:
    return [b for m in dispatcher.messages for b in m.get("buttons") or []]


def human_offered(dispatcher: CollectingDispatcher) -> bool:
    return any(b.get("payload") == "/request_human" for b in buttons(dispatcher)) or any(
        r in ("utter_flow_gave_up", "utter_flow_stopped") for r in responses(dispatcher)
    )
