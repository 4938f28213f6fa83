"""Upset writing is read into words the encoder knows, on the live path and in the fine-tune alike."""

from __future__ import annotations

import pytest

from bot.reading import read_text, read_token


@pytest.mark.parametrize("masked, word", [("f**k", "fuck"), ("f***", "fuck"), ("sh*t", "shit"),
                                           ("f***ing", "fucking"), ("b*llocks", "bollocks"), ("p*ssed", "pissed"),
                                           ("F**K", "fuck"), ("c**p", "crap")])
def test_masked_swearing_is_read_as_the_word_it_hides(masked, word):
    assert read_token(masked) == word


@pytest.mark.parametrize("token", ["what!", "now...", "hello.", "**", "£35", "a*b*c*d*e*f", "$#!t"])
def test_punctuation_and_masks_that_fit_no_single_word_are_left_alone(token):
    assert read_token(token) == token


def test_every_emoji_is_named_by_the_emoji_package_not_a_table():
    assert read_token("😡") == "enraged face"
    assert read_token("🙄🙄") == "face with rolling eyes face with rolling eyes"
    assert read_text("still waiting 😑") == "still waiting expressionless face"


LIVE_TEXTS = ["this is sh*t 😡", "I don't know where my card is!!", "WHY is my top-up \"pending\" again??",
              "can't log in 🙄🙄 ffs"]


@pytest.fixture(scope="module")
def reading_featurizer(tmp_path_factory):
    """The pipeline's featurizers as config.yml gives them, with read_upset_writing on (the fine-tuned setup)."""
    import yaml

    from bot.sentiment.features import ROOT, Featurizer

    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    for step in config["pipeline"]:
        if step["name"].endswith("MiniLMLanguageModelFeaturizer"):
            step["read_upset_writing"] = True
    path = tmp_path_factory.mktemp("reading") / "config.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return Featurizer(config_path=path)


def test_the_stock_setup_reads_tokens_as_they_are(pipeline_featurizer):
    _, _, lm = pipeline_featurizer._build()
    assert lm._lm_tokenize("sh*t")[0] == lm.tokenizer.encode("sh*t", add_special_tokens=False)


def test_the_fine_tune_sees_exactly_the_word_pieces_the_live_featurizer_makes(reading_featurizer):
    """Same spaCy tokens, same reading, same WordPiece: the encoder is tuned on what it will serve."""
    from rasa.shared.nlu.constants import TEXT

    from bot.finetune.tokens import PieceTokenizer

    pipeline_featurizer = reading_featurizer
    _, _, lm = pipeline_featurizer._build()
    ours = PieceTokenizer(lm_spacy_path(), lm_weights_path(lm))
    for message in pipeline_featurizer.messages(LIVE_TEXTS):
        _, live = lm._tokenize_example(message, TEXT)
        cls, sep = lm.tokenizer.cls_token_id, lm.tokenizer.sep_token_id
        assert ours.ids(message.get(TEXT)) == [cls, *live, sep]
    assert lm._lm_tokenize("😡")[0] == lm.tokenizer.encode("enraged face", add_special_tokens=False)


def lm_spacy_path():
    from bot.finetune.train import SPACY

    return SPACY


def lm_weights_path(lm):
    from pathlib import Path

    return Path(lm.model_weights)
