"""One spaCy run per message: the shared-doc extractor finds exactly what Rasa's own extractor finds."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.nlu.extractors.spacy_entity_extractor import SpacyEntityExtractor
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.spacy_entities import SharedDocSpacyEntityExtractor

ROOT = Path(__file__).resolve().parents[2]
SPACY_MODEL = ROOT / "models" / "encoders" / "spacy_en_md"
TEXTS = [
    "I sent 250 euros to John Smith on 3 March and it never arrived",
    "Transfer £1,200 to my savings on Friday",
    "My card was charged twice, $45.99 each time, yesterday",
    "hi",
    "",
    "Is there a fee for topping up by card?",
]
DIMENSIONS = {"dimensions": ["MONEY", "DATE", "CARDINAL"]}


class CountingSpacy:
    """The real spaCy pipeline, counting how often it runs."""

    def __init__(self, nlp) -> None:
        self.nlp, self.calls = nlp, 0

    def __call__(self, text: str):
        self.calls += 1
        return self.nlp(text)

    def __getattr__(self, name: str):
        return getattr(self.nlp, name)


@pytest.fixture(scope="module")
def spacy_model() -> SpacyModel:
    if not (SPACY_MODEL / "meta.json").exists():
        pytest.skip("models/encoders/spacy_en_md is written by `make install` (scripts.link_encoders)")
    return SpacyNLP.load_model(str(SPACY_MODEL))


def parsed(model: SpacyModel, case_sensitive: bool) -> list[Message]:
    nlp = SpacyNLP(model, {**SpacyNLP.get_default_config(), "case_sensitive": case_sensitive})
    return nlp.process([Message(data={TEXT: text}) for text in TEXTS], model)


def entities(messages: list[Message]) -> list[list[tuple]]:
    return [[(e["entity"], e["value"], e["start"], e["end"]) for e in m.get(ENTITIES, [])] for m in messages]


@pytest.mark.parametrize("case_sensitive", [True, False])
def test_entities_are_the_ones_rasas_extractor_finds(spacy_model, case_sensitive):
    ours = SharedDocSpacyEntityExtractor(DIMENSIONS).process(parsed(spacy_model, case_sensitive), spacy_model)
    theirs = SpacyEntityExtractor(DIMENSIONS).process(parsed(spacy_model, case_sensitive), spacy_model)
    assert entities(ours) == entities(theirs)
    assert any(entities(ours)), "the texts hold money and dates: an empty result proves nothing"


def test_a_case_sensitive_doc_is_reused_instead_of_running_spacy_again(spacy_model):
    messages = parsed(spacy_model, case_sensitive=True)
    counting = CountingSpacy(spacy_model.model)
    SharedDocSpacyEntityExtractor(DIMENSIONS).process(messages, SpacyModel(counting, spacy_model.model_name))
    assert counting.calls == 0


def test_a_lower_cased_doc_is_not_trusted_for_names(spacy_model):
    messages = parsed(spacy_model, case_sensitive=False)
    counting = CountingSpacy(spacy_model.model)
    SharedDocSpacyEntityExtractor(DIMENSIONS).process(messages, SpacyModel(counting, spacy_model.model_name))
    assert counting.calls == sum(1 for text in TEXTS if text != text.lower())
