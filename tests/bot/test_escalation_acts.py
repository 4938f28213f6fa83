"""The dialogue-act head: labels derived from labelled conversations, training, the npz round trip, and
the data it learns from kept apart, by writer, from the blind test part."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.escalation.acts import (
    ACTS,
    FEATURE_DIM,
    ActHead,
    ActsModelError,
    feature_row,
    message_examples,
    read_conversations,
    train,
)
from bot.sentiment.features import EMBEDDING_DIM
from tests.support import ROOT

TRAIN = ROOT / "data" / "escalation" / "train.jsonl"
TUNE = ROOT / "data" / "escalation" / "tune.jsonl"
TEST = ROOT / "tests" / "data" / "escalation" / "blind" / "test.jsonl"


def test_the_labelled_turn_carries_its_reason_earlier_turns_are_none_later_ones_are_left_out() -> None:
    rows = [
        {"turns": ["hi", "card late", "this is f**king ridiculous", "ok sorry"], "escalate": True,
         "first_turn": 2, "reason": "anger"},
        {"turns": ["how do I top up?", "thanks"], "escalate": False, "first_turn": None, "reason": None},
    ]
    assert message_examples(rows) == [("hi", "none"), ("card late", "none"),
                                      ("this is f**king ridiculous", "anger"),
                                      ("how do I top up?", "none"), ("thanks", "none")]


def _toy_head() -> ActHead:
    rng = np.random.default_rng(0)
    examples, vectors = [], []
    for index, act in enumerate(ACTS):
        centre = np.zeros(EMBEDDING_DIM, np.float32)
        centre[index] = 5.0
        for n in range(8):
            examples.append((f"{act} message {n}", act))
            vectors.append(centre + rng.normal(0, 0.1, EMBEDDING_DIM).astype(np.float32))
    return train(examples, np.stack(vectors))


def test_a_trained_head_separates_its_acts_and_survives_the_npz_round_trip(tmp_path: Path) -> None:
    head = _toy_head()
    probe = np.zeros(EMBEDDING_DIM, np.float32)
    probe[ACTS.index("distress")] = 5.0
    acts = head.acts(probe, "distress message")
    assert max(acts, key=acts.get) == "distress"
    assert abs(sum(acts.values()) - 1.0) < 1e-3
    head.save(tmp_path)
    assert ActHead.load(tmp_path).acts(probe, "distress message") == acts


def test_a_missing_or_mismatched_head_fails_at_load_with_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(ActsModelError, match="make train"):
        ActHead.load(tmp_path)
    head = _toy_head()
    head.mean = head.mean[:10]
    head.save(tmp_path)
    with pytest.raises(ActsModelError, match="retrain"):
        ActHead.load(tmp_path)


def test_features_are_the_pooled_vector_the_surface_cues_and_the_upset_writing_cues() -> None:
    row = feature_row(None, "🤬🤬 declined AGAIN")
    assert row.shape == (FEATURE_DIM,) and not row[:EMBEDDING_DIM].any() and row[EMBEDDING_DIM:].any()


def _writers(path: Path) -> set[str]:
    return {json.loads(line)["writer"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


def test_training_tuning_and_blind_test_parts_come_from_different_writers() -> None:
    train_w, tune_w, test_w = _writers(TRAIN), _writers(TUNE), _writers(TEST)
    assert train_w and tune_w and test_w
    assert not train_w & tune_w and not train_w & test_w and not tune_w & test_w


def test_the_blind_parts_are_large_enough_and_the_tuning_part_is_at_most_sixty_percent() -> None:
    tune, test = read_conversations([TUNE]), read_conversations([TEST])
    assert len(tune) + len(test) >= 400
    assert len(tune) <= 0.6 * (len(tune) + len(test))
    for rows in (tune, test):
        reasons = {r["reason"] for r in rows if r["escalate"]}
        assert reasons == {"explicit request", "anger", "frustration", "distress", "vulnerable", "repeated failure"}
        assert sum(not r["escalate"] for r in rows) >= 80
