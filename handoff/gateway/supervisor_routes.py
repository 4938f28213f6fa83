"""GET /api/supervisor: the admins' view of the whole desk right now (issue #24): every chat with a person or
waiting for one, every agent's status and load, the queue. Opening a chat read-only and taking it over use
the agent socket's `open` and `transfer` frames, which already let an admin act on any conversation.
"""

from __future__ import annotations

from typing import Any

from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse

from handoff.core.clock import now_ms
from handoff.core.protocol import State
from handoff.gateway.web import RequestAuth, guarded
from handoff.storage.store import Store


def live_row(conv: dict[str, Any], now: int) -> dict[str, Any]:
    """One chat of the supervisor's table. `since`: when it (last) joined the queue — the customer's wait so
    far while queued, how long ago they asked for a person once an agent has it."""
    customer = conv.get("customer") or {}
    since = conv.get("queued_at") or conv.get("created") or now
    return {
        "conversation_id": conv["conversation_id"],
        "state": conv["state"].value,
        "customer": {k: customer[k] for k in ("name", "customer_id") if k in customer},
        "agent": conv.get("agent") or None,
        "agent_name": conv.get("agent_name") or None,
        "reason": conv.get("reason") or {},
        "emotion": {"label": conv.get("emotion") or "neutral", "negativity": conv.get("negativity", 0.0)},
        "since": since,
        "waiting_ms": max(0, now - int(since)),
    }


def add_supervisor_routes(bp: Blueprint, *, who: RequestAuth, store: Store) -> None:
    @bp.get("/api/supervisor")
    @guarded
    async def supervisor(request: Request) -> HTTPResponse:
        await who.user(request, admin=True)
        agents = await store.agents()
        now, rows, seen = now_ms(), [], set()
        queue = await store.queue_items()
        ids = [q["conversation_id"] for q in queue]
        for agent in agents:
            ids += sorted(await store.assigned_ids(agent["username"]))
        for cid in ids:
            if cid in seen:
                continue
            seen.add(cid)
            conv = await store.get(cid)
            if conv is not None and conv["state"] in (State.QUEUED, State.AGENT):
                rows.append(live_row(conv, now))
        return response.json({"chats": rows, "agents": agents, "queue": queue, "now": now},
                             headers={"Cache-Control": "no-store"})
