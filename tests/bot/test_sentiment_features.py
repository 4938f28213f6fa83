"""bot/sentiment/features.py: pooling the pipeline's MiniLM vectors and the surface cues."""

from __future__ import annotations

import numpy as np

from bot.sentiment.features import (
    CUE_NAMES,
    EMBEDDING_DIM,
    MAX_CUE_CHARS,
    clean_text,
    cue_vector,
    lm_sequence_features,
    mean_pool,
)


def test_mean_pool_ignores_the_zero_rows_rasa_pads_truncated_text_with():
    sequence = np.vstack([np.ones((2, 4)), np.zeros((3, 4))]).astype(np.float32)
    np.testing.assert_allclose(mean_pool(sequence), np.ones(4))


def test_mean_pool_has_nothing_to_say_about_no_tokens():
    assert mean_pool(None) is None
    assert mean_pool(np.zeros((0, 4), np.float32)) is None
    assert mean_pool(np.zeros((3, 4), np.float32)) is None


def test_cues_stay_in_unit_range_and_see_shouting():
    calm = dict(zip(CUE_NAMES, cue_vector("where is my new card?")))
    loud = dict(zip(CUE_NAMES, cue_vector("WHERE IS MY NEW CARD?!!")))
    assert calm["shouting"] == 0.0 and loud["shouting"] == 1.0
    assert loud["multi_exclaim"] == 1.0
    for text in ["", "😀😀😀", "x" * 50_000, "\x00\x1b[31m", "¿Dónde está mi tarjeta?"]:
        cues = cue_vector(text)
        assert cues.shape == (len(CUE_NAMES),)
        assert np.all((cues >= 0.0) & (cues <= 1.0))


def test_clean_text_drops_control_characters_and_caps_length():
    assert clean_text("a\x00b\x07c\nd") == "abc\nd"
    assert len(clean_text("y" * 30_000)) == MAX_CUE_CHARS
    assert clean_text(None) == ""


def test_batch_and_single_featurisation_give_the_same_vectors(pipeline_featurizer):
    """Training uses Rasa's batch path, the live pipeline the per-message one: same numbers."""
    texts = ["I lost my card, what do I do?", "THIS IS THE THIRD TIME!!!", "ok"]
    batch = pipeline_featurizer.embed(texts, batch=True)
    single = pipeline_featurizer.embed(texts, batch=False)
    assert batch.shape == (3, EMBEDDING_DIM)
    np.testing.assert_allclose(batch, single, atol=1e-4)


def test_features_are_read_from_the_language_model_featurizer_only(pipeline_featurizer):
    message = pipeline_featurizer.messages(["my card was declined"])[0]
    sequence = lm_sequence_features(message)
    assert sequence is not None and sequence.shape == (4, EMBEDDING_DIM)
    assert lm_sequence_features(message, featurizer="some_other_alias") is None
