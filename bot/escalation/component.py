"""Rasa NLU component that adds `acts` to every message's parse data, for the escalation policy.

Placed after the SentimentClassifier in config.yml; it mean-pools the MiniLM vectors the
LanguageModelFeaturizer already left on the message (no second encoder pass):

    - name: bot.escalation.component.DialogueActClassifier
      model_dir: models/escalation       # acts.npz from `python -m bot.escalation train`

Result: `parse_data["acts"] = {"none": p, "explicit": p, "anger": p, ...}` (see bot/escalation/acts.py).
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message

from bot.escalation.acts import ACTS, ActHead
from bot.sentiment.component import resolve_model_dir
from bot.sentiment.features import pooled_text

logger = logging.getLogger(__name__)

ACTS_KEY = "acts"
NONE_ONLY = {act: (1.0 if act == "none" else 0.0) for act in ACTS}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class DialogueActClassifier(GraphComponent):
    """Per message: how likely it is the one a good desk hands over on, and for which reason."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"model_dir": "models/escalation", "featurizer": None}

    def __init__(self, config: dict[str, Any], head: ActHead) -> None:
        self._config = config
        self._head = head

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> DialogueActClassifier:
        """Loads the trained head; fails at start-up (not per message) if it is missing."""
        config = {**cls.get_default_config(), **config}
        return cls(config, ActHead.load(resolve_model_dir(config["model_dir"])))

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            message.set(ACTS_KEY, self.classify(message), add_to_output=True)
        return messages

    def classify(self, message: Message) -> dict[str, float]:
        """The acts of one featurised message (never raises: an odd message reads as `none`)."""
        try:
            pooled, text = pooled_text(message, self._config.get("featurizer"))
            if pooled is None:
                return dict(NONE_ONLY)
            return self._head.acts(pooled, text)
        except Exception as exc:  # noqa: BLE001 - one odd message must not take the bot down
            logger.error("dialogue acts failed on a message (%s); reporting none", type(exc).__name__)
            return dict(NONE_ONLY)
