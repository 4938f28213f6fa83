"""What the encoder is fine-tuned on: one labelled text list per task, built from the project's data.

- intents: every intent example `rasa train` reads from data/nlu/ (Banking77's train split, chit-chat,
  CLINC150's out-of-scope training texts and, unless shipped_only, what admins labelled in /admin);
  data/eval/ is never read here;
- emotions: GoEmotions *train* items with one Ekman group (a class-balanced sample), plus the
  support-desk examples; GoEmotions dev is only ever scored;
- upset: the blind-written upset-writing training messages (data/sentiment/upset_train/), upset or not.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.sentiment.data import LABELS, load_goemotions, load_support, reserve, stratified_sample

ROOT = Path(__file__).resolve().parents[2]
NLU_DIR = ROOT / "data" / "nlu"
UPSET_DIR = ROOT / "data" / "sentiment" / "upset_train"
ADMIN_NLU = NLU_DIR / "inbox_labelled.yml"


@dataclass(frozen=True)
class Task:
    name: str
    texts: list[str]
    labels: np.ndarray  # class index per text
    classes: list[str]


def intents(shipped_only: bool = False, max_per_intent: int | None = None, seed: int = 0) -> Task:
    from rasa.shared.nlu.training_data.loading import load_data

    rng = np.random.default_rng(seed)
    by_intent: dict[str, list[str]] = {}
    for path in sorted(NLU_DIR.glob("*.yml")):
        if shipped_only and path == ADMIN_NLU:
            continue
        for example in load_data(str(path)).intent_examples:
            by_intent.setdefault(example.get("intent"), []).append(example.get("text"))
    classes = sorted(by_intent)
    texts: list[str] = []
    labels: list[int] = []
    for index, intent in enumerate(classes):
        chosen = by_intent[intent]
        if max_per_intent is not None and len(chosen) > max_per_intent:
            chosen = [chosen[i] for i in rng.choice(len(chosen), max_per_intent, replace=False)]
        texts += chosen
        labels += [index] * len(chosen)
    return Task("intents", texts, np.asarray(labels), classes)


def emotions(per_class: int, seed: int = 0) -> Task:
    pool, _kept_back = reserve(load_goemotions("train").single_label())  # the head's tune slice: never trained on
    corpus = stratified_sample(pool, per_class, seed) + load_support()
    return Task("emotions", corpus.texts, corpus.primary(), list(LABELS))


def upset(directory: Path = UPSET_DIR, limit: int | None = None) -> Task:
    texts: list[str] = []
    labels: list[int] = []
    for path in sorted(directory.glob("train_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                texts.append(item["text"])
                labels.append(1 if item["label"] == "negative" else 0)
    if limit is not None:
        texts, labels = texts[:limit], labels[:limit]
    return Task("upset", texts, np.asarray(labels), ["calm", "upset"])
