"""HTTP routes only the agent console needs: canned responses and "my closed conversations of the day".

Authentication and the Origin check are the gateway's (handoff.gateway.http_api); these routes only decide who may
do what. Roles are read from the account on every request rather than from the session, so demoting an
admin takes effect at once.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta, timezone
from functools import wraps
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import WatchError
from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse

from handoff.core import errors, protocol
from handoff.core.clock import now_ms
from handoff.gateway.http_api import _json_body, current_session, error_response
from handoff.storage import keys

TITLE_MAX = 80
TEXT_MAX = protocol.MAX_TEXT_CHARS
CANNED_MAX = 200  # a list an agent can still scan in a dropdown
CLOSED_MAX = 500  # rows returned for one day
TZ_OFFSET_MAX_MIN = 14 * 60  # the widest real UTC offsets are -12 h and +14 h

# Offered until an admin edits the list; deleting them all leaves it empty (it is not re-seeded).
DEFAULT_CANNED = (
    ("Greeting", ("Hi {name}, I'm here to help. I've read the conversation so far, so you don't need to "
                  "repeat anything.")),
    ("Card blocked", ("I've blocked the card so nobody can use it. A replacement is on its way and should "
                      "arrive within 5 working days.")),
    ("Checking", "Thank you for waiting. I'm checking this for you now; it will take a minute or two."),
    ("Anything else", "Is there anything else I can help you with today?"),
)

Handler = Callable[..., Awaitable[HTTPResponse]]


class CannedResponses:
    """Canned responses in one Redis hash (id -> JSON), ids from a counter so edits keep their id."""

    def __init__(self, client: aioredis.Redis) -> None:
        self.r = client

    async def all(self) -> list[dict[str, Any]]:
        await self._seed_once()
        raw = await self.r.hgetall(keys.CANNED)
        items = [json.loads(v) for v in raw.values()]
        return sorted(items, key=lambda c: (c["title"].casefold(), c["id"]))

    async def create(self, title: str, text: str, by: str) -> dict[str, Any]:
        await self._seed_once()
        if await self.r.hlen(keys.CANNED) >= CANNED_MAX:
            raise errors.Conflict(f"there are already {CANNED_MAX} canned responses; delete some first")
        new_id = int(await self.r.incr(keys.CANNED_SEQ))
        item = _item(new_id, title, text, by)
        await self.r.hset(keys.CANNED, str(new_id), json.dumps(item, ensure_ascii=False))
        return item

    async def update(self, canned_id: int, title: str, text: str, by: str) -> dict[str, Any]:
        item = _item(canned_id, title, text, by)
        async with self.r.pipeline(transaction=True) as p:
            try:
                await p.watch(keys.CANNED)
                if not await p.hexists(keys.CANNED, str(canned_id)):
                    raise errors.NotFound("no canned response with that id")
                p.multi()
                p.hset(keys.CANNED, str(canned_id), json.dumps(item, ensure_ascii=False))
                await p.execute()
            except WatchError:
                # Another admin changed the list between our read and write: theirs stays, ask to retry.
                raise errors.Conflict("the canned responses changed meanwhile; reload and try again") from None
        return item

    async def delete(self, canned_id: int) -> None:
        if not await self.r.hdel(keys.CANNED, str(canned_id)):
            raise errors.NotFound("no canned response with that id")

    async def _seed_once(self) -> None:
        # SET NX on the counter: exactly one caller (of every instance) seeds, and only the first time ever.
        if await self.r.set(keys.CANNED_SEQ, 0, nx=True):
            async with self.r.pipeline(transaction=True) as p:
                for i, (title, text) in enumerate(DEFAULT_CANNED, start=1):
                    p.hset(keys.CANNED, str(i), json.dumps(_item(i, title, text, "tandem"), ensure_ascii=False))
                p.set(keys.CANNED_SEQ, len(DEFAULT_CANNED))
                await p.execute()


def _item(canned_id: int, title: str, text: str, by: str) -> dict[str, Any]:
    return {"id": canned_id, "title": title, "text": text, "updated_by": by, "updated": now_ms()}


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


async def closed_conversations(client: aioredis.Redis, username: str, start_ms: int,
                               end_ms: int) -> list[dict[str, Any]]:
    """Rows for the console's "closed today" table, newest first; expired conversations are skipped."""
    found = await client.zrevrangebyscore(keys.agent_closed(username), f"({end_ms}", start_ms,
                                          start=0, num=CLOSED_MAX, withscores=True)
    if not found:
        return []
    async with client.pipeline(transaction=False) as p:
        for cid, _ in found:
            p.hmget(keys.conv(cid), "customer", "reason", "resolution", "emotion", "negativity", "rating",
                    "rating_comment")
        rows = await p.execute()
    out = []
    for (cid, closed_at), fields in zip(found, rows):
        customer, reason, resolution, emotion, negativity, rating, comment = fields
        if customer is None and resolution is None:
            continue  # the conversation itself has expired
        cust = json.loads(customer) if customer else {}
        row: dict[str, Any] = {
            "conversation_id": cid,
            "closed_at": int(closed_at),
            "customer": {k: cust[k] for k in ("name", "customer_id") if k in cust},
            "reason": json.loads(reason) if reason else {},
            "resolution": resolution or None,
            "emotion": {"label": emotion or "neutral", "negativity": float(negativity or 0.0)},
        }
        if rating:
            row["rating"] = {"score": int(rating), "comment": comment or None}
        out.append(row)
    return out


# ------------------------------------------------------------------------------------------ routes


async def _signed_in(request: Request, admin: bool = False) -> dict[str, Any]:
    """The account behind the session cookie; Unauthorized without one, Forbidden if admin is required."""
    found = await current_session(request)
    user = await request.app.ctx.desk.accounts.get(found[1]["username"]) if found else None
    if user is None:
        raise errors.Unauthorized("not signed in, or the session has expired; sign in again")
    if admin and user["role"] != "admin":
        raise errors.Forbidden("only admins can do this")
    return user


def _guarded(handler: Handler) -> Handler:
    """Every TandemError becomes its JSON error body and HTTP status (handoff.core.errors holds the mapping)."""

    @wraps(handler)
    async def run(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        try:
            return await handler(request, *args, **kwargs)
        except errors.TandemError as exc:
            return error_response(exc)

    return run


def add_console_routes(bp: Blueprint) -> None:
    """GET /api/canned, POST /api/canned, PUT|DELETE /api/canned/<id>, GET /api/closed (docs/protocol.md)."""

    def canned(request: Request) -> CannedResponses:
        return CannedResponses(request.app.ctx.desk.store.r)

    @bp.get("/api/canned")
    @_guarded
    async def list_canned(request: Request) -> HTTPResponse:
        await _signed_in(request)
        return response.json({"canned": await canned(request).all()})

    @bp.post("/api/canned")
    @_guarded
    async def create_canned(request: Request) -> HTTPResponse:
        user = await _signed_in(request, admin=True)
        title, text = parse_canned(_json_body(request))
        return response.json({"canned": await canned(request).create(title, text, user["username"])}, status=201)

    @bp.put("/api/canned/<canned_id:int>")
    @_guarded
    async def update_canned(request: Request, canned_id: int) -> HTTPResponse:
        user = await _signed_in(request, admin=True)
        title, text = parse_canned(_json_body(request))
        return response.json({"canned": await canned(request).update(canned_id, title, text, user["username"])})

    @bp.delete("/api/canned/<canned_id:int>")
    @_guarded
    async def delete_canned(request: Request, canned_id: int) -> HTTPResponse:
        await _signed_in(request, admin=True)
        await canned(request).delete(canned_id)
        return response.empty(status=204)

    @bp.get("/api/closed")
    @_guarded
    async def closed(request: Request) -> HTTPResponse:
        user = await _signed_in(request)
        whose = request.args.get("agent") or user["username"]
        if not protocol.USERNAME_RE.match(whose):
            raise errors.InvalidFrame("agent must be a username")
        if whose != user["username"] and user["role"] != "admin":
            raise errors.Forbidden("only admins can see another agent's conversations")
        day = request.args.get("day")
        start_ms, end_ms = day_window(day, request.args.get("tz_offset"))
        rows = await closed_conversations(request.app.ctx.desk.store.r, whose, start_ms, end_ms)
        return response.json({"agent": whose, "day": day, "conversations": rows})
