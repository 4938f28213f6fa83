"""The Rasa speed fixes change nothing a caller can observe, on Rasa's own classes."""

from __future__ import annotations

import copy

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

from bot import rasa_speedups

rasa_speedups.apply()
SCHEMA = RemoteAction.action_response_format_spec()
VALID = {"events": [{"event": "slot", "name": "card_last_four", "value": "1234"}],
         "responses": [{"text": "Done.", "buttons": []}]}
EVENTS_OF_EVERY_KIND = [
    {"event": "slot", "name": "card_last_four", "value": "1234", "timestamp": None},
    {"event": "action", "name": "utter_greet", "policy": None, "confidence": 1.0},
    {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet", "confidence": 0.9}, "entities": []}},
    {"event": "bot", "text": "Hello!", "data": {"buttons": [{"title": "Yes", "payload": "/affirm"}]}},
    {"event": "session_started"}, {"event": "active_loop", "name": None}, {"event": "followup", "name": "utter_x"},
    {"event": "reset_slots"}, {"event": "pause"}, {"event": "resume"}, {"event": "restart"},
]
INVALID = [
    {"events": [{"event": "slot"}], "responses": []},  # a slot event without a name
    {"events": "not a list"},
    {"responses": ["not an object"]},
    # refused by the one event schema an event's name selects, or by having no such name
    {"events": [{"event": "slot", "name": 5, "value": 1}]},  # a name that is not a string
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"event": 7}]},
    {"events": [{"name": "an event without its kind"}]},
    {"events": [{"event": "user", "text": 12}]},
    {"events": [{"event": "slot", "name": "card_last_four"}]},  # no value
    {"events": [EVENTS_OF_EVERY_KIND[0], {"event": "user", "parse_data": "not an object"}]},
    {"events": [], "responses": "not a list"},
    ["not an object"],
]


def test_after_apply_each_rasa_member_is_its_replacement() -> None:
    """Installed, not merely importable: the tests below that call Rasa's classes exercise ours."""
    for patch in rasa_speedups.PATCHES:
        assert patch.installed() is patch.replacement, patch.target
    assert Event.resolve_by_type is rasa_speedups._resolve_by_type  # a staticmethod, read as Rasa's callers do
    assert RemoteAction._validate_action_result is rasa_speedups._validate_action_result


def test_a_second_apply_changes_nothing() -> None:
    before = [patch.installed() for patch in rasa_speedups.PATCHES]
    rasa_speedups.apply()
    assert [patch.installed() for patch in rasa_speedups.PATCHES] == before


def test_a_valid_action_response_still_validates() -> None:
    action = RemoteAction("action_lost_card", None)
    assert action._validate_action_result(VALID) is True


@pytest.mark.parametrize("response", INVALID)
def test_an_invalid_action_response_raises_what_jsonschema_validate_raises(response) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(jsonschema.ValidationError) as expected:
        jsonschema.validate(response, SCHEMA)
    with pytest.raises(jsonschema.ValidationError) as ours:
        RemoteAction("action_lost_card", None)._validate_action_result(response)
    assert ours.value.message.startswith(expected.value.message)
    assert "Failed to validate Action server response" in ours.value.message
    assert list(ours.value.path) == list(expected.value.path)


def test_responses_with_events_of_every_kind_validate_as_jsonschema_validates_them() -> None:
    action = RemoteAction("action_lost_card", None)
    for event in EVENTS_OF_EVERY_KIND:
        response = {"events": [event], "responses": []}
        jsonschema.validate(response, SCHEMA)
        assert action._validate_action_result(response) is True
    assert action._validate_action_result({"events": EVENTS_OF_EVERY_KIND}) is True
    assert action._validate_action_result({}) is True


def test_every_event_type_resolves_to_the_class_rasas_walk_finds() -> None:
    for cls in all_subclasses(Event):
        walked = next(c for c in all_subclasses(Event) if c.type_name == cls.type_name)
        assert Event.resolve_by_type(cls.type_name) is walked


def test_unknown_and_legacy_event_names_behave_as_in_rasa() -> None:
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", default=Event) is Event
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        Event.resolve_by_type("no_such_event")


def test_an_event_class_defined_after_the_cache_filled_is_still_found() -> None:
    Event.resolve_by_type("slot")  # fills the cache

    class LateEvent(Event):
        type_name = "tandem_late_test_event"

        def __eq__(self, other: object) -> bool:
            return isinstance(other, LateEvent)

        def __hash__(self) -> int:
            return hash(self.type_name)

        def as_story_string(self) -> str:
            return self.type_name

    assert Event.resolve_by_type("tandem_late_test_event") is LateEvent


def _events(start: float, *events: Event) -> list[Event]:
    for i, event in enumerate(events):
        event.timestamp = start + i
    return list(events)


def _session_with_metadata() -> list[Event]:
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered

    return _events(100.0, SlotSet("session_started_metadata", {"customer": {"id": "c1"}}),
                   ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
                   UserUttered("hi", {"name": "greet", "confidence": 0.9}), BotUttered("Hello Ann"),
                   ActionExecuted("action_listen"))


def _as_dicts(tracker) -> list[dict]:  # type: ignore[no-untyped-def]
    return [event.as_dict() for event in tracker.events]


def test_a_saved_session_with_metadata_merges_to_what_rasa_merges() -> None:
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker, get_trackers_for_conversation_sessions

    stored = DialogueStateTracker.from_events("c1", _session_with_metadata())
    held = get_trackers_for_conversation_sessions(stored)[-1]  # what retrieve() hands the processor
    assert len(held.events) < len(stored.events)  # the leading SlotSet is not in it: Rasa's slow path
    for event in _events(200.0, UserUttered("card?", {"name": "card_arrival", "confidence": 0.8}),
                         BotUttered("5-7 days"), ActionExecuted("action_listen")):
        held.update(event)
    ours = rasa_speedups.merge_trackers(stored, held)
    theirs = rasa_speedups._rasa_merge_trackers(stored, held)
    assert _as_dicts(ours) == _as_dicts(theirs)
    assert len(ours.events) == len(stored.events) + 3


def test_nothing_written_meanwhile_returns_the_tracker_itself() -> None:
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    events = _session_with_metadata()
    stored = DialogueStateTracker.from_events("c1", events)
    held = DialogueStateTracker.from_events("c1", events + _events(300.0, UserUttered("bye")))
    assert rasa_speedups.merge_trackers(stored, held) is held


def test_a_concurrent_write_still_goes_through_rasas_merge() -> None:
    from rasa.shared.core.events import BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    events = _session_with_metadata()
    stored = DialogueStateTracker.from_events("c1", events + _events(150.0, BotUttered("written elsewhere")))
    held = DialogueStateTracker.from_events("c1", events + _events(200.0, UserUttered("mine")))
    ours = rasa_speedups.merge_trackers(stored, held)
    assert _as_dicts(ours) == _as_dicts(rasa_speedups._rasa_merge_trackers(stored, held))
    assert [e.as_dict().get("text") for e in ours.events][-2:] == ["written elsewhere", "mine"]


@pytest.fixture(scope="module")
def reduced_agent():  # type: ignore[no-untyped-def]
    from pathlib import Path

    from rasa.core.agent import Agent

    models = sorted((Path(__file__).resolve().parents[2] / "models" / "reduced" / "rasa").glob("*.tar.gz"))
    if not models:
        pytest.skip("the reduced model is trained by `make test` first")
    return Agent.load(str(models[-1]))


def _with_dask(runner, *args, **kwargs):  # type: ignore[no-untyped-def]
    return rasa_speedups._rasa_run_graph(runner, *args, **kwargs)


@pytest.mark.parametrize("text", ["my card still hasn't arrived", "I want to talk to a person NOW!!!",
                                  "send 50 euros to Ann tomorrow", "hi"])
async def test_the_nlu_graph_gives_what_dask_gives(reduced_agent, text: str) -> None:  # type: ignore[no-untyped-def]
    from rasa.core.channels.channel import UserMessage
    from rasa.engine.runner.dask import DaskGraphRunner

    processor = reduced_agent.processor
    ours = await processor.parse_message(UserMessage(text))
    original, DaskGraphRunner.run = DaskGraphRunner.run, _with_dask
    try:
        theirs = await processor.parse_message(UserMessage(text))
    finally:
        DaskGraphRunner.run = original
    assert ours == theirs
    assert ours["intent"]["name"] and "sentiment" in ours


async def test_the_policy_graph_predicts_what_dask_predicts(reduced_agent) -> None:  # type: ignore[no-untyped-def]
    from rasa.core.channels.channel import UserMessage
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    processor = reduced_agent.processor
    parse = await processor.parse_message(UserMessage("my card still hasn't arrived"))
    tracker = DialogueStateTracker.from_events("speedups", [
        ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
        UserUttered("my card still hasn't arrived", parse["intent"], parse["entities"], parse)],
        slots=reduced_agent.domain.slots)
    ours = processor._predict_next_with_tracker(tracker)
    original, DaskGraphRunner.run = DaskGraphRunner.run, _with_dask
    try:
        theirs = processor._predict_next_with_tracker(tracker)
    finally:
        DaskGraphRunner.run = original
    assert (ours.policy_name, ours.max_confidence, ours.probabilities) == \
        (theirs.policy_name, theirs.max_confidence, theirs.probabilities)
    assert ours.events == theirs.events


def test_an_input_value_naming_a_node_is_refused_as_rasa_refuses_it(reduced_agent) -> None:  # type: ignore[no-untyped-def]
    from rasa.engine.exceptions import GraphRunError

    runner = reduced_agent.processor.graph_runner
    node = next(iter(runner._graph_schema.nodes))
    with pytest.raises(GraphRunError, match="clashes with a node name"):
        runner.run(inputs={"__message__": node})


async def test_rule_matching_finds_the_rules_rasas_own_loop_finds(reduced_agent, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import json

    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.core.policies.rule_policy import RulePolicy

    seen: list = []

    def recording(self, lookup, states):  # type: ignore[no-untyped-def]
        seen.append((self, lookup, copy.deepcopy(states)))
        return rasa_speedups._rasa_get_possible_keys(self, lookup, states)

    monkeypatch.setattr(RulePolicy, "_get_possible_keys", recording)
    conversations = [["hi", "my card still hasn't arrived", "thanks"],
                     ["I lost my card", "yes", "no", "what's the exchange rate for euros?"],
                     ["I want to talk to a person", "asdf qwerty"], ["my transfer never arrived", "stop"]]
    for k, texts in enumerate(conversations):
        for text in texts:
            await reduced_agent.handle_message(UserMessage(text, CollectingOutputChannel(), sender_id=f"rules-{k}"))
    monkeypatch.undo()
    assert len(seen) > 10
    policy, lookup = seen[0][0], seen[0][1]
    # ... and every rule's own steps as a conversation, and each of their beginnings.
    cases = [(p, lk, st) for p, lk, st in seen]
    for key in list(lookup)[:400]:
        steps = json.loads(key)
        cases += [(policy, lookup, steps[:n]) for n in range(len(steps) + 1)]
    matched = 0
    for p, lk, states in cases:
        ours = rasa_speedups._get_possible_keys(p, lk, states)
        assert ours == rasa_speedups._rasa_get_possible_keys(p, lk, states)
        matched += bool(ours)
    assert matched > len(cases) // 2  # rules do apply in most of them: the comparison is not of empty sets
