"""action_handoff, the rasa-sdk way: a Tracker in, dispatched messages and events out."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionHandoff, response_for

FRAUD_REASON = {"kind": "sensitive", "detail": "fraud", "score": 1.0, "turn": 1,
                "messages": ["There are payments on my account I didn't make"]}


def user(text: str, intent: str) -> dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"text": text, "intent": {"name": intent,
                                                                                  "confidence": 0.95}}}


def tracker(events: list[dict[str, Any]], active_loop: str | None = None) -> Tracker:
    latest = next((e["parse_data"] for e in reversed(events) if e["event"] == "user"), {})
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    return Tracker("customer-1", slots, latest, events, False, None,
                   {"name": active_loop} if active_loop else {}, "action_listen")


async def run(t: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await ActionHandoff().run(dispatcher, t, {})
    return dispatcher.messages, events


async def test_handoff_tells_the_customer_emits_the_reason_and_pauses_the_bot() -> None:
    events = [user("Hi", "greet"), {"event": "bot", "text": "Hello!"},
              user("There are payments on my account I didn't make", "card_payment_not_recognised"),
              {"event": "slot", "name": "handoff_reason", "value": FRAUD_REASON}]
    messages, returned = await run(tracker(events))

    assert messages[0]["response"] == "utter_handoff_fraud"
    assert messages[1]["custom"] == {"handoff": FRAUD_REASON}
    assert returned == [SlotSet("handoff_reason", FRAUD_REASON), ConversationPaused()]


async def test_a_request_handed_over_without_a_policy_reason_is_recorded_as_explicit() -> None:
    events = [user("How do I top up?", "topping_up_by_card"), {"event": "bot", "text": "In the app..."},
              user("human please", "request_human")]
    messages, returned = await run(tracker(events))

    reason = messages[1]["custom"]["handoff"]
    assert reason == {"kind": "explicit", "detail": "asked for a person", "score": 1.0, "turn": 1,
                      "messages": ["human please"]}
    assert messages[0]["response"] == "utter_handoff_explicit"
    assert returned[-1] == ConversationPaused()


async def test_a_reason_left_from_an_earlier_handover_is_not_reused() -> None:
    old = {**FRAUD_REASON, "turn": 0}
    events = [user("I gave them my card details", "compromised_card"),
              {"event": "slot", "name": "handoff_reason", "value": old},
              {"event": "pause"}, {"event": "resume"},
              user("can I speak to someone again", "request_human")]
    messages, _ = await run(tracker(events))
    assert messages[1]["custom"]["handoff"]["kind"] == "explicit"
    assert messages[1]["custom"]["handoff"]["turn"] == 1


async def test_handoff_inside_a_form_closes_the_form_so_hand_back_does_not_resume_it() -> None:
    reason = {"kind": "explicit", "detail": "asked for a person", "score": 1.0, "turn": 1,
              "messages": ["actually can a real person help me?"]}
    events = [user("I lost my card", "lost_or_stolen_card"),
              user("actually can a real person help me?", "request_human"),
              {"event": "slot", "name": "handoff_reason", "value": reason}]
    _, returned = await run(tracker(events, active_loop="lost_card_form"))
    assert ActiveLoop(None) in returned and SlotSet("requested_slot", None) in returned
    assert returned[-1] == ConversationPaused()


def test_every_reason_kind_has_words_that_fit_it() -> None:
    assert response_for({"kind": "sensitive", "detail": "bereavement"}) == "utter_handoff_bereavement"
    assert response_for({"kind": "sensitive", "detail": "hardship"}) == "utter_handoff_hardship"
    assert response_for({"kind": "sensitive", "detail": "stolen or compromised, with distress"}) == (
        "utter_handoff_fraud")
    assert response_for({"kind": "sensitive", "detail": "something new"}) == "utter_handoff_sensitive"
    assert response_for({"kind": "negativity", "detail": "anger spike"}) == "utter_handoff_negativity"
    assert response_for({"kind": "failure", "detail": "consecutive fallbacks"}) == "utter_handoff_failure"
    assert response_for({}) == "utter_handoff_explicit"


def test_every_response_the_action_uses_is_in_the_domain() -> None:
    from rasa.shared.core.domain import Domain

    from actions.handoff import DEFAULT_RESPONSE, RESPONSES
    from tests.support import shipped_domain_files

    domain = Domain.load(shipped_domain_files())
    used = {r for _, _, r in RESPONSES} | {DEFAULT_RESPONSE}
    assert used <= set(domain.responses)
    assert "action_handoff" in domain.action_names_or_texts
    assert "handoff_reason" in {s.name for s in domain.slots}
