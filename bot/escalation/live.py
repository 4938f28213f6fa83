"""Live escalation thresholds: what an admin saved on /admin, applied to the next turn without a retrain.

The model's own thresholds (its config block, `EscalationPolicy.thresholds`) are the base; the overrides
set here replace single values on top of them, for every policy in this process. The gateway keeps them
in step with Redis (handoff/admin/live_knobs.py: every instance within a second of a save); tools that
run the policy without a gateway (replay, eval) never set any, so they measure the model as trained.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from bot.escalation.signals import Thresholds

_overrides: dict[str, Any] = {}
_applied: dict[int, tuple[Thresholds, Thresholds]] = {}  # id(base) -> (base, base with the overrides)


def set_overrides(values: Mapping[str, Any]) -> dict[str, Any]:
    """Replace the live overrides; checked by the policy's own parser (ValueError names the key)."""
    checked = Thresholds.from_config(values)  # raises on an unknown type or range
    new = {k: getattr(checked, k) for k in values}
    global _overrides
    _overrides = new
    _applied.clear()
    return dict(new)


def overrides() -> dict[str, Any]:
    return dict(_overrides)


def effective(base: Thresholds) -> Thresholds:
    """`base` with the live overrides on top (the same object when there are none)."""
    if not _overrides:
        return base
    cached = _applied.get(id(base))
    if cached is None or cached[0] is not base:
        cached = (base, dataclasses.replace(base, **_overrides))
        _applied[id(base)] = cached
    return cached[1]
