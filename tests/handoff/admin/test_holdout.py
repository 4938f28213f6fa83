"""A new intent's comparison figure comes from phrasings it was not trained on (issue #26)."""

from __future__ import annotations

import json
from pathlib import Path

from handoff.admin.holdout import MIN_EXAMPLES, hold_back, new_intent_report

LABELLED = {
    "when do branches open": "branch_hours", "branch opening times": "branch_hours",
    "is the branch open on sunday": "branch_hours", "what time does the branch close": "branch_hours",
    "are you open at weekends": "branch_hours", "branch hours on saturday": "branch_hours",
    "my card has not come": "card_arrival",  # a shipped intent: never held back
    "do you do crypto": "crypto", "can I buy bitcoin": "crypto",  # new, but too few to keep any back
}
KNOWN = {"card_arrival", "greet"}


def test_a_third_of_a_new_intents_labels_is_kept_back_and_a_shipped_intents_never():
    held = hold_back(LABELLED, KNOWN)
    assert set(held.values()) == {"branch_hours"}
    assert len(held) == 2  # a third of six
    assert hold_back(LABELLED, KNOWN) == held  # seeded: the same run after run


def test_a_new_intent_with_fewer_than_four_labels_keeps_them_all_for_training():
    assert MIN_EXAMPLES == 4
    three = {t: i for t, i in LABELLED.items() if i == "branch_hours"}
    three = dict(list(three.items())[:3])
    assert hold_back(three, KNOWN) == {}
    four = dict(list({t: i for t, i in LABELLED.items() if i == "branch_hours"}.items())[:4])
    assert len(hold_back(four, KNOWN)) == 1


def test_the_report_counts_each_models_right_answers_on_the_kept_back_phrasings():
    held = hold_back(LABELLED, KNOWN)
    texts = sorted(held)
    running = ["nlu_fallback"] * len(texts)
    candidate = ["branch_hours", "card_arrival"][: len(texts)]
    rows = {r["intent"]: r for r in new_intent_report(held, LABELLED, KNOWN, running, candidate)}
    assert rows["branch_hours"]["trained_on"] == 4 and rows["branch_hours"]["held_out"] == 2
    assert rows["branch_hours"]["running_right"] == 0 and rows["branch_hours"]["candidate_right"] == 1
    assert rows["crypto"] == {"intent": "crypto", "trained_on": 2, "held_out": 0, "running_right": 0,
                              "candidate_right": 0, "examples": []}
    assert "card_arrival" not in rows


def test_training_leaves_the_kept_back_phrasings_out_of_the_admins_labels(tmp_path: Path, monkeypatch):
    from bot import train

    (tmp_path / "data" / "nlu").mkdir(parents=True)
    (tmp_path / "data" / "core").mkdir(parents=True)
    (tmp_path / "data" / "nlu" / "chitchat.yml").write_text('version: "3.1"\nnlu: []\n')
    (tmp_path / "data" / "nlu" / "inbox_labelled.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: branch_hours\n  examples: |\n'
        + "".join(f"    - {t}\n" for t, i in LABELLED.items() if i == "branch_hours"))
    monkeypatch.chdir(tmp_path)
    held = frozenset(hold_back(LABELLED, KNOWN))
    files = train.training_files(tmp_path / "out", None, hold_out=held)
    assert "data/nlu/inbox_labelled.yml" not in files
    trained = next(Path(f) for f in files if f.endswith("inbox_labelled_trained.yml")).read_text()
    assert all(t not in trained for t in held)
    assert sum(1 for t, i in LABELLED.items() if i == "branch_hours" and t in trained) == 4
    assert json.dumps(sorted(held))  # what the retrain job passes as --hold-out
