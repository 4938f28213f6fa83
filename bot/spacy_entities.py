"""spaCy's entities read from the doc SpacyNLP already made, instead of running spaCy a second time.

Rasa's SpacyEntityExtractor calls the spaCy pipeline again on every message because SpacyNLP
lower-cases text by default, which spoils named-entity recognition. With `case_sensitive: true` on
SpacyNLP (config.yml) its doc is the one the extractor would have made, so one spaCy run per message
serves both the tokenizer and the entities (~2 ms of each turn, BENCHMARKS.md). A message whose doc
is missing or was made from other text (a lower-casing SpacyNLP) still gets a fresh run, so the
entities never depend on that setting.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import SPACY_DOCS
from rasa.nlu.extractors.spacy_entity_extractor import SpacyEntityExtractor
from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message


def doc_for_entities(message: Message, model: SpacyModel) -> Any:
    """SpacyNLP's doc when it was made from the message's own text, else a fresh spaCy run."""
    text = message.get(TEXT) or ""
    doc = message.get(SPACY_DOCS[TEXT])
    if doc is not None and doc.text == text:
        return doc
    if not text:
        return model.model.make_doc("")  # SpacyNLP makes no doc for an empty text; nothing to find
    return model.model(text)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False,
                          model_from="SpacyNLP")
class SharedDocSpacyEntityExtractor(SpacyEntityExtractor):
    """SpacyEntityExtractor without the second spaCy run per message."""

    def process(self, messages: list[Message], model: SpacyModel) -> list[Message]:
        for message in messages:
            found = self.add_extractor_name(self._extract_entities(doc_for_entities(message, model)))
            kept = self.filter_irrelevant_entities(found, self._config["dimensions"])
            message.set(ENTITIES, message.get(ENTITIES, []) + kept, add_to_output=True)
        return messages
