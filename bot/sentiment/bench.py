"""Per-message cost of the sentiment component's own work (not MiniLM's).

`bench(n)` featurises `n` varied texts once through the pipeline's featurizers, then times
`SentimentClassifier.classify` on each message alone: batch 1, one thread, which is what a
live customer message costs on top of the NLU pipeline it already runs through.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
_SAMPLES = (
    "I lost my card, what do I do?",
    "This is the third time I'm asking!!!",
    "WHERE IS MY CARD",
    "bloody brilliant, thanks",
    "My husband passed away and I need to close his account.",
    "Why was I charged twice for the same thing? It's ridiculous, I want it sorted today.",
    "😀",
)


def _one_thread() -> None:
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # numpy's BLAS keeps its default; the head's matrices are tiny anyway
        pass


def bench(n: int = 500, model_dir: str | Path | None = None) -> dict[str, Any]:
    """p50/p99/mean milliseconds per message for the component's own work, batch 1."""
    _one_thread()
    from bot.sentiment.component import SentimentClassifier, resolve_model_dir
    from bot.sentiment.features import Featurizer
    from bot.sentiment.model import Head

    directory = resolve_model_dir(model_dir or "models/sentiment")
    component = SentimentClassifier(SentimentClassifier.get_default_config(), Head.load(directory))
    texts = [f"{_SAMPLES[i % len(_SAMPLES)]} {i}" for i in range(n)]
    messages = Featurizer().messages(texts, batch=True)
    for message in messages[:20]:  # warm caches and lazy imports
        component.classify(message)
    timings = []
    for message in messages:
        started = time.perf_counter()
        component.classify(message)
        timings.append((time.perf_counter() - started) * 1000.0)
    values = np.asarray(timings)
    return {
        "name": "sentiment component (head only, batch 1, 1 thread)",
        "n": n,
        "p50_ms": float(np.percentile(values, 50)),
        "p99_ms": float(np.percentile(values, 99)),
        "mean_ms": float(values.mean()),
        "model_dir": str(directory),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(bench(), indent=2))
