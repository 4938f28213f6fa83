"""The admin page's "Proposals" tab: what agents proposed to teach the bot (docs/assist.md), to accept or reject.

A proposal is an NLU inbox item of source agent_proposal (handoff/admin/inbox.py) plus its details (kind,
intent, the agent's redacted reply: handoff/storage/assist_index.py). Accepting one writes the customer's
message as a training example of the intent (data/nlu/inbox_labelled.yml, so it is in the next retrain) and,
for an answer proposal, the reply as an accepted answer the drafts offer (data/assist/accepted_answers.yml).
Admins only, as every /api/admin route.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse

from handoff.admin.loop import AdminLoop
from handoff.assist import answers, proposals
from handoff.assist.service import Assist
from handoff.core import errors
from handoff.gateway.web import RequestAuth, guarded, json_body


def _proposal(item: dict[str, Any], details: dict[str, str]) -> dict[str, Any]:
    return {**item, "kind": details.get("kind") or proposals.EXAMPLE,
            "proposed_intent": details.get("intent") or item.get("suggested") or "",
            "reply": details.get("reply") or "", "agent": details.get("agent") or item.get("suggested_by") or ""}


def add_proposal_routes(bp: Blueprint, *, who: RequestAuth, loop: AdminLoop | None, assist: Assist) -> None:
    async def ready(request: Request) -> tuple[AdminLoop, dict[str, Any]]:
        user = await who.user(request, admin=True)
        if loop is None:
            raise errors.Unavailable("the admin loop is not running on this instance (it failed at start-up; "
                                     "see the server log)")
        return loop, user

    async def one(admin: AdminLoop, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        iid = body.get("id")
        if not isinstance(iid, str):
            raise errors.InvalidFrame("id must be an inbox item id")
        item = (await admin.inbox.items([iid]))[0]
        if proposals.SOURCE not in item["reasons"]:
            raise errors.NotFound("that inbox item is not an agent's proposal")
        return item, await assist.records.proposal(iid)

    @bp.get("/api/admin/proposals")
    @guarded
    async def listing(request: Request) -> HTTPResponse:
        admin, _ = await ready(request)
        found = await admin.inbox.search(status=request.args.get("status", "open"), reason=proposals.SOURCE)
        details = await assist.records.proposals([i["id"] for i in found["items"]])
        return response.json({"items": [_proposal(i, d) for i, d in zip(found["items"], details)],
                              "total": found["total"], "counts": await assist.counts()})

    @bp.post("/api/admin/proposals/accept")
    @guarded
    async def accept(request: Request) -> HTTPResponse:
        admin, user = await ready(request)
        body = json_body(request)
        item, details = await one(admin, body)
        shown = _proposal(item, details)
        intent = body.get("intent") or shown["proposed_intent"]
        if not isinstance(intent, str) or intent not in await asyncio.to_thread(admin.data.intents):
            raise errors.InvalidFrame("intent must be one of the assistant's intents")

        def write() -> None:
            # The example first (it validates against the held-out set), then the answer, under one lock.
            admin.data.label([item["text"]], intent, user["username"], None, [item["id"]])
            if shown["kind"] == proposals.ANSWER and shown["reply"].strip():
                with admin.data.locked():
                    answers.add_accepted_answer(Path(admin.data.root), intent, shown["reply"])
                admin.data.audit("labels", {"action": "accept_answer", "by": user["username"], "intent": intent,
                                            "item": item["id"], "agent": shown["agent"]})

        await asyncio.to_thread(write)
        await admin.inbox.set_labelled([item["id"]], intent, user["username"])
        await assist.record("accepted")
        return response.json({"accepted": item["id"], "intent": intent, "kind": shown["kind"]})

    @bp.post("/api/admin/proposals/reject")
    @guarded
    async def reject(request: Request) -> HTTPResponse:
        admin, user = await ready(request)
        item, _ = await one(admin, json_body(request))
        await admin.inbox.set_ignored([item["id"]], user["username"])
        await assist.record("rejected")
        return response.json({"rejected": item["id"]})
