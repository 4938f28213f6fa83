"""The ONNX MiniLM forward pass gives what transformers' TFBertModel gives on the same weights."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.minilm import MiniLMEncoder

ROOT = Path(__file__).resolve().parents[2]
WEIGHTS = ROOT / "models" / "encoders" / "minilm"
TEXTS = [
    "My card hasn't arrived yet",
    "This is the THIRD time I'm asking!!! Where is my money?",
    "hi",
    "¿Dónde está mi tarjeta? 🤬",
]


@pytest.fixture(scope="module")
def reference():
    from transformers import BertTokenizer, TFBertModel

    tokenizer = BertTokenizer.from_pretrained(str(WEIGHTS))
    return tokenizer, TFBertModel.from_pretrained(str(WEIGHTS))


@pytest.fixture(scope="module")
def encoder() -> MiniLMEncoder:
    return MiniLMEncoder.from_pretrained(WEIGHTS)


@pytest.mark.parametrize("copies", [1, 3], ids=["live-sized batch, one thread", "training batch, every core"])
def test_padded_batch_matches_tensorflow_on_every_real_token(reference, encoder, copies):
    tokenizer, tf_model = reference
    batch = tokenizer(TEXTS * copies, padding=True, return_tensors="np")
    ids, mask = batch["input_ids"], batch["attention_mask"]
    ours = encoder(ids, mask)
    theirs = tf_model(ids, attention_mask=mask)[0].numpy()
    real = mask.astype(bool)
    assert ours.shape == theirs.shape
    assert np.abs(ours[real] - theirs[real]).max() < 1e-4


def test_padding_does_not_change_a_short_texts_vectors(reference, encoder):
    tokenizer, _ = reference
    alone = tokenizer(["hi"], return_tensors="np")["input_ids"]
    batch = tokenizer(TEXTS, padding=True, return_tensors="np")
    padded = encoder(batch["input_ids"], batch["attention_mask"])[2, : alone.shape[1]]
    assert np.abs(encoder(alone)[0] - padded).max() < 1e-5


def test_too_long_input_is_refused_with_a_clear_error(encoder):
    with pytest.raises(ValueError, match="length <= 512"):
        encoder(np.zeros((1, 513), dtype=np.int64))


def test_pipeline_featurizer_runs_the_onnx_encoder(pipeline_featurizer):
    _, _, lm = pipeline_featurizer._build()
    assert isinstance(lm.model, MiniLMEncoder)
    vectors = pipeline_featurizer.embed(["my card was stolen"])
    assert vectors.shape == (1, 384) and np.isfinite(vectors).all()


def test_the_gateway_limit_leaves_a_single_blas_thread_for_the_whole_process():
    import subprocess
    import sys

    code = ("import json, threadpoolctl; from bot.minilm import limit_blas_threads; limit_blas_threads(1); "
            "print(json.dumps([p['num_threads'] for p in threadpoolctl.threadpool_info() if p['user_api'] == 'blas']))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "2"})
    counts = json.loads(out.stdout.strip().splitlines()[-1])
    assert counts and set(counts) == {1}


def test_a_live_message_runs_on_a_single_onnxruntime_thread(reference, encoder):
    tokenizer, _ = reference
    encoder(tokenizer(["where is my card"], return_tensors="np")["input_ids"])
    options = encoder._sessions[1].get_session_options()
    assert options.intra_op_num_threads == 1
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_remembered_word_pieces_are_rasas_and_a_caller_cannot_spoil_them(pipeline_featurizer):
    from rasa.nlu.featurizers.dense_featurizer.lm_featurizer import LanguageModelFeaturizer

    _, _, lm = pipeline_featurizer._build()
    for token in ["card", "hasn't", "arrived", "¿Dónde", "🤬", "THIRD", "unbelievably", "card"]:
        first = lm._lm_tokenize(token)
        assert first == LanguageModelFeaturizer._lm_tokenize(lm, token)
        first[0].append(-1)  # Rasa extends its own lists; a remembered answer must not change with them
        first[1].clear()
        assert lm._lm_tokenize(token) == LanguageModelFeaturizer._lm_tokenize(lm, token)
    assert "unbelievably" in lm._pieces
