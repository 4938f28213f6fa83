"""Text → unit MiniLM sentence vector for the similarity index: the project's encoder (bot/minilm.py, run by
onnxruntime), one forward pass per text, mean-pooled as sentence-transformers does.

The weights are whatever the pipeline's MiniLM featurizer is configured with (config.yml, read through
bot/sentiment/features.py pipeline_configs), so a fine-tuned encoder is picked up without a path here.
Word pieces come from the encoder folder's own tokenizer.json (the `tokenizers` library Rasa already pulls in).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

MAX_PIECES = 128  # customer messages are ~15 pieces; longer texts are cut (the index is about gist)


class TextEncoder:
    def __init__(self, folder: str | Path) -> None:
        from tokenizers import Tokenizer

        from bot.minilm import MiniLMEncoder

        folder = Path(folder)
        self.model = MiniLMEncoder.from_pretrained(folder)
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()  # the file pads to 128; a batch is padded here, to its longest text
        self.tokenizer.enable_truncation(min(MAX_PIECES, self.model.max_length))
        self.dim = self.model.hidden

    @classmethod
    def configured(cls, config_path: Path | None = None) -> TextEncoder:
        """The encoder config.yml's MiniLM featurizer uses."""
        from bot.sentiment.features import LM_NAME, pipeline_configs

        return cls(pipeline_configs(config_path)[LM_NAME]["model_weights"])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) unit vectors; one padded forward pass for the whole list."""
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        encoded = self.tokenizer.encode_batch([" ".join(str(t).split()) or "." for t in texts])
        length = max(len(e.ids) for e in encoded)
        ids = np.zeros((len(texts), length), np.int64)
        mask = np.zeros((len(texts), length), np.float32)
        for i, e in enumerate(encoded):
            ids[i, : len(e.ids)] = e.ids
            mask[i, : len(e.ids)] = 1.0
        hidden = self.model(ids, mask)
        pooled = (hidden * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.where(norms > 0, norms, 1.0)).astype(np.float32)
