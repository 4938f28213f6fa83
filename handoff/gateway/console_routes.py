"""HTTP routes only the agent console needs: canned responses and "my closed conversations of the day".

Authentication and the Origin check are the gateway's (handoff.gateway.http_api); these routes only decide who may
do what. Roles are read from the account on every request rather than from the session, so demoting an
admin takes effect at once.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse

from handoff.core import errors, protocol
from handoff.gateway.web import RequestAuth, guarded, json_body
from handoff.storage.canned import CannedResponses
from handoff.storage.store import Store

TITLE_MAX = 80
TEXT_MAX = protocol.MAX_TEXT_CHARS
TZ_OFFSET_MAX_MIN = 14 * 60  # the widest real UTC offsets are -12 h and +14 h

def parse_canned(body: dict[str, Any]) -> tuple[str, str]:
    """(title, text) trimmed, or InvalidFrame naming the field and its limits (never echoing the value)."""
    title, text = body.get("title"), body.get("text")
    if not isinstance(title, str) or not 1 <= len(title.strip()) <= TITLE_MAX:
        raise errors.InvalidFrame(f"title must be 1-{TITLE_MAX} characters")
    if not isinstance(text, str) or not 1 <= len(text.strip()) <= TEXT_MAX:
        raise errors.InvalidFrame(f"text must be 1-{TEXT_MAX} characters")
    return title.strip(), text.strip()


def day_window(day: str | None, tz_offset: str | None) -> tuple[int, int]:
    """[start, end) in ms of a calendar day in the agent's time zone.

    tz_offset is JavaScript's Date#getTimezoneOffset(): minutes to add to local time to get UTC.
    """
    try:
        d = date.fromisoformat(day or "")
    except ValueError:
        raise errors.InvalidFrame("day must be a date written YYYY-MM-DD") from None
    try:
        offset = int(tz_offset) if tz_offset not in (None, "") else 0
    except ValueError:
        raise errors.InvalidFrame("tz_offset must be whole minutes") from None
    if abs(offset) > TZ_OFFSET_MAX_MIN:
        raise errors.InvalidFrame(f"tz_offset must be between -{TZ_OFFSET_MAX_MIN} and {TZ_OFFSET_MAX_MIN}")
    start = datetime(d.year, d.month, d.day, tzinfo=timezone.utc) + timedelta(minutes=offset)
    start_ms = int(start.timestamp() * 1000)
    return start_ms, start_ms + 24 * 3600 * 1000


# ------------------------------------------------------------------------------------------ routes


def add_console_routes(bp: Blueprint, *, who: RequestAuth, canned: CannedResponses, store: Store) -> None:
    """GET /api/canned, POST /api/canned, PUT|DELETE /api/canned/<id>, GET /api/closed (docs/protocol.md)."""

    @bp.get("/api/canned")
    @guarded
    async def list_canned(request: Request) -> HTTPResponse:
        await who.user(request)
        return response.json({"canned": await canned.all()})

    @bp.post("/api/canned")
    @guarded
    async def create_canned(request: Request) -> HTTPResponse:
        user = await who.user(request, admin=True)
        title, text = parse_canned(json_body(request))
        return response.json({"canned": await canned.create(title, text, user["username"])}, status=201)

    @bp.put("/api/canned/<canned_id:int>")
    @guarded
    async def update_canned(request: Request, canned_id: int) -> HTTPResponse:
        user = await who.user(request, admin=True)
        title, text = parse_canned(json_body(request))
        return response.json({"canned": await canned.update(canned_id, title, text, user["username"])})

    @bp.delete("/api/canned/<canned_id:int>")
    @guarded
    async def delete_canned(request: Request, canned_id: int) -> HTTPResponse:
        await who.user(request, admin=True)
        await canned.delete(canned_id)
        return response.empty(status=204)

    @bp.get("/api/closed")
    @guarded
    async def closed(request: Request) -> HTTPResponse:
        user = await who.user(request)
        whose = request.args.get("agent") or user["username"]
        if not protocol.USERNAME_RE.match(whose):
            raise errors.InvalidFrame("agent must be a username")
        if whose != user["username"] and user["role"] != "admin":
            raise errors.Forbidden("only admins can see another agent's conversations")
        day = request.args.get("day")
        start_ms, end_ms = day_window(day, request.args.get("tz_offset"))
        rows = await store.closed_conversations(whose, start_ms, end_ms)
        return response.json({"agent": whose, "day": day, "conversations": rows})
