"""bot/sentiment/model.py with the REAL reduced head: domain cases, bad input, persistence.

Every text here is a paraphrase, not a line of data/sentiment/support_examples.jsonl, so the
tests check that the head generalises rather than that it memorised.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from bot.sentiment.data import LABELS
from bot.sentiment.features import lm_sequence_features, mean_pool
from bot.sentiment.model import HEAD_FILE, Head, ModelError, sentiment


@pytest.fixture(scope="module")
def classify(sentiment_head, pipeline_featurizer):
    """Text → sentiment through the same inference path the live pipeline takes."""

    def run(text: str) -> dict:
        message = pipeline_featurizer.messages([text])[0]
        return sentiment(sentiment_head, mean_pool(lm_sequence_features(message)), text)

    return run


def top(result: dict) -> str:
    return max(result["emotions"], key=result["emotions"].get)


def assert_valid(result: dict) -> None:
    assert list(result["emotions"]) == list(LABELS)
    values = list(result["emotions"].values())
    assert all(0.0 <= v <= 1.0 and math.isfinite(v) for v in values)
    assert sum(values) == pytest.approx(1.0, abs=1e-5)
    assert 0.0 <= result["negativity"] <= 1.0


@pytest.mark.parametrize(
    "text",
    [
        "I've lost my debit card, what should I do?",
        "My card was stolen, can you block it please?",
        "Someone stole my purse with my bank card in it. How do I get a new one?",
        "How do I report a fraudulent payment?",
        "Why did my top-up fail?",
        "When will my new card arrive?",
    ],
)
def test_a_calm_banking_problem_is_not_an_upset_customer(classify, text):
    result = classify(text)
    assert top(result) == "neutral"
    assert result["negativity"] < 0.3


@pytest.mark.parametrize(
    "text",
    [
        "This is the third time I'm asking!!!",
        "I have asked this FOUR times now and still no answer, this is absolutely ridiculous",
        "Why haven't you answered me?! I've messaged three times!!",
        "WHERE IS MY REFUND? I WAS PROMISED IT LAST WEEK!",
    ],
)
def test_an_angry_customer_reads_as_anger_with_high_negativity(classify, text):
    result = classify(text)
    assert top(result) == "anger"
    assert result["negativity"] > 0.6


def test_a_polite_complaint_is_still_negative(classify):
    result = classify("I'm sorry but I have to say I'm very unhappy with how long this refund is taking.")
    assert top(result) in {"anger", "sadness"}
    assert result["negativity"] > 0.5


@pytest.mark.parametrize(
    "text", ["Bloody brilliant, thanks!", "Fucking brilliant, my transfer went through, cheers"]
)
def test_praise_with_swear_words_is_joy(classify, text):
    result = classify(text)
    assert top(result) == "joy"
    assert result["negativity"] < 0.2


def test_shouting_a_card_question_raises_negativity(classify):
    calm = classify("where is my new card")
    shouted = classify("WHERE IS MY NEW CARD?!")
    assert shouted["negativity"] > calm["negativity"] + 0.3
    assert shouted["negativity"] > 0.5


@pytest.mark.parametrize(
    "text",
    [
        "My father died last week and I need to close his account.",
        "My wife passed away and I don't know how to handle her bank account.",
    ],
)
def test_bereavement_reads_as_sadness(classify, text):
    result = classify(text)
    assert top(result) == "sadness"
    assert result["negativity"] > 0.6


def test_fear_of_fraud_reads_as_fear(classify):
    result = classify("I'm terrified that someone has access to my savings.")
    assert top(result) == "fear"
    assert result["negativity"] > 0.6


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "😀😀😀",
        "😡",
        "x" * 20_000,
        "My card was declined. " * 1000,
        "¿Dónde está mi tarjeta? No funciona.",
        "Где моя карта?",
        "我的卡丢了",
        "\x00\x07\x1b[31m\x7f",
        "card\u200b\u202edeclined",
    ],
)
def test_bad_input_gets_a_valid_distribution(classify, text):
    assert_valid(classify(text))


def test_no_language_model_vector_means_plainly_neutral(sentiment_head):
    result = sentiment(sentiment_head, None, "")
    assert_valid(result)
    assert result["emotions"]["neutral"] == 1.0 and result["negativity"] == 0.0


def test_single_text_fast_path_matches_the_batch_path(sentiment_head):
    texts = ["I lost my card", "THIS IS A JOKE!!!", "", "😀", "z" * 9000, "thanks a lot, brilliant"]
    batch = sentiment_head.lexical.logits(texts)
    one_by_one = np.stack([sentiment_head.lexical.logits([text])[0] for text in texts])
    np.testing.assert_allclose(batch, one_by_one, atol=1e-4)


def test_head_round_trips_through_its_npz(sentiment_head, tmp_path: Path):
    sentiment_head.save(tmp_path)
    again = Head.load(tmp_path)
    features = np.random.default_rng(0).normal(size=(2, sentiment_head.mlp.mean.shape[0])).astype(np.float32)
    np.testing.assert_allclose(
        again.probabilities(features, ["a", "b c"]), sentiment_head.probabilities(features, ["a", "b c"])
    )
    assert (tmp_path / "metrics.json").exists()


def test_missing_head_says_how_to_build_it(tmp_path: Path):
    with pytest.raises(ModelError, match="make train"):
        Head.load(tmp_path)


def test_head_for_other_labels_is_refused(sentiment_model_dir: Path, tmp_path: Path):
    with np.load(sentiment_model_dir / HEAD_FILE) as stored:
        arrays = dict(stored)
    arrays["labels"] = np.asarray(["happy", "sad"])
    np.savez(tmp_path / HEAD_FILE, **arrays)
    with pytest.raises(ModelError, match="other labels"):
        Head.load(tmp_path)
