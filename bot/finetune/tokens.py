"""Word-piece ids exactly as the live pipeline makes them, for texts the fine-tune trains on.

The live path is SpacyTokenizer's tokens, each read (bot/reading.py) and cut into word pieces by
Rasa's LanguageModelFeaturizer, between [CLS] and [SEP]. Training on the tokenizer's own split of the
whole text would differ on contractions and punctuation ("don't" -> do + n't in spaCy), so the encoder
would be tuned on inputs it never meets; this module reuses spaCy's tokenizer and the same WordPiece.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.reading import read_token

MAX_PIECES = 64  # customer messages are short; longer training texts are cut (the live path keeps 512)


@dataclass
class PieceTokenizer:
    """spaCy's tokenizer then BERT's WordPiece per token (remembered), as Rasa's featurizer does."""

    spacy_model: Path
    minilm: Path
    _spacy: Any = field(default=None, init=False, repr=False)
    _wordpiece: Any = field(default=None, init=False, repr=False)
    _pieces: dict[str, list[int]] = field(default_factory=dict, init=False, repr=False)

    def _load(self) -> None:
        if self._spacy is None:
            import spacy
            from transformers import BertTokenizer

            self._spacy = spacy.load(str(self.spacy_model)).tokenizer
            self._wordpiece = BertTokenizer.from_pretrained(str(self.minilm))

    def token_ids(self, token: str) -> list[int]:
        ids = self._pieces.get(token)
        if ids is None:
            ids = self._pieces[token] = self._wordpiece.encode(read_token(token), add_special_tokens=False)
        return ids

    def ids(self, text: str) -> list[int]:
        """[CLS] pieces [SEP], cut to MAX_PIECES."""
        self._load()
        pieces: list[int] = []
        for token in self._spacy(text):
            if not token.is_space:
                pieces.extend(self.token_ids(token.text))
        cls, sep = self._wordpiece.cls_token_id, self._wordpiece.sep_token_id
        return [cls, *pieces[: MAX_PIECES - 2], sep]

    def batch(self, texts: Iterable[str]) -> list[np.ndarray]:
        return [np.asarray(self.ids(t), dtype=np.int32) for t in texts]
