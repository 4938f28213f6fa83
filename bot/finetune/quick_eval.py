"""Figures read straight off the fine-tune's own heads, for choosing a plan in minutes.

They are not the shipped figures (those come from the retrained pipeline: `make eval`,
`python -m bot.sentiment eval`); they only rank plans against each other. Held-out data only:
data/eval/ for intents, GoEmotions dev for emotions.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from bot.finetune import tasks as task_data
from bot.finetune.train import SCALE, FineTune


def direct_figures(tune: FineTune, training: list[task_data.Task], heads: dict[str, Any]) -> dict[str, float]:
    from rasa.shared.nlu.training_data.loading import load_data
    from sklearn.linear_model import LogisticRegression

    from bot.sentiment.data import load_goemotions
    from bot.sentiment.train import macro_f1

    figures: dict[str, float] = {}
    held = load_data(str(task_data.ROOT / "data" / "eval" / "banking77_validation.yml")).intent_examples
    intents = next(t for t in training if t.name == "intents")
    w, b = heads["intents"]
    vectors = tune.encode([m.get("text") for m in held])
    gold = np.asarray([intents.classes.index(m.get("intent")) for m in held])
    figures["intent_head_accuracy"] = float(np.mean(np.argmax(SCALE * vectors @ w + b, axis=1) == gold))
    train_vectors = tune.encode(intents.texts)
    probe = LogisticRegression(C=20, max_iter=1000, class_weight="balanced").fit(train_vectors, intents.labels)
    figures["intent_probe_accuracy"] = float(np.mean(probe.predict(vectors) == gold))
    dev = load_goemotions("dev").single_label()
    w, b = heads["emotions"]
    predicted = np.argmax(SCALE * tune.encode(dev.texts) @ w + b, axis=1)
    figures["goemotions_dev_head_macro_f1"] = macro_f1(dev.primary(), predicted)[0]
    return {k: round(v, 4) for k, v in figures.items()}
