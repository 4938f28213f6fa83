"""Which labelled examples of a *new* intent the retrain keeps back, so the comparison can say how the
candidate does on phrasings of that intent it was never trained on.

Without it the comparison's "now gets right" list is the training messages themselves, which says
nothing (issue #26). Pure: the retrain job (handoff/admin/retrain.py) reads the files and writes the list.
"""
from __future__ import annotations

import random

SHARE = 1 / 3  # of a new intent's labelled examples, kept back from training
MIN_EXAMPLES = 4  # below this a new intent keeps every example for training (the report says so): 3 to learn from


def hold_back(labelled: dict[str, str], known_intents: set[str], seed: int = 77) -> dict[str, str]:
    """text -> intent of the examples to keep out of training: a seeded third (at least one, never all)
    of each intent that only the admin's labels define and that has at least MIN_EXAMPLES examples."""
    by_intent: dict[str, list[str]] = {}
    for text, intent in labelled.items():
        if intent not in known_intents:
            by_intent.setdefault(intent, []).append(text)
    rng = random.Random(seed)
    kept: dict[str, str] = {}
    for intent in sorted(by_intent):
        texts = sorted(by_intent[intent])
        if len(texts) < MIN_EXAMPLES:
            continue
        for text in rng.sample(texts, max(1, int(len(texts) * SHARE))):
            kept[text] = intent
    return kept


def new_intent_report(held: dict[str, str], labelled: dict[str, str], known_intents: set[str],
                      running: list[str], candidate: list[str]) -> list[dict]:
    """Per new intent: how many examples it was trained on, and how many kept-back phrasings each model
    gets right (`running`/`candidate`: the models' answers for the held texts, in sorted(held) order)."""
    answers = dict(zip(sorted(held), zip(running, candidate)))
    rows = []
    for intent in sorted({i for i in labelled.values() if i not in known_intents}):
        texts = sorted(t for t, i in held.items() if i == intent)
        rows.append({
            "intent": intent,
            "trained_on": sum(1 for t, i in labelled.items() if i == intent and t not in held),
            "held_out": len(texts),
            "running_right": sum(1 for t in texts if answers[t][0] == intent),
            "candidate_right": sum(1 for t in texts if answers[t][1] == intent),
            "examples": [{"text": t, "running": answers[t][0], "candidate": answers[t][1]} for t in texts],
        })
    return rows
