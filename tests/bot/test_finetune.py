"""The fine-tune's code path end to end on a tiny slice: it trains, exports, and the live path serves it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.finetune.train import TINY, FineTune, length_batches, pad, run
from bot.minilm import MiniLMEncoder

TEXTS = ["My card hasn't arrived yet", "This is the THIRD time I'm asking!!! f**k this 😡", "hi"]


@pytest.fixture(scope="module")
def tuned(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("minilm-desk")
    record = run(out, TINY, shipped_only=True, show_progress=False)
    return out, record


def test_a_few_steps_train_the_upper_layers_and_leave_the_frozen_ones(tuned):
    from safetensors.numpy import load_file

    out, record = tuned
    assert record["steps"] == TINY.max_steps
    stock = load_file(str(FineTune(TINY).stock / "model.safetensors"))
    tuned_weights = load_file(str(out / "model.safetensors"))
    assert stock.keys() == tuned_weights.keys()
    prefix = "bert." if any(k.startswith("bert.") for k in stock) else ""
    frozen = f"{prefix}encoder.layer.{TINY.frozen - 1}.output.dense.weight"
    trained = f"{prefix}encoder.layer.{TINY.frozen}.output.dense.weight"
    assert np.array_equal(stock[frozen], tuned_weights[frozen])
    assert not np.allclose(stock[trained], tuned_weights[trained])
    assert (out / "vocab.txt").exists() and (out / "config.json").exists()


def test_the_onnx_live_path_gives_what_tensorflow_trained(tuned):
    """One encoder pass per message at serving time, in onnxruntime, equal to the TF graph's output."""
    out, _ = tuned
    tune = FineTune(TINY, stock=out)  # TF graph over the exported weights
    ids = tune.tokenizer.batch(TEXTS)
    from bot.finetune.train import pad_ids

    batch, mask = pad_ids(ids)
    tf_hidden = tune.model.upper(tune.model.lower(batch, mask), mask).numpy()
    live = MiniLMEncoder.from_pretrained(out)
    for i, row in enumerate(ids):  # one message at a time, as the gateway serves them
        served = live(np.asarray([row], np.int64))[0]
        assert np.allclose(served, tf_hidden[i, : len(row)], atol=2e-4)


def test_batches_hold_texts_of_similar_length_and_cover_every_text_once():
    lengths = np.asarray([3, 30, 4, 31, 5, 29, 3, 32])
    chunks = length_batches(lengths, 2, np.random.default_rng(0))
    assert sorted(np.concatenate(chunks).tolist()) == list(range(8))
    assert all(abs(int(lengths[c].max()) - int(lengths[c].min())) <= 2 for c in chunks)
    x, mask = pad([np.ones((2, 4)), np.ones((3, 4))])
    assert x.shape == (2, 3, 4) and mask.tolist() == [[1, 1, 0], [1, 1, 1]]
