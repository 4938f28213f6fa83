"""The situation at a glance is read off the transcript and nothing else (handoff/assist/summary.py)."""
from __future__ import annotations

from handoff.assist.summary import FALLING, RISING, summarize, trajectory

CONV = {"customer": {"name": "Ana Jones", "customer_id": "c-1", "cards": [{"last_four": "1234"}]},
        "reason": {"kind": "negativity"}}
LOG = [
    {"seq": 1, "sender": "customer", "text": "where is my card", "intent": "card_arrival", "confidence": 0.82,
     "emotions": {"anger": 0.1}, "negativity": 0.2},
    {"seq": 2, "sender": "bot", "text": "Cards arrive within 3-5 working days."},
    {"seq": 3, "sender": "customer", "text": "asdf it's been 2 weeks!!", "intent": "nlu_fallback", "confidence": 0.3,
     "emotions": {"anger": 0.9}, "negativity": 0.9},
]
PARSES = {1: {"ranking": [{"name": "card_arrival", "confidence": 0.82}], "entities": []},
          3: {"ranking": [{"name": "card_arrival", "confidence": 0.3}],
              "entities": [{"entity": "DATE", "value": "2 weeks"}]}}


def test_the_summary_says_what_was_asked_answered_failed_and_felt() -> None:
    s = summarize(CONV, LOG, PARSES)
    assert [a["intent"] for a in s["asked"]] == ["card_arrival", "nlu_fallback"]
    assert s["asked"][1]["entities"] == [{"entity": "DATE", "value": "2 weeks"}]
    assert s["bot_said"] == ["Cards arrive within 3-5 working days."]
    assert s["failures"] == [{"seq": 3, "what": "did not understand", "intent": "nlu_fallback", "confidence": 0.3}]
    assert [e["label"] for e in s["emotions"]] == ["neutral", "anger"] and s["trajectory"] == RISING
    text = "\n".join(s["lines"])
    assert "Ana Jones (signed in, 1 card)" in text
    assert "card arrival (82%)" in text
    assert "failed 1 time" in text
    assert "Upset customer" in text


def test_a_mood_trend_needs_a_real_change() -> None:
    assert trajectory([0.8, 0.3]) == FALLING and trajectory([0.5, 0.55]) == "steady" and trajectory([0.9]) == "steady"


def test_the_summary_of_a_chat_without_parses_claims_nothing() -> None:
    s = summarize({"customer": {}}, [{"seq": 1, "sender": "customer", "text": "hello"}], {})
    assert s["asked"] == [] and s["failures"] == [] and s["lines"] == ["The customer (not signed in)."]
