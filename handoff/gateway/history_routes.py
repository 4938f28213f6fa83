"""HTTP routes of the console's memory: one conversation read-only, the history search, a customer's story.

Any signed-in agent or admin may read any conversation here (the desk shares its history: a colleague's
earlier chat with the same customer is what the next agent needs); nothing here changes a conversation.
Authentication and the Origin check are the gateway's (handoff.gateway.web, handoff.gateway.http_api).
"""

from __future__ import annotations

import re
from typing import Any

from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse

from handoff.core import errors, protocol
from handoff.gateway.console_routes import day_window
from handoff.gateway.web import RequestAuth, guarded
from handoff.storage.history import PAGE_MAX, History, HistoryQuery
from handoff.storage.history_terms import query_terms, terms
from handoff.storage.store import Store

CUSTOMER_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
REASON_RE = re.compile(r"^[a-z_]{1,40}$")
QUERY_MAX = 200
OFFSET_MAX = 10_000
TRANSCRIPT_MAX = 10_000
SEARCHABLE_RESOLUTIONS = (*protocol.RESOLUTIONS, "callback")  # callback: the customer left a message (Desk.callback)


def conversation_record(conv: dict[str, Any], transcript: list[protocol.Message],
                        closed_at: int | None) -> dict[str, Any]:
    """The read-only JSON of GET /api/conversations/<id> (docs/console.md): the conversation's fields, its
    whole transcript as agents see it, and its private notes apart."""
    shown = [protocol.agent_view(m) for m in transcript]
    out: dict[str, Any] = {
        "conversation_id": conv["conversation_id"],
        "state": conv["state"].value,
        "customer": conv.get("customer") or {},
        "agent": conv.get("agent") or None,
        "agent_name": conv.get("agent_name") or None,
        "last_agent": conv.get("last_agent") or None,
        "reason": conv.get("reason") or {},
        "priority": conv.get("priority", 0.0),
        "created": conv.get("created"),
        "queued_at": conv.get("queued_at"),
        "closed_at": closed_at,
        "closed_by": conv.get("closed_by") or None,
        "resolution": conv.get("resolution") or None,
        "rating": {"score": conv["rating"], "comment": conv.get("rating_comment") or None}
        if conv.get("rating") else None,
        "emotion": {"label": conv.get("emotion") or "neutral", "negativity": conv.get("negativity", 0.0)},
        "last_seq": conv.get("seq", 0),
        "notes": [m for m in shown if m.get("sender") == protocol.Sender.NOTE.value],
        "transcript": shown,
    }
    return out


def parse_query(args: Any) -> tuple[HistoryQuery, int, int]:
    """(query, offset, limit) from the search URL's arguments; InvalidFrame naming the bad one."""
    def arg(name: str) -> str:
        value = args.get(name) or ""
        if len(value) > QUERY_MAX:
            raise errors.InvalidFrame(f"{name} must be at most {QUERY_MAX} characters")
        return value.strip()

    customer, agent, reason, rating, resolution = (arg(n) for n in ("customer", "agent", "reason", "rating",
                                                                     "resolution"))
    customer_id, name_words = None, []
    if customer:
        if CUSTOMER_ID_RE.match(customer) and any(ch.isdigit() for ch in customer):
            customer_id = customer
        else:
            name_words = list(dict.fromkeys(terms(customer)))
            if not name_words:
                raise errors.InvalidFrame("customer must be a customer id or words of a name")
    if agent and not protocol.USERNAME_RE.match(agent):
        raise errors.InvalidFrame("agent must be a username")
    if reason and not REASON_RE.match(reason):
        raise errors.InvalidFrame("reason must be an escalation kind")
    if rating and rating not in ("1", "2", "3", "4", "5"):
        raise errors.InvalidFrame("rating must be 1-5")
    if resolution and resolution not in SEARCHABLE_RESOLUTIONS:
        raise errors.InvalidFrame(f"resolution must be one of {', '.join(SEARCHABLE_RESOLUTIONS)}")
    tz = args.get("tz_offset")
    from_ms = day_window(arg("from"), tz)[0] if arg("from") else None
    to_ms = day_window(arg("to"), tz)[1] - 1 if arg("to") else None
    if from_ms is not None and to_ms is not None and from_ms > to_ms:
        raise errors.InvalidFrame("from must not be after to")
    offset, limit = _int(args.get("offset"), "offset", 0, OFFSET_MAX, 0), _int(args.get("limit"), "limit", 1,
                                                                               PAGE_MAX, 20)
    words = query_terms(arg("q"))
    if arg("q") and not words:
        raise errors.InvalidFrame("no searchable word: common words and long numbers (cards, accounts) are "
                                  "not indexed")
    query = HistoryQuery(words=words, name_words=name_words, customer_id=customer_id,
                         agent=agent or None, reason=reason or None, rating=int(rating) if rating else None,
                         resolution=resolution or None, from_ms=from_ms, to_ms=to_ms)
    return query, offset, limit


def _int(raw: str | None, name: str, lo: int, hi: int, default: int) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)  # type: ignore[arg-type]
    except ValueError:
        raise errors.InvalidFrame(f"{name} must be a whole number") from None
    if not lo <= value <= hi:
        raise errors.InvalidFrame(f"{name} must be between {lo} and {hi}")
    return value


def add_history_routes(bp: Blueprint, *, who: RequestAuth, store: Store, history: History) -> None:
    """GET /api/conversations/<id>, GET /api/conversations (search), GET /api/customers/<id>/conversations."""

    @bp.get("/api/conversations/<conversation_id:str>")
    @guarded
    async def one(request: Request, conversation_id: str) -> HTTPResponse:
        await who.user(request)
        if not protocol.ID_RE.match(conversation_id):
            raise errors.InvalidFrame("conversation id must be 32 hexadecimal characters")
        conv = await store.get(conversation_id)
        if conv is None:
            raise errors.NotFound("conversation not found, or expired")
        transcript = await store.read_log(conversation_id, 0, count=TRANSCRIPT_MAX, with_nlu=True)
        record = conversation_record(conv, transcript, await history.closed_at(conversation_id))
        return response.json(record, headers={"Cache-Control": "no-store"})

    @bp.get("/api/conversations")
    @guarded
    async def search(request: Request) -> HTTPResponse:
        await who.user(request)
        cid = (request.args.get("conversation") or "").strip().lower()
        if cid:
            if not protocol.ID_RE.match(cid):
                raise errors.InvalidFrame("conversation must be a conversation id (32 hexadecimal characters)")
            closed_at = await history.closed_at(cid)
            rows = await history.rows([(cid, closed_at)]) if closed_at is not None else []
            return response.json({"total": len(rows), "more": False, "offset": 0, "conversations": rows})
        query, offset, limit = parse_query(request.args)
        page = await history.search(query, offset, limit)
        return response.json({"total": page.total, "more": page.more, "offset": offset, "conversations": page.rows},
                             headers={"Cache-Control": "no-store"})

    @bp.get("/api/customers/<customer_id:str>/conversations")
    @guarded
    async def customer_story(request: Request, customer_id: str) -> HTTPResponse:
        """The customer's conversations: the live ones (with their state) and the latest closed ones."""
        await who.user(request)
        if not CUSTOMER_ID_RE.match(customer_id):
            raise errors.InvalidFrame("customer id has an invalid format")
        live = []
        for cid in await history.live_of(customer_id):
            conv = await store.get(cid)
            if conv is not None and conv["state"] is not protocol.State.CLOSED:
                live.append({"conversation_id": cid, "state": conv["state"].value, "created": conv.get("created"),
                             "agent": conv.get("agent") or None, "agent_name": conv.get("agent_name") or None})
        page = await history.search(HistoryQuery(customer_id=customer_id), 0, 10)
        return response.json({"customer_id": customer_id, "live": live, "closed": page.rows, "closed_total": page.total},
                             headers={"Cache-Control": "no-store"})



