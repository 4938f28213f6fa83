"""The linear intent head reads character n-grams beside the sentence vector when asked, and stores no pickle."""

from __future__ import annotations

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.intent_classifier import WEIGHTS, LinearIntentClassifier

# Two intents whose sentence vectors are identical: only the words can tell them apart.
EXAMPLES = [("my top-up failed", "top_up_failed"), ("top-up failed twice", "top_up_failed"),
            ("why has the top-up failed", "top_up_failed"), ("failed top-up", "top_up_failed"),
            ("why is my top-up pending", "pending_top_up"), ("top-up still pending", "pending_top_up"),
            ("pending top-up for hours", "pending_top_up"), ("top-up pending", "pending_top_up")]


def message(text: str, intent: str | None = None) -> Message:
    m = Message(data={TEXT: text, **({INTENT: intent} if intent else {})})
    m.add_features(Features(np.ones((1, 8), np.float32) / np.sqrt(8), FEATURE_TYPE_SENTENCE, TEXT, "test"))
    return m


def test_character_ngrams_tell_apart_intents_the_sentence_vector_cannot(tmp_path):
    storage = LocalModelStorage(tmp_path)
    resource = Resource("intents")
    context = ExecutionContext(GraphSchema({}), node_name="intents")
    config = {"C": 20, "char_tfidf": True}
    trained = LinearIntentClassifier.create({**LinearIntentClassifier.get_default_config(), **config},
                                            storage, resource, context)
    trained.train(TrainingData([message(t, i) for t, i in EXAMPLES]))
    with storage.read_from(resource) as directory:
        stored = np.load(directory / WEIGHTS, allow_pickle=False)  # plain arrays only
        assert "tfidf_vocab" in stored.files
    loaded = LinearIntentClassifier.load({**LinearIntentClassifier.get_default_config(), **config},
                                         storage, resource, context)
    got = loaded.process([message("my top-up is pending"), message("the top-up failed again")])
    assert [m.get(INTENT)["name"] for m in got] == ["pending_top_up", "top_up_failed"]


def test_without_character_ngrams_the_head_reads_the_sentence_vector_only(tmp_path):
    storage = LocalModelStorage(tmp_path)
    resource = Resource("intents")
    context = ExecutionContext(GraphSchema({}), node_name="intents")
    head = LinearIntentClassifier.create(LinearIntentClassifier.get_default_config(), storage, resource, context)
    head.train(TrainingData([message(t, i) for t, i in EXAMPLES]))
    assert head.weights is not None and head.weights.shape[0] == 8
    confidence = head.process([message("my top-up is pending")])[0].get(INTENT)["confidence"]
    assert abs(confidence - 0.5) < 0.05  # identical vectors: the head cannot choose
