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


def test_the_fine_tunes_own_heads_are_served_from_the_sentence_vector_and_survive_the_head_file(tuned, tmp_path,
                                                                                              sentiment_head):
    """A head trained `--desk` on a fine-tuned encoder carries that encoder's emotion and upset heads; they read
    the featurizer's sentence vector, round-trip through head.npz, and the upset head can only raise negativity."""
    from bot.sentiment.encoder_heads import SCALE, EncoderHeads, fingerprint
    from bot.sentiment.mlp import softmax
    from bot.sentiment.model import Head, negativity, sentiment

    out, _ = tuned
    heads = EncoderHeads.from_encoder(out)
    assert heads is not None and heads.upset_w is not None
    assert heads.encoder == fingerprint(out) != ""
    assert EncoderHeads.from_encoder(tmp_path) is None  # a stock encoder folder has no heads

    tune = FineTune(TINY, stock=out)
    sentences = tune.encode(TEXTS)  # the unit-length vector the fine-tune's heads were trained on
    with np.load(out / "heads.npz") as stored:
        expected = softmax(SCALE * sentences @ stored["upset_w"] + stored["upset_b"])[:, 1]
    np.testing.assert_allclose(heads.upset_probability(sentences), expected, rtol=1e-5)

    head = Head(sentiment_head.mlp, sentiment_head.lexical, sentiment_head.mix, sentiment_head.intensity_weight,
                encoder=heads, weights=np.asarray([0.2, 0.3, 0.5], np.float32))
    head.save(tmp_path)
    again = Head.load(tmp_path)
    assert again.encoder is not None and again.encoder.encoder == heads.encoder
    np.testing.assert_allclose(again.weights, [0.2, 0.3, 0.5])
    embedding = np.zeros(head.mlp.mean.shape[0] - 12, np.float32)
    text = TEXTS[1]
    with_vector = sentiment(again, embedding, text, sentences[1])
    without = sentiment(again, embedding, text)  # no sentence vector: the two-part mix, as before
    assert with_vector["negativity"] >= heads.upset_probability(sentences[1:2])[0] - 1e-6
    distribution = np.asarray(list(with_vector["emotions"].values()))
    assert with_vector["negativity"] >= negativity(distribution, text, again.intensity_weight) - 1e-6
    assert sum(without["emotions"].values()) == pytest.approx(1.0, abs=1e-5)


def test_the_live_featurizers_sentence_vector_is_the_one_the_fine_tunes_heads_read(tuned, tmp_path):
    """The pipeline (spaCy tokens, bot/reading.py, word pieces, onnxruntime, mean pooling) hands the sentiment
    head the same unit-length vector the fine-tune trained its heads on."""
    import yaml

    from bot.sentiment.features import Featurizer, lm_sentence_features

    out, _ = tuned
    config = yaml.safe_load((Path(__file__).resolve().parents[2] / "config.reduced.yml").read_text(encoding="utf-8"))
    for step in config["pipeline"]:
        if step["name"].endswith("LanguageModelFeaturizer"):
            step.update(model_weights=str(out), read_upset_writing=True)
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    live = Featurizer(config_path=path)
    expected = FineTune(TINY, stock=out).encode(TEXTS)
    for text, vector in zip(TEXTS, expected):
        served = lm_sentence_features(live.messages([text])[0])
        assert served is not None
        np.testing.assert_allclose(served, vector, atol=2e-4)


def test_the_desk_config_is_config_yml_serving_the_fine_tuned_encoder_and_nothing_else():
    import copy

    import yaml

    from bot.finetune.desk_config import ENCODER, HEADS, desk_config

    source = yaml.safe_load((Path(__file__).resolve().parents[2] / "config.yml").read_text(encoding="utf-8"))
    kept = copy.deepcopy(source)
    desk = desk_config(source)
    assert source == kept  # config.yml's dict is not changed in place
    steps = {s["name"].rsplit(".", 1)[-1]: s for s in desk["pipeline"]}
    assert steps["MiniLMLanguageModelFeaturizer"]["model_weights"] == ENCODER
    assert steps["MiniLMLanguageModelFeaturizer"]["read_upset_writing"] is True
    assert steps["LinearIntentClassifier"]["char_tfidf"] is True
    assert steps["SentimentClassifier"]["model_dir"] == f"{HEADS}/sentiment"
    assert steps["DialogueActClassifier"]["model_dir"] == f"{HEADS}/escalation"
    assert desk["policies"] == source["policies"]  # thresholds and everything else as config.yml has them
    source["pipeline"] = [s for s in source["pipeline"] if "Sentiment" not in s["name"]]
    with pytest.raises(ValueError, match="sentiment"):
        desk_config(source)
