"""bot/sentiment/__main__.py and bench.py: the commands `make` and the lead's bench call."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from bot.sentiment.data import LABELS
from bot.sentiment.train import _weights, macro_f1

ROOT = Path(__file__).resolve().parents[2]


def test_predict_answers_each_line_in_order_and_flags_bad_ones(sentiment_model_dir: Path):
    lines = [
        json.dumps({"text": "This is the third time I'm asking!!!"}),
        "not json at all, card 4111 1111 1111 1111",
        json.dumps({"text": ""}),
        json.dumps({"text": "bloody brilliant, thanks 😀"}),
        json.dumps({"message": "no text key"}),
    ]
    done = subprocess.run(
        [sys.executable, "-m", "bot.sentiment", "predict", "--model", str(sentiment_model_dir)],
        input="\n".join(lines) + "\n",
        capture_output=True,
        check=False,
        text=True,
        cwd=ROOT,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(out) == len(lines)
    assert out[0]["text"] == "This is the third time I'm asking!!!"
    assert max(out[0]["emotions"], key=out[0]["emotions"].get) == "anger"
    assert "error" in out[1] and "4111" not in out[1]["error"]
    assert out[2]["emotions"]["neutral"] == 1.0
    assert max(out[3]["emotions"], key=out[3]["emotions"].get) == "joy"
    assert "error" in out[4]
    for item in (out[0], out[2], out[3]):
        assert list(item["emotions"]) == list(LABELS)
        assert abs(sum(item["emotions"].values()) - 1.0) < 1e-5


def test_predict_without_a_model_exits_with_a_clear_error(tmp_path: Path):
    done = subprocess.run(
        [sys.executable, "-m", "bot.sentiment", "predict", "--model", str(tmp_path)],
        input="",
        capture_output=True,
        check=False,
        text=True,
        cwd=ROOT,
        timeout=240,
    )
    assert done.returncode == 2
    assert "make train" in done.stderr


def test_macro_f1_averages_all_seven_classes():
    gold = np.array([0, 0, 1, 6])
    predicted = np.array([0, 1, 1, 6])
    overall, per_class = macro_f1(gold, predicted)
    assert per_class["anger"] == 2 / 3 and per_class["disgust"] == 2 / 3 and per_class["neutral"] == 1.0
    assert per_class["fear"] == 0.0
    assert overall == (2 / 3 + 2 / 3 + 1.0) / 7


def test_support_examples_get_the_planned_share_of_training_weight():
    weights = _weights(900, 10, share=0.1)
    assert weights[:900].sum() == 900
    assert abs(weights[900:].sum() / weights.sum() - 0.1) < 1e-6


def test_bench_reports_per_message_percentiles(sentiment_model_dir: Path):
    from bot.sentiment.bench import bench

    report = bench(n=40, model_dir=sentiment_model_dir)
    assert report["n"] == 40
    assert 0.0 < report["p50_ms"] <= report["p99_ms"]
    assert report["p50_ms"] < 50.0
