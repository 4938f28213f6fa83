"""The sentiment head: pooled MiniLM + cues (an MLP) and TF-IDF n-grams (a linear model),
mixed in log space, turned into an emotion distribution and a negativity score.

Weights live in one `head.npz` of plain arrays (no pickles), so loading is safe and a
message costs well under a millisecond. Training lives in `train.py`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.sentiment.data import LABELS, NEGATIVE
from bot.sentiment.encoder_heads import EncoderHeads
from bot.sentiment.features import CUE_NAMES, EMBEDDING_DIM, cue_vector
from bot.sentiment.lexical import Lexical
from bot.sentiment.mlp import MLP, softmax

HEAD_FILE = "head.npz"
METRICS_FILE = "metrics.json"
NEGATIVE_INDEX = np.asarray([LABELS.index(label) for label in NEGATIVE])
NEUTRAL_ONLY = {label: (1.0 if label == "neutral" else 0.0) for label in LABELS}


class ModelError(RuntimeError):
    """The head file is missing or does not fit this code (wrong labels or dimensions)."""


@dataclass
class Head:
    """p = softmax((1 − mix)·log p_mlp + mix·log p_lexical): a weighted geometric mean.

    On a fine-tuned encoder (bot/sentiment/encoder_heads.py) a third part joins: the fine-tune's own emotion
    head on the sentence vector, and the mix is `weights` over (mlp, lexical, encoder); its upset head then
    raises negativity (`negativity`).
    """

    mlp: MLP
    lexical: Lexical
    mix: float
    intensity_weight: float
    meta: dict[str, Any] = field(default_factory=dict)
    # Per-class log-space offsets chosen for macro-F1 on GoEmotions train items no weight was fitted on
    # (bot/sentiment/data.py reserve); zeros for a head saved before they existed.
    offsets: np.ndarray = field(default_factory=lambda: np.zeros(len(LABELS), np.float32))
    encoder: EncoderHeads | None = None
    weights: np.ndarray | None = None  # (mlp, lexical, encoder) when `encoder` is set

    def log_parts(self, features: np.ndarray, texts: Sequence[str],
                  sentences: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
        """Each part's log-probabilities, (n, 7) each: what the mix and the offsets are chosen on. The
        encoder's part only with `sentences` (n, 384)."""
        parts: tuple[np.ndarray, ...] = (
            np.log(softmax(self.mlp.logits(features)) + 1e-9),
            np.log(softmax(self.lexical.logits(texts)) + 1e-9),
        )
        if self.encoder is not None and sentences is not None:
            parts += (self.encoder.emotion_log_probabilities(sentences),)
        return parts

    def combine(self, *parts: np.ndarray) -> np.ndarray:
        if len(parts) == 3 and self.weights is not None:
            mixed = sum(w * part for w, part in zip(self.weights, parts))
            return softmax(mixed + self.offsets)
        return softmax((1.0 - self.mix) * parts[0] + self.mix * parts[1] + self.offsets)

    def probabilities(self, features: np.ndarray, texts: Sequence[str],
                      sentences: np.ndarray | None = None) -> np.ndarray:
        """(n, 7) distributions for a batch of dense features and their texts; rows sum to 1."""
        return self.combine(*self.log_parts(features, texts, sentences))

    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {
            "labels": np.asarray(LABELS),
            "mix": np.asarray(self.mix, np.float32),
            "intensity_weight": np.asarray(self.intensity_weight, np.float32),
            "offsets": np.asarray(self.offsets, np.float32),
            "meta": np.asarray(json.dumps(self.meta)),
            **self.mlp.arrays(),
            **self.lexical.arrays(),
            **(self.encoder.arrays() if self.encoder is not None else {}),
            **({"weights": np.asarray(self.weights, np.float32)} if self.weights is not None else {}),
        }
        path = directory / HEAD_FILE
        tmp = directory / f".{HEAD_FILE}.tmp.npz"
        np.savez_compressed(tmp, **arrays)
        tmp.replace(path)
        (directory / METRICS_FILE).write_text(json.dumps(self.meta, indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, directory: Path | str) -> Head:
        path = Path(directory) / HEAD_FILE
        if not path.exists():
            raise ModelError(f"no sentiment head at {path}; run `make train` (or `make train-reduced`)")
        with np.load(path, allow_pickle=False) as stored:
            if tuple(stored["labels"].tolist()) != LABELS:
                raise ModelError(f"{path} was trained for other labels; retrain it")
            head = cls(
                mlp=MLP.from_arrays(stored),
                lexical=Lexical.from_arrays(stored),
                mix=float(stored["mix"]),
                intensity_weight=float(stored["intensity_weight"]),
                meta=json.loads(str(stored["meta"])),
            )
            if "offsets" in stored.files:
                head.offsets = np.asarray(stored["offsets"], np.float32)
            head.encoder = EncoderHeads.from_arrays(stored)
            if head.encoder is not None and "weights" in stored.files:
                head.weights = np.asarray(stored["weights"], np.float32)
        if head.mlp.mean.shape[0] != EMBEDDING_DIM + len(CUE_NAMES):
            raise ModelError(f"{path} expects {head.mlp.mean.shape[0]} dense features; retrain it")
        return head


def dense_row(embedding: np.ndarray, text: str) -> np.ndarray:
    """The MLP's input for one message: pooled MiniLM vector then the surface cues."""
    return np.concatenate([np.asarray(embedding, np.float32), cue_vector(text)])


def intensity(text: str) -> float:
    """0..1: how loudly the text is written (capitals, "!!!", "again"), not what it says."""
    cues = dict(zip(CUE_NAMES, cue_vector(text).tolist()))
    loud = (
        1.0 * cues["shouting"]
        + 0.4 * cues["multi_exclaim"]
        + 0.2 * cues["multi_question"]
        + 0.3 * cues["intensifiers"]
    )
    return float(min(1.0, loud))


def negativity(distribution: np.ndarray, text: str, weight: float) -> float:
    """P(anger)+P(disgust)+P(fear)+P(sadness), pushed up by loud writing.

    The boost is weight × loudness × 4·base·(1 − base): largest for undecided texts and nil
    when the classes already say 0 or 1, so "bloody brilliant!!!" stays low while
    "WHERE IS MY CARD?!" rises.
    """
    base = float(np.clip(distribution[NEGATIVE_INDEX].sum(), 0.0, 1.0))
    return float(np.clip(base + weight * intensity(text) * 4.0 * base * (1.0 - base), 0.0, 1.0))


def sentiment(head: Head, embedding: np.ndarray | None, text: str,
              sentence: np.ndarray | None = None) -> dict[str, Any]:
    """The parse-data value {"emotions": {label: p}, "negativity": x} for one message.

    With no MiniLM vector (empty or whitespace-only text, where the pipeline sets none)
    the answer is plainly neutral rather than a guess from an all-zero vector. `sentence` (the featurizer's
    sentence vector) is read by a fine-tuned encoder's heads only.
    """
    if embedding is None:
        return {"emotions": dict(NEUTRAL_ONLY), "negativity": 0.0}
    sentences = None if sentence is None or head.encoder is None else sentence[None, :]
    distribution = head.probabilities(dense_row(embedding, text)[None, :], [text], sentences)[0]
    score = negativity(distribution, text, head.intensity_weight)
    if sentences is not None and head.encoder is not None:
        # The fine-tune's upset head answers "is this customer upset?" directly (masked swearing, emoji,
        # sarcasm were in its training); either reading can raise negativity, neither lowers the other.
        score = max(score, float(head.encoder.upset_probability(sentences)[0]))
    return {
        "emotions": {label: float(p) for label, p in zip(LABELS, distribution)},
        "negativity": score,
    }
