"""bot/sentiment/component.py inside a real Rasa pipeline, trained here programmatically."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml

from bot.sentiment.__main__ import predict_lines
from bot.sentiment.component import SENTIMENT_KEY, SentimentClassifier
from bot.sentiment.data import LABELS
from bot.sentiment.features import pipeline_configs
from bot.sentiment.model import Head, ModelError

DOMAIN = {
    "version": "3.1",
    "intents": ["greet", "lost_or_stolen_card"],
    "responses": {
        "utter_greet": [{"text": "Hello!"}],
        "utter_lost_card": [{"text": "I can freeze that card for you."}],
        "utter_rephrase": [{"text": "Could you say that another way?"}],
    },
}
NLU = """version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello
    - hi there
    - good morning
- intent: lost_or_stolen_card
  examples: |
    - I lost my card
    - my card was stolen
    - someone took my card
"""
# A rule for every intent (and NLU fallback): an unanswered turn would be reverted by the
# default fallback, taking the user message - and its parse data - off the tracker.
RULES = """version: "3.1"
rules:
- rule: greet back
  steps:
  - intent: greet
  - action: utter_greet
- rule: lost card
  steps:
  - intent: lost_or_stolen_card
  - action: utter_lost_card
- rule: unsure
  steps:
  - intent: nlu_fallback
  - action: utter_rephrase
"""


def _pipeline(model_dir: Path, alias: str | None = None) -> list[dict]:
    parts = pipeline_configs()
    lm = dict(parts["LanguageModelFeaturizer"])  # the class config.yml names, with its settings
    if alias:
        lm["alias"] = alias
    return [
        parts["SpacyNLP"],
        parts["SpacyTokenizer"],
        {"name": "SpacyFeaturizer"},
        lm,
        {"name": "CountVectorsFeaturizer"},
        {"name": "DIETClassifier", "epochs": 2, "entity_recognition": False},
        {
            "name": "bot.sentiment.component.SentimentClassifier",
            "model_dir": str(model_dir),
            "featurizer": alias,
        },
        {"name": "FallbackClassifier", "threshold": 0.3},
    ]


@pytest.fixture(scope="module")
def agent(sentiment_model_dir: Path, tmp_path_factory):
    """A tiny assistant (NLU + one rule) whose pipeline ends like config.yml's."""
    from rasa.api import train
    from rasa.core.agent import Agent

    root = tmp_path_factory.mktemp("sentiment-bot")
    (root / "domain.yml").write_text(yaml.safe_dump(DOMAIN))
    (root / "nlu.yml").write_text(NLU)
    (root / "rules.yml").write_text(RULES)
    config = {
        "recipe": "default.v1",
        "language": "en",
        "assistant_id": "sentiment-test",
        "pipeline": _pipeline(sentiment_model_dir, alias="minilm"),
        "policies": [{"name": "RulePolicy"}],
    }
    (root / "config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    result = train(
        str(root / "domain.yml"),
        str(root / "config.yml"),
        [str(root / "nlu.yml"), str(root / "rules.yml")],
        str(root / "models"),
    )
    assert result.code == 0, "the tiny Rasa model did not train"
    return Agent.load(result.model)


async def test_pipeline_puts_sentiment_into_the_trackers_latest_message(agent):
    await agent.handle_text("THIS IS THE THIRD TIME I'M ASKING!!! WHERE IS MY CARD?", sender_id="angry")
    tracker = await agent.tracker_store.retrieve("angry")
    parsed = tracker.latest_message.parse_data[SENTIMENT_KEY]
    assert list(parsed["emotions"]) == list(LABELS)
    assert sum(parsed["emotions"].values()) == pytest.approx(1.0, abs=1e-5)
    assert max(parsed["emotions"], key=parsed["emotions"].get) == "anger"
    assert parsed["negativity"] > 0.6


async def test_pipeline_and_cli_give_the_same_numbers(agent, sentiment_head, pipeline_featurizer):
    """The CLI builds the pipeline's featurizers itself; its answer must match the bot's."""
    text = "I lost my card, what do I do?"
    in_pipeline = (await agent.parse_message(text))[SENTIMENT_KEY]
    out = io.StringIO()
    predict_lines(io.StringIO(json.dumps({"text": text}) + "\n"), out, sentiment_head, pipeline_featurizer)
    from_cli = json.loads(out.getvalue())
    assert from_cli["negativity"] == pytest.approx(in_pipeline["negativity"], abs=1e-3)
    for label in LABELS:
        assert from_cli["emotions"][label] == pytest.approx(in_pipeline["emotions"][label], abs=1e-3)
    assert in_pipeline["negativity"] < 0.3


@pytest.mark.parametrize("text", ["", "😀😀", "¿Dónde está mi tarjeta?", "card " * 4000])
async def test_pipeline_survives_odd_messages(agent, text):
    parsed = (await agent.parse_message(text))[SENTIMENT_KEY]
    assert sum(parsed["emotions"].values()) == pytest.approx(1.0, abs=1e-5)
    assert 0.0 <= parsed["negativity"] <= 1.0


def test_component_reports_neutral_for_a_message_without_features(sentiment_model_dir, caplog):
    from rasa.shared.nlu.training_data.message import Message

    component = SentimentClassifier(
        {"model_dir": str(sentiment_model_dir), "featurizer": None}, Head.load(sentiment_model_dir)
    )
    [message] = component.process([Message(data={"text": "my card number is 4111 1111 1111 1111"})])
    assert message.get(SENTIMENT_KEY)["emotions"]["neutral"] == 1.0
    assert "4111" not in caplog.text


def test_component_without_a_trained_head_fails_at_start_up(tmp_path):
    with pytest.raises(ModelError, match="make train"):
        SentimentClassifier.create({"model_dir": str(tmp_path)}, None, None, None)  # type: ignore[arg-type]
