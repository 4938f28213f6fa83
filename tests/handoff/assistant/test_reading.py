"""The escalation policy's reading of a message for agents (handoff/assistant/reading.py): the figure the
policy compares with its thresholds, not the classifier's top emotion."""
from __future__ import annotations

from pathlib import Path

from bot.escalation.signals import Thresholds, Turn, turn_negativity
from handoff.assistant.reading import hash_emotion, load_thresholds, reading
from tests.support import ROOT


def parse(text: str, negativity: float, emotions: dict[str, float]) -> dict:
    return {"text": text, "sentiment": {"negativity": negativity, "emotions": emotions}}


def test_a_calm_message_the_classifier_calls_angry_reads_below_the_spike() -> None:
    th = load_thresholds(ROOT / "config.yml")
    calm = reading(parse("the shop agreed to refund me", 0.95, {"anger": 0.99}), th)
    assert calm["negativity"] == round(th.model_weight * 0.95, 3) < th.spike_level
    assert (calm["words"], calm["emotion"], calm["emotion_p"]) == (0.0, "anger", 0.99)


def test_an_angry_message_reads_what_the_policy_escalates_on() -> None:
    th = Thresholds()
    p = parse("This is useless, I'm sick of this", 0.63, {"anger": 0.63, "neutral": 0.3})
    angry = reading(p, th)
    assert angry["negativity"] == round(turn_negativity(Turn.from_parse_data(p), th), 3) == 0.9
    assert (angry["label"], angry["words"], angry["model"]) == ("anger", 0.9, 0.378)
    assert hash_emotion(angry) == "anger"
    assert reading(parse("ok thanks", 0.05, {"joy": 0.8}), th)["label"] == "calm"


def test_missing_or_broken_config_falls_back_to_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "config.yml").write_text("policies: [{name: bot.escalation.policy.EscalationPolicy, spike_level: 7}]")
    assert load_thresholds(tmp_path / "config.yml") == Thresholds()
    assert load_thresholds(tmp_path / "missing.yml") == Thresholds()
