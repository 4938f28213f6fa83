"""Scoring escalation and reading its input: the numbers `make eval-escalation` prints, on known cases,
and the labelled set itself (size, kinds, labels that index real turns)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bot.escalation.eval import Labelled, labels_of, missed_targets, score
from bot.escalation.replay import ReplayError, read_conversations
from tests.support import ROOT

DATA = ROOT / "tests" / "data" / "escalation"


def test_score_counts_conversations_and_measures_delay_of_correct_handovers() -> None:
    labels = [
        Labelled("a", "rising", True, 2),
        Labelled("b", "explicit", True, 0),
        Labelled("c", "calm", False, None),
        Labelled("d", "hard_negative", False, None),
        Labelled("e", "failure", True, 1),
    ]
    report = score(labels, {"a": 3, "b": 0, "c": None, "d": 1, "e": None})

    assert (report["tp"], report["fp"], report["fn"]) == (2, 1, 1)
    assert report["precision"] == pytest.approx(2 / 3) and report["recall"] == pytest.approx(2 / 3)
    assert report["f1"] == pytest.approx(2 / 3)
    assert report["false_handoff_rate"] == 0.5
    assert (report["median_delay"], report["mean_delay"], report["late"]) == (0.5, 0.5, 1)
    assert report["explicit_honoured"] == 1.0
    assert {m["id"] for m in report["mistakes"]} == {"a", "d", "e"}
    assert set(missed_targets(report)) == {"F1", "false-handoff rate", "median delay"}


def test_an_explicit_request_honoured_a_turn_late_is_a_missed_target() -> None:
    labels = [Labelled("x", "explicit", True, 1)]
    report = score(labels, {"x": 2})
    assert report["explicit_honoured"] == 0.0 and "explicit requests honoured" in missed_targets(report)


def test_a_conversation_without_a_replay_result_is_an_error_not_a_miss() -> None:
    with pytest.raises(ReplayError, match="no replay result"):
        score([Labelled("x", "calm", False, None)], {})


@pytest.mark.parametrize(
    "line, message",
    [
        ("not json", "not valid JSON"),
        ('["a"]', "expected a JSON object"),
        ('{"turns": ["hi"]}', "'id'"),
        ('{"id": "a", "turns": []}', "'turns'"),
        ('{"id": "a", "turns": ["hi", 3]}', "'turns'"),
    ],
)
def test_bad_input_lines_are_rejected_with_their_line_number(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "ok", "turns": ["hello"]}\n' + line + "\n")
    with pytest.raises(ReplayError, match=f"in.jsonl:2: .*{message}"):
        read_conversations(path)


def test_errors_never_echo_the_customer_text(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "a", "turns": ["my card number is 4111111111111111", 5]}\n')
    with pytest.raises(ReplayError) as info:
        read_conversations(path)
    assert "4111" not in str(info.value)


def test_labels_must_be_consistent(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"id": "a", "turns": ["hi"], "escalate": True, "first_turn": 3}) + "\n")
    with pytest.raises(ReplayError, match="first_turn"):
        labels_of(read_conversations(path))


@pytest.mark.parametrize("name, minimum", [("conversations.jsonl", 120), ("holdout.jsonl", 30)])
def test_the_labelled_sets_are_large_varied_and_well_formed(name: str, minimum: int) -> None:
    conversations = read_conversations(DATA / name)
    labels = labels_of(conversations)
    kinds = Counter(lab.kind for lab in labels)
    assert len(labels) >= minimum
    assert set(kinds) == {"calm", "hard_negative", "rising", "explicit", "sensitive", "failure"}
    assert all(lab.escalate == (lab.kind not in ("calm", "hard_negative")) for lab in labels)
    assert all(len(c.turns) >= 1 and all(t.strip() for t in c.turns) for c in conversations)


def test_the_holdout_shares_no_conversation_with_the_tuning_set() -> None:
    tuning = {tuple(c.turns) for c in read_conversations(DATA / "conversations.jsonl")}
    holdout = {tuple(c.turns) for c in read_conversations(DATA / "holdout.jsonl")}
    assert not tuning & holdout
