"""EscalationPolicy in Rasa: first on real trackers and the project's real domain (no model needed),
then through the trained reduced assistant and the real action server, one conversation of each kind."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    ConversationPaused,
    ConversationResumed,
    Event,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import InvalidConfigException

from bot.escalation.policy import EscalationPolicy
from tests.support import ROOT, shipped_domain_files

DOMAIN = Domain.load(shipped_domain_files())


def said(text: str, intent: str, negativity: float = 0.05, **emotions: float) -> list[Event]:
    """The events of one customer turn: Rasa listened, then the customer spoke."""
    parse = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.97},
        "sentiment": {"emotions": {"neutral": 0.9, **emotions}, "negativity": negativity},
    }
    return [ActionExecuted("action_listen"), UserUttered(text, parse["intent"], [], parse)]


def tracker(*events: Event) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("customer", list(events), slots=DOMAIN.slots)


@pytest.fixture
def policy(tmp_path: Path) -> EscalationPolicy:
    storage, resource = LocalModelStorage(tmp_path), Resource("escalation")
    context = ExecutionContext(GraphSchema({}), "test")
    config = EscalationPolicy.get_default_config()
    EscalationPolicy.create(dict(config), storage, resource, context).train([], DOMAIN)
    return EscalationPolicy.load(dict(config), storage, resource, context)


def predicted(policy: EscalationPolicy, t: DialogueStateTracker) -> str | None:
    prediction = policy.predict_action_probabilities(t, DOMAIN)
    if prediction.max_confidence == 0.0:
        return None
    return DOMAIN.action_names_or_texts[prediction.max_confidence_index]


def test_predicts_handoff_right_after_the_request_with_the_reason_as_an_optional_slot(policy) -> None:
    t = tracker(
        *said("How do I top up?", "topping_up_by_card"),
        ActionExecuted("utter_topping_up_by_card"),
        *said("human please", "request_human"),
    )
    prediction = policy.predict_action_probabilities(t, DOMAIN)

    assert DOMAIN.action_names_or_texts[prediction.max_confidence_index] == "action_handoff"
    assert prediction.max_confidence == 1.0 and prediction.policy_priority == 7
    assert prediction.is_no_user_prediction  # ranks with a form's own continuation, see below
    assert prediction.events == []  # nothing is applied unless the policy wins
    [slot] = prediction.optional_events
    assert isinstance(slot, SlotSet) and slot.key == "handoff_reason"
    assert slot.value == {
        "kind": "explicit",
        "detail": "asked for a person",
        "score": 1.0,
        "turn": 1,
        "messages": ["human please"],
    }
    assert prediction.action_metadata == {"handoff": slot.value}


def test_abstains_on_a_calm_conversation(policy) -> None:
    t = tracker(*said("How do I activate my card?", "activate_my_card"))
    prediction = policy.predict_action_probabilities(t, DOMAIN)
    assert prediction.max_confidence == 0.0 and not prediction.optional_events


def test_abstains_unless_the_previous_action_was_listening(policy) -> None:
    t = tracker(*said("human please", "request_human"), ActionExecuted("utter_greet"))
    assert predicted(policy, t) is None


def test_fires_once_per_episode_and_again_after_the_agent_hands_back(policy) -> None:
    handed_over = [
        *said("agent", "request_human"),
        SlotSet("handoff_reason", {"kind": "explicit"}),
        ActionExecuted("action_handoff"),
        ConversationPaused(),
    ]
    assert predicted(policy, tracker(*handed_over[:2])) == "action_handoff"

    still_paused = tracker(*handed_over, *said("hello?", "greet"))
    assert predicted(policy, still_paused) is None

    resumed = [*handed_over, ConversationResumed(), ActionExecuted("action_listen")]
    assert (
        predicted(policy, tracker(*resumed, *said("thanks, how do I top up?", "topping_up_by_card"))) is None
    )
    again = tracker(*resumed, *said("can I talk to a person again?", "request_human"))
    prediction = policy.predict_action_probabilities(again, DOMAIN)
    assert DOMAIN.action_names_or_texts[prediction.max_confidence_index] == "action_handoff"
    assert prediction.optional_events[0].value["turn"] == 1  # counted over the whole conversation


def test_negativity_before_the_hand_back_does_not_count_after_it(policy) -> None:
    angry = said("This is a disgrace, you're thieves", "request_refund", negativity=0.95, anger=0.9)
    events = [
        *angry,
        ActionExecuted("action_handoff"),
        ConversationPaused(),
        ConversationResumed(),
        ActionExecuted("action_listen"),
        *said("ok thanks, sorted now", "thank_you", negativity=0.1),
    ]
    assert predicted(policy, tracker(*events)) is None


def test_wins_over_an_active_form_that_would_take_the_request_as_a_slot_value(tmp_path: Path, policy) -> None:
    form_domain = Domain.from_dict(
        {
            "intents": ["lost_or_stolen_card", "request_human"],
            "actions": ["action_handoff"],
            "forms": {"card_form": {"required_slots": ["card"]}},
            "slots": {
                "card": {"type": "text", "mappings": [{"type": "from_text"}]},
                "handoff_reason": {
                    "type": "any",
                    "influence_conversation": False,
                    "mappings": [{"type": "custom"}],
                },
            },
        }
    )
    rules = RulePolicy.create(
        RulePolicy.get_default_config(),
        LocalModelStorage(tmp_path),
        Resource("rules"),
        ExecutionContext(GraphSchema({}), "test"),
    )
    rules.train([], form_domain)
    t = DialogueStateTracker.from_events(
        "customer",
        [
            *said("I lost my card", "lost_or_stolen_card"),
            ActionExecuted("card_form"),
            ActiveLoop("card_form"),
            *said("actually can a real person help me with this?", "request_human"),
        ],
        slots=form_domain.slots,
    )

    form_step = rules.predict_action_probabilities(t, form_domain)
    assert form_domain.action_names_or_texts[form_step.max_confidence_index] == "card_form"
    ours = policy.predict_action_probabilities(t, form_domain)
    best = DefaultPolicyPredictionEnsemble().combine_predictions([form_step, ours], t, form_domain)

    assert best.policy_name == "EscalationPolicy"
    assert form_domain.action_names_or_texts[best.max_confidence_index] == "action_handoff"
    assert any(isinstance(e, SlotSet) and e.key == "handoff_reason" for e in best.events)


def test_training_fails_when_the_domain_lacks_the_handoff_action(tmp_path: Path) -> None:
    bare = Domain.from_dict({"intents": ["greet"], "slots": {}})
    policy = EscalationPolicy.create(
        EscalationPolicy.get_default_config(),
        LocalModelStorage(tmp_path),
        Resource("e"),
        ExecutionContext(GraphSchema({}), "t"),
    )
    with pytest.raises(InvalidConfigException, match="action_handoff"):
        policy.train([], bare)


@pytest.mark.parametrize("config", ["config.yml", "config.reduced.yml"])
def test_the_assistant_configs_run_the_policy_above_rule_policy(config: str) -> None:
    import yaml

    policies = yaml.safe_load((ROOT / config).read_text())["policies"]
    ours = [p for p in policies if p["name"].endswith("EscalationPolicy")]
    assert len(ours) == 1, f"{config} must list bot.escalation.policy.EscalationPolicy once"
    priority = ours[0].get("priority", EscalationPolicy.get_default_config()["priority"])
    assert priority > RulePolicy.get_default_config()["priority"]


# --- the real reduced assistant ----------------------------------------------------------------------

CONVERSATIONS: dict[str, tuple[list[str], int | None]] = {
    # kind: (customer turns, 0-based turn after which it must hand over, or None)
    "calm": (["How do I activate my card?", "Do I need the app for that?", "Perfect, thank you"], None),
    "hard_negative_caps": (["HOW DO I ACTIVATE MY NEW CARD", "THANK YOU"], None),
    "hard_negative_praise": (
        ["Holy shit that transfer was fast! How do I send money abroad too?", "Amazing, thanks"],
        None,
    ),
    "rising": (
        [
            "My transfer to my landlord still hasn't arrived",
            "It's been 3 days, when will it arrive?",
            "My rent is overdue because of you and I'm furious. This is completely unacceptable",
        ],
        2,
    ),
    "explicit": (["My card hasn't arrived", "It's been 2 weeks", "I'd like to speak to someone please"], 2),
    "sensitive": (["Hi", "I'm writing about my mother's account, she died last month"], 1),
    "failure": (
        [
            "How do I add my card to Apple Pay?",
            "That's not what I asked, I asked about Apple Pay not Google Pay",
            "Still not it. Apple Pay, on an iPhone",
        ],
        2,  # one correction is a misunderstanding; the second missed answer hands over
    ),
}


@pytest.fixture(scope="module")
async def agent(reduced_model: Path, action_server_url: str) -> Any:
    from bot.escalation.replay import load_agent, quiet_logs

    quiet_logs()
    return await load_agent(reduced_model, action_server_url)


async def talk(agent: Any, turns: list[str]) -> tuple[str, list[list[dict[str, Any]]]]:
    sender = f"test-{uuid.uuid4().hex}"
    return sender, [await agent.handle_text(text, sender_id=sender) or [] for text in turns]


def handoff_payload(messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((m["custom"]["handoff"] for m in messages if "handoff" in (m.get("custom") or {})), None)


@pytest.mark.model
@pytest.mark.parametrize("kind", sorted(CONVERSATIONS))
async def test_the_trained_assistant_hands_over_exactly_when_it_should(agent: Any, kind: str) -> None:
    turns, expected = CONVERSATIONS[kind]
    _, replies = await talk(agent, turns)
    handed = [i for i, messages in enumerate(replies) if handoff_payload(messages)]
    assert handed[:1] == ([] if expected is None else [expected])


@pytest.mark.model
async def test_after_handing_over_the_bot_stays_silent_and_the_tracker_is_paused(agent: Any) -> None:
    sender, replies = await talk(
        agent, ["Is there a fee to top up by card?", "can I speak to a live agent", "hello? anyone there?"]
    )
    reason = handoff_payload(replies[1])
    assert reason is not None and reason["kind"] == "explicit" and reason["turn"] == 1
    assert any(m.get("text") for m in replies[1])  # the customer is told what happens next
    assert replies[2] == []
    tracker = await agent.tracker_store.retrieve(sender)
    assert tracker.is_paused()
    assert tracker.get_slot("handoff_reason") == reason
    assert (
        sum(isinstance(e, ActionExecuted) and e.action_name == "action_handoff" for e in tracker.events) == 1
    )


@pytest.mark.model
async def test_a_request_inside_a_form_is_honoured_on_its_turn_and_closes_the_form(agent: Any) -> None:
    sender, replies = await talk(agent, ["I lost my card", "actually, can I speak to someone from your team?"])
    tracker = await agent.tracker_store.retrieve(sender)
    loops = [e.name for e in tracker.events if isinstance(e, ActiveLoop) and e.name]
    assert loops, "the lost-card flow should have started a form on the first turn"
    assert handoff_payload(replies[0]) is None
    assert handoff_payload(replies[1])["kind"] == "explicit"
    assert tracker.active_loop_name is None and tracker.is_paused()
