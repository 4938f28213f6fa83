"""The console's agent-assist API (docs/assist.md): the summary and drafts of a chat, the counts of what agents
did with the drafts, and "teach the bot" proposals. Agents and admins only; an agent sees the chats they may
open (queued ones and their own), as the agent socket's `open` frame allows.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse

from handoff.assist.service import Assist
from handoff.core import errors, protocol
from handoff.core.protocol import State
from handoff.gateway.web import RequestAuth, guarded, json_body
from handoff.storage.store import Store

EVENTS = ("shown", "used", "edited", "unchanged")  # what the console reports it did with drafts
MAX_EVENT_COUNT = 3  # drafts per message: one report never counts more


async def _may_see(store: Store, user: dict[str, Any], cid: str) -> dict[str, Any]:
    if not protocol.ID_RE.match(cid):
        raise errors.InvalidFrame("conversation_id must be a conversation id")
    conv = await store.get(cid)
    if conv is None:
        raise errors.NotFound("conversation not found")
    if not (user["role"] == "admin" or conv["state"] is State.QUEUED or conv.get("agent") == user["username"]):
        raise errors.Forbidden("you can see the drafts of queued conversations and your own")
    return conv


def add_assist_routes(bp: Blueprint, *, who: RequestAuth, assist: Assist, store: Store) -> None:
    @bp.get("/api/assist/conversations/<cid:str>")
    @guarded
    async def view(request: Request, cid: str) -> HTTPResponse:
        user = await who.user(request)
        await _may_see(store, user, cid)
        return response.json(await assist.view(cid))

    @bp.post("/api/assist/events")
    @guarded
    async def events(request: Request) -> HTTPResponse:
        user = await who.user(request)
        body = json_body(request)
        event, n = body.get("event"), body.get("count", 1)
        if event not in EVENTS:
            raise errors.InvalidFrame(f"event must be one of {', '.join(EVENTS)}")
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_EVENT_COUNT:
            raise errors.InvalidFrame(f"count must be 1-{MAX_EVENT_COUNT}")
        await _may_see(store, user, str(body.get("conversation_id") or ""))
        await assist.record(str(event), n)
        return response.json({"counted": n})

    @bp.get("/api/assist/counts")
    @guarded
    async def counts(request: Request) -> HTTPResponse:
        """What agents did with the drafts since the desk began (docs/assist.md); any signed-in staff."""
        await who.user(request)
        return response.json({"counts": await assist.counts()}, headers={"Cache-Control": "no-store"})

    @bp.get("/api/assist/intents")
    @guarded
    async def intents(request: Request) -> HTTPResponse:
        await who.user(request)
        return response.json({"intents": await asyncio.to_thread(assist.intents)})

    @bp.post("/api/assist/proposals")
    @guarded
    async def propose(request: Request) -> HTTPResponse:
        user = await who.user(request)
        body = json_body(request)
        await _may_see(store, user, str(body.get("conversation_id") or ""))
        iid = await assist.propose(user, body, await asyncio.to_thread(assist.intents))
        return response.json({"id": iid}, status=201)
