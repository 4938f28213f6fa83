"""Rasa NLU component that adds `sentiment` to every message's parse data.

Placed after LanguageModelFeaturizer (and DIET) in config.yml, it mean-pools the MiniLM
vectors that featurizer already left on the message, so it adds a fraction of a
millisecond per message instead of a second encoder pass:

    - name: bot.sentiment.component.SentimentClassifier
      model_dir: models/sentiment        # head.npz from `python -m bot.sentiment train`
      featurizer: null                   # LanguageModelFeaturizer's `alias`, if it has one

Result, visible to actions, policies and the gateway as
`tracker.latest_message.parse_data["sentiment"]`:
{"emotions": {anger, disgust, fear, joy, sadness, surprise, neutral: p}, "negativity": x}.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message

from bot.sentiment.features import lm_sentence_features, pooled_text
from bot.sentiment.model import NEUTRAL_ONLY, Head, sentiment

logger = logging.getLogger(__name__)

SENTIMENT_KEY = "sentiment"
ROOT = Path(__file__).resolve().parents[2]


def resolve_model_dir(model_dir: str | Path) -> Path:
    """`model_dir` as given if it exists, else relative to the project root (for `make run`)."""
    path = Path(model_dir)
    if path.is_absolute() or path.exists():
        return path
    return ROOT / path


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SentimentClassifier(GraphComponent):
    """Emotion distribution and negativity from the pipeline's own MiniLM features."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"model_dir": "models/sentiment", "featurizer": None}

    def __init__(self, config: dict[str, Any], head: Head) -> None:
        self._config = config
        self._head = head

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentimentClassifier:
        """Loads the trained head; fails at start-up (not per message) if it is missing."""
        config = {**cls.get_default_config(), **config}
        return cls(config, Head.load(resolve_model_dir(config["model_dir"])))

    def process(self, messages: list[Message]) -> list[Message]:
        """Sets `sentiment` on each message; a message it cannot read is reported neutral."""
        for message in messages:
            message.set(SENTIMENT_KEY, self.classify(message), add_to_output=True)
        return messages

    def classify(self, message: Message) -> dict[str, Any]:
        """The sentiment of one featurised message (never raises)."""
        try:
            pooled, text = pooled_text(message, self._config.get("featurizer"))
            sentence = lm_sentence_features(message, self._config.get("featurizer")) if self._head.encoder else None
            return sentiment(self._head, pooled, text, sentence)
        except Exception as exc:  # noqa: BLE001 - one odd message must not take the bot down
            # The type only: customer text never goes into logs.
            logger.error("sentiment failed on a message (%s); reporting neutral", type(exc).__name__)
            return {"emotions": dict(NEUTRAL_ONLY), "negativity": 0.0}
