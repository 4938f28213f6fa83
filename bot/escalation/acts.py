"""What a customer message *does* in a support chat: the dialogue-act head the escalation reads.

Words alone missed the ways real customers write (masked swearing, capitals, angry emoji, sarcasm,
"my hands are shaking, the savings are gone"), and the emotion head reads the topic as much as the
customer ("the shop is a scam" scores as anger). This head is trained on support conversations labelled
by the desk's guide (docs/escalation.md), written by people who never saw the escalation code, and
answers one question per message: is this the message where a good desk hands over, and why?

    acts: none, explicit, anger, frustration, distress, vulnerable, failure

Input: the pipeline's own mean-pooled MiniLM vector (no second encoder pass), the sentiment head's
surface cues, and the tone and wording cues of `upset_cues` below. Model: multinomial logistic regression;
weights are plain arrays in `acts.npz` (no pickles).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.escalation import cues, tone
from bot.sentiment.features import CUE_NAMES, EMBEDDING_DIM, cue_vector

ACTS = ("none", "explicit", "anger", "frustration", "distress", "vulnerable", "failure")
# The guide's reasons (docs/escalation.md, tests/data/escalation/README.md) as acts.
REASON_ACT = {
    "explicit request": "explicit",
    "anger": "anger",
    "frustration": "frustration",
    "distress": "distress",
    "vulnerable": "vulnerable",
    "repeated failure": "failure",
}
ACTS_FILE = "acts.npz"


UPSET_CUE_NAMES = ("masked_swearing", "shouts", "angry_emoji", "distress_emoji", "happy_emoji", "sarcastic",
                   "insults", "complains_of_failure", "asks_for_person", "sensitive_topic", "distressed",
                   "acknowledges", "strong_words", "mild_words", "mentions_fraud", "follows_up",
                   "threatens_to_leave")


def upset_cues(text: str) -> list[float]:
    """The tone and wording cues as numbers in [0, 1], in UPSET_CUE_NAMES order."""
    frustration = cues.frustration_level(text)
    return [
        float(tone.masked_swearing(text)),
        float(tone.shouts(text)),
        min(tone.angry_emoji(text), 2) / 2,
        min(tone.distress_emoji(text), 2) / 2,
        min(tone.happy_emoji(text), 2) / 2,
        float(tone.sarcastic(text)),
        float(tone.insults(text)),
        float(cues.complains_of_failure(text)),
        float(cues.asks_for_person(text)),
        float(cues.sensitive_topic(text) is not None),
        float(cues.sounds_distressed(text)),
        float(cues.acknowledges(text)),
        float(frustration >= 0.9),
        float(frustration >= 0.5),
        float(cues.mentions_fraud(text)),
        float(cues.follows_up(text)),
        float(tone.threatens_to_leave(text)),
    ]


FEATURE_DIM = EMBEDDING_DIM + len(CUE_NAMES) + len(UPSET_CUE_NAMES)


class ActsModelError(RuntimeError):
    """The acts file is missing or does not fit this code."""


class ActsDataError(ValueError):
    """A labelled-conversation line the trainer cannot use; the message names the file and line."""


def feature_row(embedding: np.ndarray | None, text: str) -> np.ndarray:
    """The head's input for one message (an all-zero vector where the pipeline set none)."""
    vector = np.zeros(EMBEDDING_DIM, np.float32) if embedding is None else np.asarray(embedding, np.float32)
    return np.concatenate([vector, cue_vector(text), np.asarray(upset_cues(text), np.float32)])


@dataclass
class ActHead:
    """Standardise, then softmax(x·W + b)."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        z = ((rows - self.mean) / self.scale) @ self.weights + self.bias
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def acts(self, embedding: np.ndarray | None, text: str) -> dict[str, float]:
        """{act: probability} for one message."""
        p = self.probabilities(feature_row(embedding, text)[None, :])[0]
        return {act: round(float(v), 4) for act, v in zip(ACTS, p)}

    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / ACTS_FILE
        tmp = directory / f".{ACTS_FILE}.tmp.npz"
        np.savez_compressed(
            tmp, acts=np.asarray(ACTS), mean=self.mean, scale=self.scale, weights=self.weights,
            bias=self.bias, meta=np.asarray(json.dumps(self.meta)),
        )
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, directory: Path | str) -> ActHead:
        path = Path(directory) / ACTS_FILE
        if not path.exists():
            raise ActsModelError(f"no dialogue-act head at {path}; run `make train` (or `make train-reduced`)")
        with np.load(path, allow_pickle=False) as stored:
            if tuple(stored["acts"].tolist()) != ACTS:
                raise ActsModelError(f"{path} was trained for other acts; retrain it")
            head = cls(stored["mean"], stored["scale"], stored["weights"], stored["bias"],
                       json.loads(str(stored["meta"])))
        if head.mean.shape[0] != FEATURE_DIM:
            raise ActsModelError(f"{path} expects {head.mean.shape[0]} features, this code {FEATURE_DIM}; retrain it")
        return head


# --- training ----------------------------------------------------------------------------------------


def _json_lines(paths: Iterable[Path]) -> Iterator[tuple[Path, int, dict[str, Any]]]:
    """(path, line number, object) for every non-blank line of the given JSON-lines files."""
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                yield path, number, json.loads(line)


def read_conversations(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """Labelled conversations (JSON lines with turns, escalate, first_turn, reason)."""
    rows = []
    for path, number, row in _json_lines(paths):
        if not isinstance(row.get("turns"), list) or not isinstance(row.get("escalate"), bool):
            raise ActsDataError(f"{path}:{number}: needs 'turns' and 'escalate'")
        rows.append(row)
    return rows


def message_examples(conversations: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(text, act) per customer message: the labelled turn carries its reason, the turns before it
    and every turn of a conversation that stays with the bot are `none`. Turns after the handover are
    left out: a person is already answering them."""
    examples = []
    for row in conversations:
        turns, first = row["turns"], row.get("first_turn")
        if not row["escalate"]:
            examples += [(t, "none") for t in turns]
            continue
        act = REASON_ACT.get(str(row.get("reason") or "").lower())
        if act is None or not isinstance(first, int):
            continue
        examples += [(t, "none") for t in turns[:first]]
        examples.append((turns[first], act))
    return examples


def read_messages(paths: Iterable[Path]) -> list[tuple[str, str]]:
    """Single labelled messages (JSON lines {"text", "act"}), e.g. requests for a person and look-alikes."""
    examples = []
    for path, number, row in _json_lines(paths):
        if not isinstance(row.get("text"), str) or row.get("act") not in ACTS:
            raise ActsDataError(f"{path}:{number}: needs 'text' and an 'act' in {ACTS}")
        examples.append((row["text"], row["act"]))
    return examples


def train(
    examples: Sequence[tuple[str, str]], embeddings: np.ndarray, c: float = 0.5, seed: int = 0,
) -> ActHead:
    """Fits the head on (text, act) examples and their pooled MiniLM vectors (same order)."""
    from sklearn.linear_model import LogisticRegression

    x = np.stack([feature_row(e, t) for e, (t, _) in zip(embeddings, examples)])
    y = np.asarray([ACTS.index(a) for _, a in examples])
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    model = LogisticRegression(C=c, max_iter=2000, class_weight="balanced", random_state=seed)
    model.fit((x - mean) / scale, y)
    weights = np.zeros((x.shape[1], len(ACTS)), np.float32)
    bias = np.full(len(ACTS), -30.0, np.float32)  # an act with no examples is never predicted
    for column, cls in enumerate(model.classes_):
        weights[:, cls] = model.coef_[column]
        bias[cls] = model.intercept_[column]
    counts = {a: int((y == i).sum()) for i, a in enumerate(ACTS)}
    return ActHead(mean.astype(np.float32), scale.astype(np.float32), weights, bias,
                   {"examples": counts, "C": c})
