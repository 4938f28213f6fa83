"""The escalation policy's reading of one customer message, in the form agents see it (issue #24).

The console used to show the emotion classifier's top label ("angry 99%") next to an escalation box with the
policy's score, and the two disagreed: the classifier also reads the topic, so a calm "the shop refunded me"
can score as anger, and the policy discounts it (bot/escalation/signals.turn_negativity). Agents now see
the figure the policy used for each message, and what it was made of, so the chips, the header, the trend
and the escalation box tell one story.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.escalation import cues
from bot.escalation.signals import CHARGED_EMOTIONS, Thresholds, Turn, tone_level, turn_negativity

log = logging.getLogger(__name__)
POLICY = "bot.escalation.policy.EscalationPolicy"
CALM_BELOW = 0.3  # a reading under this is "calm" whatever the classifier's top emotion (the trend's lowest band)
LABEL_MIN = 0.3  # the classifier's charged emotion names the reading only when it is at least this sure


def load_thresholds(config_path: Path) -> Thresholds:
    """The EscalationPolicy block of the training config (what the running model was trained with); the
    defaults, logged, when the file or block is missing or malformed."""
    try:
        import yaml

        config = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
        block = next(p for p in config.get("policies") or [] if p.get("name") == POLICY)
        return Thresholds.from_config({k: v for k, v in block.items() if k not in ("name", "priority")})
    except Exception:  # noqa: BLE001 - the readings are explanations; defaults are the shipped values
        log.warning("escalation thresholds not read from %s; using the defaults", config_path)
        return Thresholds()


def reading(parse_data: Mapping[str, Any], th: Thresholds) -> dict[str, Any]:
    """{negativity, words, model, softened, label, emotion, emotion_p}: `negativity` is the number the policy
    compares with its thresholds for this message; `words` what the wording alone scored, `model` the
    classifier's negativity times its weight (None without the classifier); `label` calm, or the charged
    emotion the classifier is surest of (anger, fear, ...), or "upset" when the words carry it alone."""
    turn = Turn.from_parse_data(parse_data)
    words = max(cues.frustration_level(turn.text), tone_level(turn.text))
    if cues.sounds_distressed(turn.text):
        words = max(words, 0.5)
    value = turn_negativity(turn, th)
    emotions = turn.emotions or {}
    emotion = max(CHARGED_EMOTIONS, key=lambda e: float(emotions.get(e, 0.0)))
    p = float(emotions.get(emotion, 0.0))
    if value < CALM_BELOW:
        label = "calm"
    else:
        label = emotion if p >= LABEL_MIN else "upset"
    return {"negativity": round(value, 3), "words": round(words, 3),
            "model": None if turn.negativity is None else round(th.model_weight * turn.negativity, 3),
            "softened": cues.softened(turn.text), "label": label, "emotion": emotion, "emotion_p": round(p, 3)}


def hash_emotion(read: Mapping[str, Any]) -> str:
    """The conversation's `emotion` field (queue rows, closed lists): the reading's label in the classifier's
    vocabulary (calm is neutral; words alone read as anger)."""
    label = str(read.get("label") or "calm")
    return {"calm": "neutral", "upset": "anger"}.get(label, label)
