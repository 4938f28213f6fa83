"""bot/sentiment/data.py: GoEmotions' Ekman grouping and the support-desk examples."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bot.sentiment.data import (
    GOEMOTIONS_DIR,
    LABELS,
    DataError,
    ekman_groups,
    load_goemotions,
    load_support,
    stratified_sample,
)


def test_every_goemotions_label_maps_to_one_ekman_group_and_neutral_stays_neutral():
    names = (GOEMOTIONS_DIR / "emotions.txt").read_text(encoding="utf-8").split()
    groups = ekman_groups()
    assert len(groups) == len(names) == 28
    assert LABELS[groups[names.index("neutral")]] == "neutral"
    assert LABELS[groups[names.index("annoyance")]] == "anger"
    assert LABELS[groups[names.index("nervousness")]] == "fear"
    assert LABELS[groups[names.index("curiosity")]] == "surprise"
    assert LABELS[groups[names.index("disappointment")]] == "sadness"


def test_dev_split_has_the_documented_size_and_single_label_subset():
    dev = load_goemotions("dev")
    assert len(dev) == 5426
    assert len(dev.single_label()) == 4946
    assert all(len(labels) == 1 for labels in dev.single_label().labels)


def test_support_examples_cover_every_emotion_and_the_hard_cases():
    support = load_support()
    assert len(support) >= 150
    counts = Counter(LABELS[labels[0]] for labels in support.labels)
    assert set(counts) == set(LABELS)
    by_text = {text: LABELS[labels[0]] for text, labels in zip(support.texts, support.labels)}
    assert by_text["I lost my card, what do I do?"] == "neutral"
    assert by_text["This is the third time I'm asking!!!"] == "anger"
    assert by_text["bloody brilliant, thanks"] == "joy"


def test_support_loader_names_the_bad_line_without_echoing_its_text(tmp_path: Path):
    path = tmp_path / "support.jsonl"
    secret = "my card number is 4111111111111111"
    path.write_text(
        json.dumps({"text": "fine", "emotion": "joy"})
        + "\n"
        + json.dumps({"text": secret, "emotion": "rage"})
        + "\n"
    )
    with pytest.raises(DataError) as caught:
        load_support(path)
    assert ":2:" in str(caught.value)
    assert "4111" not in str(caught.value)


def test_stratified_sample_caps_each_class_and_keeps_rare_ones():
    sample = stratified_sample(load_goemotions("dev").single_label(), per_class=50)
    counts = Counter(sample.primary().tolist())
    assert set(counts) == set(range(len(LABELS)))
    assert max(counts.values()) == 50
