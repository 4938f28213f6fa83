"""bot.escalation.kinds: the one list of escalation kinds, and the policy speaking only its words."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from actions import handoff as action_handoff
from bot.escalation import signals
from bot.escalation.kinds import LABELS, POLICY_KINDS, Kind, parse_kind

ROOT = Path(__file__).resolve().parents[2]


def test_the_policy_decides_with_exactly_the_policy_kinds() -> None:
    assert (signals.EXPLICIT, signals.SENSITIVE, signals.NEGATIVITY, signals.FAILURE) == tuple(
        k.value for k in POLICY_KINDS)
    assert all(type(k) is str for k in (signals.EXPLICIT, signals.FAILURE))  # plain JSON in the slot


def test_every_kind_has_words_for_people() -> None:
    assert set(LABELS) == set(Kind)
    assert all(k.label and k.label == LABELS[k] for k in Kind)


def test_a_kind_is_its_own_json_and_log_text() -> None:
    assert json.dumps({"kind": Kind.SENSITIVE}) == '{"kind": "sensitive"}'
    assert f"{Kind.FAILURE}" == str(Kind.FAILURE) == "failure"


@pytest.mark.parametrize("value", ["negative_emotion", "sensitive_topic", "", None, 3, ["explicit"]])
def test_anything_not_in_the_list_parses_to_none(value: object) -> None:
    assert parse_kind(value) is None


def test_known_kinds_parse() -> None:
    assert [parse_kind(k.value) for k in Kind] == list(Kind)


def test_action_handoff_answers_each_policy_kind_with_its_own_words() -> None:
    handled = {kind for kind, _, _ in action_handoff.RESPONSES}
    assert handled == set(POLICY_KINDS)


def test_no_page_retypes_the_kinds() -> None:
    """The console and dashboard import labels and colours from /vocabulary.js; old spellings are gone."""
    stale = re.compile(r"negative_emotion|sensitive_topic|repeated_fallback")
    labels = [f'"{k.label}"' for k in Kind]
    for js in (ROOT / "handoff" / "static").rglob("*.js"):
        text = js.read_text(encoding="utf-8")
        assert not stale.search(text), js
        assert not [label for label in labels if label in text], js
