"""Fixtures shared by the bot tests: the real reduced sentiment head and the pipeline's featurizers."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REDUCED_SENTIMENT = ROOT / "models" / "reduced" / "sentiment"


@pytest.fixture(scope="session")
def sentiment_model_dir() -> Path:
    """models/reduced/sentiment as `make test` builds it; trained here (about a minute) if absent."""
    from bot.sentiment.model import HEAD_FILE
    from bot.sentiment.train import REDUCED, train

    if not (REDUCED_SENTIMENT / HEAD_FILE).exists():
        train(REDUCED_SENTIMENT, REDUCED, show_progress=False)
    return REDUCED_SENTIMENT


@pytest.fixture(scope="session")
def sentiment_head(sentiment_model_dir: Path):
    from bot.sentiment.model import Head

    return Head.load(sentiment_model_dir)


@pytest.fixture(scope="session")
def pipeline_featurizer():
    """SpacyNLP → SpacyTokenizer → LanguageModelFeaturizer, loaded once per session."""
    from bot.sentiment.features import Featurizer

    featurizer = Featurizer()
    featurizer.messages(["warm up"])
    return featurizer
