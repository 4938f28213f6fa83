"""The live fallback threshold: the FallbackClassifier's cut, moved by an admin without a retrain.

The model's FallbackClassifier (config.yml: threshold 0.35) decides inside the NLU pipeline. With a live
threshold set (handoff/admin/live_knobs.py keeps it in step with Redis on every instance), the gateway
re-decides each parse before the dialogue sees it: below the live threshold the top intent becomes
`nlu_fallback` (as the classifier would have made it), at or above it a parse the model's classifier had
turned into `nlu_fallback` gets its best intent back. The classifier's ambiguity rule (two intents too close)
is the model's and stays as trained.
"""

from __future__ import annotations

from typing import Any

FALLBACK = "nlu_fallback"
_threshold: float | None = None


def set_threshold(value: float | None) -> float | None:
    """The live threshold (None: the model's own); ValueError outside 0..1."""
    global _threshold
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1):
        raise ValueError("the fallback threshold must be a number between 0 and 1")
    _threshold = None if value is None else float(value)
    return _threshold


def threshold() -> float | None:
    return _threshold


def apply(parse_data: dict[str, Any], value: float | None = None) -> dict[str, Any]:
    """`parse_data` as the FallbackClassifier would have left it at the live threshold (or `value`)."""
    cut = _threshold if value is None else value
    if cut is None:
        return parse_data
    intent = parse_data.get("intent") or {}
    ranking = [r for r in parse_data.get("intent_ranking") or [] if r.get("name") != FALLBACK]
    if not ranking:
        return parse_data
    best = ranking[0]
    if float(best.get("confidence") or 0.0) < cut:
        if intent.get("name") == FALLBACK:
            return parse_data
        fallback = {"name": FALLBACK, "confidence": cut}
        return {**parse_data, "intent": fallback, "intent_ranking": [fallback, *ranking]}
    if intent.get("name") == FALLBACK and not _ambiguous(ranking):
        return {**parse_data, "intent": dict(best), "intent_ranking": ranking}
    return parse_data


def _ambiguous(ranking: list[dict[str, Any]], margin: float = 0.05) -> bool:
    """The model's own ambiguity rule (config.yml ambiguity_threshold 0.05): kept as trained."""
    return len(ranking) > 1 and float(ranking[0].get("confidence") or 0) - float(ranking[1].get("confidence") or 0) < margin
