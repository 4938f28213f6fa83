"""Five fixes to Rasa 3.6's per-turn cost, applied once wherever an agent is loaded (handoff.assistant.bot_bridge, the
NLU workers, bot.evaluate, the escalation replay). Each replaces a private Rasa member, so `apply()` installs
them through bot/rasa_patching.py: only on a tested Rasa version and only where every target is the member
the fix was written against (docs/upgrading-rasa.md says what to do when it refuses).

Measured with cProfile over 60 routine turns and py-spy on a loaded gateway:
- every custom-action response was validated with `jsonschema.validate`, which first re-checks the
  schema itself against the JSON-Schema meta-schema: ~40 ms per call, more than the whole NLU. Here
  the validator is built once; the check, its error and its message are unchanged. Even so, each
  event was tried against all 23 event schemas of a `oneOf` (~1 ms per response, 11 % of a loaded
  gateway's CPU under cProfile): an event is now checked against the one schema its "event" name
  selects (the others require another name, so they cannot match), and a response that fails that
  goes through the full validator, which raises Rasa's error.
- every event read back from the tracker store or an action looked its class up by walking all of
  Event's subclasses (~0.25 ms each, ~10 per turn). Here the walk is cached per event type name and
  redone whenever it misses, so an event class imported later is still found.
- RedisTrackerStore.save merges the stored tracker into the one being saved. Its fast path ("nothing
  was written meanwhile") never holds when a session starts with metadata (our widget always sends
  the customer's context): the stored tracker keeps the SlotSet that precedes action_session_start,
  the retrieved one starts at action_session_start. Every save then compared each new event with
  every stored one through as_dict: O(n^2) per turn, half the gateway's CPU at 50 turns. Here the
  case "what we hold is the stored tail" is recognised and merged in O(n) with the same stored events.
- RulePolicy tried every rule against the conversation's current state on each prediction (two or
  three per turn; ~230 rules here, 14 % of the gateway's CPU): a rule whose last step names an
  intent can only apply when the current state has that intent, so only those rules, and the rules
  naming none, are tried; Rasa's own check then runs on them unchanged.
- every graph run (the NLU pipeline once per message, the policies two or three times per turn) went
  through dask: the minimal schema rebuilt by an unmemoised recursive walk, the task graph rebuilt,
  then dask's scheduler ordering and dispatching a dozen calls (~2.7 ms per NLU run on the stop-17
  host, 15 % of the parse). Here the order of each (targets, inputs) pair is worked out once and the
  nodes are called in it, with the same arguments dask would pass.
All are behaviour-preserving; tests/bot/test_rasa_speedups.py proves it on Rasa's own classes. (The awaitable
`parse_data` handoff's turns rely on is not a speed-up: handoff/assistant/awaitable_parse.py.)
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from bot.rasa_patching import Patch, install

_applied = False


@lru_cache(maxsize=1)
def _action_response_validator() -> Any:
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once, as jsonschema.validate would on every call
    return cls(schema)


@lru_cache(maxsize=1)
def _validators_by_event() -> tuple[Any, dict[str, Any]] | None:
    """(the response schema with its events unchecked, a validator per event name) where each of the
    event schema's `oneOf` alternatives requires its own "event" name; None if Rasa's schema is not so."""
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    events = schema.get("properties", {}).get("events", {})
    items = events.get("items", {})
    alternatives = items.get("oneOf") or []
    names = [alt.get("properties", {}).get("event", {}).get("const") for alt in alternatives]
    if not names or not all(isinstance(n, str) for n in names) or len(set(names)) != len(names) \
            or "event" not in items.get("required", []):
        return None
    cls = type(_action_response_validator())
    common = {k: v for k, v in items.items() if k != "oneOf"}
    outer = cls({**schema, "properties": {**schema["properties"], "events": {**events, "items": {}}}})
    return outer, {name: cls({**common, "allOf": [alt]}) for name, alt in zip(names, alternatives)}


def _valid_by_event(result: Any) -> bool:
    """True only if `result` is valid under Rasa's schema (False: let the full validator decide)."""
    split = _validators_by_event()
    if split is None or not isinstance(result, dict):
        return False
    outer, by_event = split
    if not outer.is_valid(result):
        return False
    for event in result.get("events") or ():
        name = event.get("event") if isinstance(event, dict) else None
        if not isinstance(name, str) or name not in by_event or not by_event[name].is_valid(event):
            return False
    return True


def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    from jsonschema import ValidationError, exceptions
    from rasa.shared.constants import DOCS_BASE_URL

    if _valid_by_event(result):
        return True
    error = exceptions.best_match(_action_response_validator().iter_errors(result))
    if error is None:
        return True
    assert isinstance(error, ValidationError)
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the "
        f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


_event_types: dict[str, Any] = {}


def _resolve_by_type(type_name: str, default: Any = None) -> Any:
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    cls = _event_types.get(type_name)
    if cls is None:
        _event_types.clear()
        for candidate in reversed(all_subclasses(Event)):  # reversed: the first match wins, as in Rasa
            _event_types[candidate.type_name] = candidate
        cls = _event_types.get(type_name)
    if cls is not None:
        return cls
    if type_name == "topic":
        return None  # Rasa's backwards compatibility for old TopicSet events
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


RASA_ORIGINALS: dict[str, Any] = {}  # Rasa's members as shipped, by target, once applied
_rasa_merge_trackers: Any = None
_rasa_run_graph: Any = None  # DaskGraphRunner.run as Rasa ships it (the tests compare against it)
_rasa_get_possible_keys: Any = None  # RulePolicy._get_possible_keys as Rasa ships it (the tests compare)


def merge_trackers(prior: Any, tracker: Any) -> Any:
    """RedisTrackerStore._merge_trackers: the stored events, then those of `tracker` that came later."""
    if prior.events:
        past = tracker.travel_back_in_time(target_time=prior.events[-1].timestamp)
        held, stored = len(past.events), list(prior.events)
        if 0 < held <= len(stored) and list(past.events) == stored[len(stored) - held:]:
            if held == len(stored):
                return tracker  # Rasa's own fast path: nothing was written meanwhile
            # Its only caller, RedisTrackerStore.save, serialises nothing but the events: they are put in
            # place, not replayed (Rasa replays all of them, another O(n) per turn).
            merged = tracker.init_copy()
            merged.events.extend(stored + list(tracker.events)[held:])
            return merged
    return _rasa_merge_trackers(prior, tracker)


def _graph_plan(runner: Any, targets: tuple[str, ...], inputs: frozenset[str]) -> list[tuple[str, tuple[str, ...]]]:
    """(node, the names it needs) for every node the targets depend on, each after what it needs; inputs
    stand in for the nodes they name, as they replace them in Rasa's dask graph."""
    nodes = runner._graph_schema.nodes
    plan: list[tuple[str, tuple[str, ...]]] = []
    placed: set[str] = set(inputs)

    def place(name: str) -> None:
        if name in placed or name not in nodes:
            return  # an input, a node already placed, or a name dask would pass through unresolved
        placed.add(name)
        needs = tuple(nodes[name].needs.values())
        for need in needs:
            place(need)
        plan.append((name, needs))

    for target in targets:
        place(target)
    return plan


def _run_graph(self: Any, inputs: dict[str, Any] | None = None, targets: list[str] | None = None) -> dict[str, Any]:
    """DaskGraphRunner.run without dask: same nodes, same arguments, same result and errors."""
    from rasa.engine.exceptions import GraphRunError

    run_targets = tuple(targets if targets else self._graph_schema.target_names)
    inputs = inputs or {}
    for name, value in inputs.items():
        if isinstance(value, str) and value in self._graph_schema.nodes:
            raise GraphRunError(
                f"Input value '{value}' clashes with a node name. Make sure that none of the input names "
                f"passed to the `run` method are the same as node names in the graph schema.")
    key = (run_targets, frozenset(inputs))
    plans = self.__dict__.setdefault("_tandem_plans", {})
    plan = plans.get(key)
    if plan is None:
        plan = plans[key] = _graph_plan(self, run_targets, key[1])
    # As in the dask graph: an input's value is (name, value); a node gets its needs' (name, output) pairs,
    # or the bare name of a need nothing provides.
    results: dict[str, Any] = {name: (name, value) for name, value in inputs.items()}
    try:
        for name, needs in plan:
            results[name] = self._instantiated_nodes[name](*(results.get(need, need) for need in needs))
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e
    return dict(results[target] for target in run_targets)


def _rule_index(policy: Any, lookup: dict[str, Any]) -> tuple[list[str], dict[str, list[str]]]:
    """RulePolicy `lookup`'s rule keys as (those any current state may match, those whose last step needs
    the current state's intent to be X, by X); built once per lookup."""
    from rasa.core.policies.rule_policy import SHOULD_NOT_BE_SET
    from rasa.shared.core.constants import PREVIOUS_ACTION, USER

    cache = policy.__dict__.setdefault("_tandem_rule_index", {})
    found = cache.get(id(lookup))
    if found is not None and found[0] is lookup and found[1] == len(lookup):
        return found[2]
    anywhere: list[str] = []
    by_intent: dict[str, list[str]] = {}
    for key in lookup:
        states = policy._rule_key_to_state(key)
        last = states[-1] if states else {}
        intent = (last.get(USER) or {}).get("intent")
        # Rasa's _is_rule_applicable: a last step without a previous action (a conversation start) is not
        # compared feature by feature; a set intent must equal the conversation's.
        if last.get(PREVIOUS_ACTION) and isinstance(intent, str) and intent and intent != SHOULD_NOT_BE_SET:
            by_intent.setdefault(intent, []).append(key)
        else:
            anywhere.append(key)
    cache[id(lookup)] = (lookup, len(lookup), (anywhere, by_intent))
    return anywhere, by_intent


def _get_possible_keys(self: Any, lookup: dict[str, Any], states: list[dict[str, Any]]) -> set[str]:
    """RulePolicy._get_possible_keys, given only the rules that can match the current state."""
    if states:
        from rasa.shared.core.constants import USER

        anywhere, by_intent = _rule_index(self, lookup)
        intent = (states[-1].get(USER) or {}).get("intent")
        candidates = anywhere + by_intent.get(intent, []) if isinstance(intent, str) else anywhere
        lookup = dict.fromkeys(candidates)
    return _rasa_get_possible_keys(self, lookup, states)


_MERGE = Patch("rasa.core.tracker_store", "RedisTrackerStore", "_merge_trackers", ("prior_tracker", "tracker"),
               merge_trackers, static=True)
_GRAPH = Patch("rasa.engine.runner.dask", "DaskGraphRunner", "run", ("self", "inputs", "targets"), _run_graph)
_RULES = Patch("rasa.core.policies.rule_policy", "RulePolicy", "_get_possible_keys", ("self", "lookup", "states"),
               _get_possible_keys)
PATCHES = (
    Patch("rasa.core.actions.action", "RemoteAction", "_validate_action_result", ("self", "result"),
          _validate_action_result),
    Patch("rasa.shared.core.events", "Event", "resolve_by_type", ("type_name", "default"), _resolve_by_type,
          static=True),
    _MERGE, _GRAPH, _RULES,
)


def apply() -> None:
    """Install the fixes (idempotent). Raises bot.rasa_patching.RasaPatchRefused, replacing nothing, on an
    untested Rasa version or where a target is not the member the fix was written against."""
    global _applied, _rasa_merge_trackers, _rasa_run_graph, _rasa_get_possible_keys
    if _applied:
        return
    originals = install(PATCHES)
    RASA_ORIGINALS.update(originals)
    _rasa_merge_trackers = originals[_MERGE.target]
    _rasa_run_graph = originals[_GRAPH.target]
    _rasa_get_possible_keys = originals[_RULES.target]
    _applied = True
