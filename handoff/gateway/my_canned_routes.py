"""GET|POST /api/canned/mine and DELETE /api/canned/mine/<id>: an agent's own canned replies (issue #24).

Every signed-in agent or admin keeps their own; nobody reads or changes another's. The team's list stays
admin-edited (handoff/gateway/console_routes.py), and its field limits apply here too.
"""

from __future__ import annotations

import re

from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse

from handoff.core import errors
from handoff.gateway.console_routes import parse_canned
from handoff.gateway.web import RequestAuth, guarded, json_body
from handoff.storage.my_canned import PersonalCanned

ID_RE = re.compile(r"^p-[0-9a-f]{12}$")


def add_my_canned_routes(bp: Blueprint, *, who: RequestAuth, mine: PersonalCanned) -> None:
    @bp.get("/api/canned/mine")
    @guarded
    async def list_mine(request: Request) -> HTTPResponse:
        user = await who.user(request)
        return response.json({"canned": await mine.all(user["username"])})

    @bp.post("/api/canned/mine")
    @guarded
    async def create_mine(request: Request) -> HTTPResponse:
        user = await who.user(request)
        title, text = parse_canned(json_body(request))
        return response.json({"canned": await mine.create(user["username"], title, text)}, status=201)

    @bp.delete("/api/canned/mine/<canned_id:str>")
    @guarded
    async def delete_mine(request: Request, canned_id: str) -> HTTPResponse:
        user = await who.user(request)
        if not ID_RE.match(canned_id):
            raise errors.InvalidFrame("not a personal reply's id")
        await mine.delete(user["username"], canned_id)
        return response.empty(status=204)
