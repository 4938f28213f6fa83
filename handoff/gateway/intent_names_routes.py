"""Readable intent names for agents (issue #24): GET /api/intent-names, PUT|DELETE /api/intent-names/<intent>.

The console shows "Card payment fee charged" instead of `card_payment_fee_charged`, and only for a parse at
or above `min_confidence`: the same INBOX_THRESHOLD below which the bot's parse counts as unsure and goes to
the admins' NLU inbox (handoff/admin/inbox.py) — an intent the desk does not trust itself is not shown to
agents as a fact. Defaults ship in data/intent_names.yml; admins' renames (Redis) win.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse

from handoff.core import errors
from handoff.gateway.web import RequestAuth, guarded, json_body
from handoff.settings import Settings
from handoff.storage.intent_names import IntentNames

INTENT_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
NAME_MAX = 60


def shipped_names(project_root: str) -> dict[str, str]:
    """data/intent_names.yml of the project (the admin's workspace in tests), else the checkout's."""
    for root in (Path(project_root), Path(__file__).resolve().parents[2]):
        path = root / "data" / "intent_names.yml"
        if path.is_file():
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            return {str(k): str(v) for k, v in loaded.items()}
    return {}


def add_intent_names_routes(bp: Blueprint, *, who: RequestAuth, names: IntentNames, settings: Settings) -> None:
    shipped = shipped_names(settings.project_root)

    @bp.get("/api/intent-names")
    @guarded
    async def all_names(request: Request) -> HTTPResponse:
        await who.user(request)
        renamed = await names.renames()
        return response.json({"names": {**shipped, **renamed}, "renamed": sorted(renamed),
                              "min_confidence": settings.inbox_threshold})

    @bp.put("/api/intent-names/<intent:str>")
    @guarded
    async def rename(request: Request, intent: str) -> HTTPResponse:
        await who.user(request, admin=True)
        if not INTENT_RE.match(intent):
            raise errors.InvalidFrame("not an intent identifier")
        name = json_body(request).get("name")
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= NAME_MAX:
            raise errors.InvalidFrame(f"name must be 1-{NAME_MAX} characters")
        await names.rename(intent, name.strip())
        return response.json({"intent": intent, "name": name.strip()})

    @bp.delete("/api/intent-names/<intent:str>")
    @guarded
    async def reset(request: Request, intent: str) -> HTTPResponse:
        await who.user(request, admin=True)
        if not INTENT_RE.match(intent):
            raise errors.InvalidFrame("not an intent identifier")
        await names.reset(intent)
        return response.json({"intent": intent, "name": shipped.get(intent)})
