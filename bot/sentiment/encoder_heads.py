"""The fine-tuned encoder's own heads, read on the live path: emotions and "is this upset?".

Why: the fine-tune (bot/finetune/train.py) trains one linear head per task on MiniLM's unit-length sentence
vector while it trains the encoder. Its emotion head scores better on GoEmotions dev than an MLP retrained on
the same vectors, and its upset head was trained for exactly the question the escalation asks of negativity.
Both are a 384 x k product on the vector the featurizer already computed: no second encoder pass.

They are copied into the sentiment head's `head.npz` when it is trained (`python -m bot.sentiment train
--desk`), with the encoder's fingerprint, so the head never pairs them with other weights than their own.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.sentiment.data import LABELS
from bot.sentiment.mlp import softmax

HEADS_FILE = "heads.npz"  # written next to the exported encoder by bot/finetune/train.py
META_FILE = "finetune.json"
SCALE = 20.0  # as in bot/finetune/train.py: logits = SCALE · (unit vector · W) + b
UPSET_CLASSES = ("calm", "upset")


def fingerprint(encoder_dir: Path) -> str:
    """Which fine-tune an encoder folder holds: a hash of its record (steps, plan, timings)."""
    meta = Path(encoder_dir) / META_FILE
    return hashlib.sha1(meta.read_bytes()).hexdigest()[:16] if meta.exists() else ""


@dataclass(frozen=True)
class EncoderHeads:
    emotion_w: np.ndarray  # (384, 7), classes in LABELS order
    emotion_b: np.ndarray
    upset_w: np.ndarray | None  # (384, 2): calm, upset
    upset_b: np.ndarray | None
    encoder: str  # fingerprint() of the encoder folder they came from

    @classmethod
    def from_encoder(cls, encoder_dir: Path | str) -> EncoderHeads | None:
        """The heads a fine-tune left in `encoder_dir`, or None (a stock encoder has none)."""
        path = Path(encoder_dir) / HEADS_FILE
        if not path.exists():
            return None
        with np.load(path, allow_pickle=False) as stored:
            if tuple(stored["emotions_classes"].tolist()) != LABELS:
                raise ValueError(f"{path}: the fine-tune's emotion classes are not {LABELS}")
            upset = "upset_w" in stored.files and tuple(stored["upset_classes"].tolist()) == UPSET_CLASSES
            return cls(np.asarray(stored["emotions_w"], np.float32), np.asarray(stored["emotions_b"], np.float32),
                       np.asarray(stored["upset_w"], np.float32) if upset else None,
                       np.asarray(stored["upset_b"], np.float32) if upset else None,
                       fingerprint(Path(encoder_dir)))

    def emotion_log_probabilities(self, sentences: np.ndarray) -> np.ndarray:
        """(n, 7) log-probabilities from (n, 384) sentence vectors."""
        return np.log(softmax(SCALE * (sentences @ self.emotion_w) + self.emotion_b) + 1e-9)

    def upset_probability(self, sentences: np.ndarray) -> np.ndarray:
        """(n,) P(upset) from (n, 384) sentence vectors (zeros when the fine-tune had no upset task)."""
        if self.upset_w is None or self.upset_b is None:
            return np.zeros(len(sentences), np.float32)
        return softmax(SCALE * (sentences @ self.upset_w) + self.upset_b)[:, 1]

    def arrays(self) -> dict[str, np.ndarray]:
        out = {"enc_emotion_w": self.emotion_w, "enc_emotion_b": self.emotion_b,
               "enc_meta": np.asarray(json.dumps({"encoder": self.encoder}))}
        if self.upset_w is not None and self.upset_b is not None:
            out |= {"enc_upset_w": self.upset_w, "enc_upset_b": self.upset_b}
        return out

    @classmethod
    def from_arrays(cls, stored: Any) -> EncoderHeads | None:
        """From a loaded head.npz (np.load's NpzFile); None when the head has no encoder heads."""
        files = getattr(stored, "files", [])
        if "enc_emotion_w" not in files:
            return None
        get = stored.__getitem__
        upset = "enc_upset_w" in files
        return cls(np.asarray(get("enc_emotion_w"), np.float32), np.asarray(get("enc_emotion_b"), np.float32),
                   np.asarray(get("enc_upset_w"), np.float32) if upset else None,
                   np.asarray(get("enc_upset_b"), np.float32) if upset else None,
                   json.loads(str(get("enc_meta"))).get("encoder", ""))
