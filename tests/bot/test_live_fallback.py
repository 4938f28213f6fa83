"""The live fallback threshold re-decides a parse as the FallbackClassifier would have (bot/live_fallback.py)."""
from __future__ import annotations

import pytest

from bot import live_fallback


def parse(*ranking: tuple[str, float], fallback_at: float | None = None) -> dict:
    rank = [{"name": n, "confidence": c} for n, c in ranking]
    if fallback_at is not None:
        top = {"name": "nlu_fallback", "confidence": fallback_at}
        return {"text": "x", "intent": top, "intent_ranking": [top, *rank]}
    return {"text": "x", "intent": dict(rank[0]), "intent_ranking": rank}


def test_above_the_model_cut_a_raised_threshold_makes_it_a_fallback() -> None:
    p = parse(("card_arrival", 0.5), ("card_linking", 0.2))
    assert live_fallback.apply(p, 0.35) is p
    out = live_fallback.apply(p, 0.6)
    assert out["intent"] == {"name": "nlu_fallback", "confidence": 0.6}
    assert [r["name"] for r in out["intent_ranking"]] == ["nlu_fallback", "card_arrival", "card_linking"]


def test_a_lowered_threshold_gives_a_fallback_its_best_intent_back_unless_ambiguous() -> None:
    fell = parse(("card_arrival", 0.3), ("card_linking", 0.1), fallback_at=0.35)
    assert live_fallback.apply(fell, 0.25)["intent"] == {"name": "card_arrival", "confidence": 0.3}
    close = parse(("card_arrival", 0.3), ("card_linking", 0.28), fallback_at=0.35)
    assert live_fallback.apply(close, 0.25) is close  # the model's ambiguity rule stays


def test_no_live_threshold_leaves_the_parse_alone_and_bad_values_are_refused() -> None:
    p = parse(("card_arrival", 0.1))
    assert live_fallback.threshold() is None and live_fallback.apply(p) is p
    for bad in (1.5, -0.1, True, "0.5"):
        with pytest.raises(ValueError):
            live_fallback.set_threshold(bad)  # type: ignore[arg-type]
    assert live_fallback.threshold() is None
