"""MiniLM features with the sentence vector all-MiniLM-L6-v2 was trained to produce.

Rasa's LanguageModelFeaturizer takes BERT's [CLS] vector as the sentence feature. all-MiniLM-L6-v2 is
a sentence-transformers model: its sentence embedding is the mean of all token vectors, L2-normalised,
and its [CLS] vector was never trained to summarise anything. DIET without a transformer layer reads
mostly the sentence feature, so this one change decides its accuracy (see docs/architecture.md).
Token-level (sequence) features are left exactly as Rasa computes them.

The forward pass runs in onnxruntime (bot/minilm.py) instead of TFBertModel: same weights, same
outputs to ~1e-5, several times less time per customer message (BERT in TF pays per-op dispatch) and
faster on training batches too, so neither the gateway nor training loads MiniLM into TensorFlow.
"""
from __future__ import annotations

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.featurizers.dense_featurizer.lm_featurizer import LanguageModelFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.utils.tensorflow.model_data import ragged_array_to_ndarray

from bot.minilm import MiniLMEncoder
from bot.reading import read_token

MAX_REMEMBERED_TOKENS = 100_000  # distinct tokens whose word pieces are kept (a few MB at most)


def mean_pooled(token_vectors: np.ndarray) -> np.ndarray:
    """sentence-transformers pooling: mean over every real token ([CLS]/[SEP] included), unit length."""
    pooled = token_vectors.mean(axis=0)
    norm = float(np.linalg.norm(pooled))
    return pooled / norm if norm > 0 else pooled


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class MiniLMLanguageModelFeaturizer(LanguageModelFeaturizer):
    """LanguageModelFeaturizer whose sentence feature is MiniLM's mean-pooled embedding."""

    @staticmethod
    def required_components() -> list[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict:
        return {**LanguageModelFeaturizer.get_default_config(), "read_upset_writing": False}

    def _load_model_instance(self) -> None:
        """Rasa's tokenizer for the word pieces; our ONNX encoder for the model itself."""
        from rasa.nlu.utils.hugging_face.registry import model_tokenizer_dict

        self.tokenizer = model_tokenizer_dict[self.model_name].from_pretrained(
            self.model_weights, cache_dir=self.cache_dir
        )
        self.model = MiniLMEncoder.from_pretrained(self.model_weights)
        self.pad_token_id = self.tokenizer.unk_token_id  # as Rasa does; padding is masked anyway
        self._pieces: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {}
        # bot/reading.py on every token: what the fine-tuned encoder was trained to read (config.yml's
        # read_upset_writing; off for the stock encoder, whose heads were tuned without it).
        self._read = bool(self._config.get("read_upset_writing", False))

    def _lm_tokenize(self, text: str) -> tuple[list[int], list[str]]:
        """Rasa's word pieces of one token (with read_upset_writing: as bot/reading.py reads it, emoji as
        words, masked swearing unmasked), remembered: Rasa runs the (pure Python) WordPiece tokenizer once per token of every
        message, ~8 calls per customer message, and the same words recur."""
        pieces = self._pieces.get(text)
        if pieces is None:
            ids, strings = super()._lm_tokenize(read_token(text) if self._read else text)
            pieces = (tuple(ids), tuple(strings))
            if len(self._pieces) < MAX_REMEMBERED_TOKENS:
                self._pieces[text] = pieces
        return list(pieces[0]), list(pieces[1])

    def _compute_batch_sequence_features(
        self, batch_attention_mask: np.ndarray, padded_token_ids: list[list[int]]
    ) -> np.ndarray:
        return self.model(np.asarray(padded_token_ids, dtype=np.int64), batch_attention_mask)

    def _post_process_sequence_embeddings(
        self, sequence_embeddings: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        sentences, sequences = [], []
        for example in sequence_embeddings:
            sentences.append(mean_pooled(np.asarray(example)))
            sequences.append(example[1:-1])  # drop [CLS] and [SEP], as Rasa's BERT post-processor does
        return np.array(sentences), ragged_array_to_ndarray(sequences)
