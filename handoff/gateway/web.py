"""What every route module of the gateway shares: JSON bodies, error responses, who is signed in.

The Origin check runs before any of these (handoff.gateway.http_api); the session cookie is auth.COOKIE.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from sanic import Request, response
from sanic.response import HTTPResponse

from handoff.accounts import auth
from handoff.core import errors

Handler = Callable[..., Awaitable[HTTPResponse]]


def error_response(exc: errors.TandemError) -> HTTPResponse:
    headers = {}
    if exc.retry_after_ms:
        headers["Retry-After"] = str(max(1, exc.retry_after_ms // 1000))
    return response.json(exc.to_json_body(), status=exc.http_status, headers=headers)


async def current_session(request: Request) -> tuple[str, dict[str, str]] | None:
    sid = request.cookies.get(auth.COOKIE)
    session = await request.app.ctx.desk.sessions.get(sid)
    return (sid, session) if sid and session else None


def json_body(request: Request) -> dict[str, Any]:
    if "application/json" not in (request.headers.get("content-type") or ""):
        raise errors.InvalidFrame("send a JSON body (Content-Type: application/json)")
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        raise errors.BadJson("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise errors.BadJson("the body must be a JSON object")
    return body


async def signed_in(request: Request, admin: bool = False) -> dict[str, Any]:
    """The account behind the session cookie; Unauthorized without one, Forbidden if admin is required."""
    found = await current_session(request)
    user = await request.app.ctx.desk.accounts.get(found[1]["username"]) if found else None
    if user is None:
        raise errors.Unauthorized("not signed in, or the session has expired; sign in again")
    if admin and user["role"] != "admin":
        raise errors.Forbidden("only admins can do this")
    return user


def guarded(handler: Handler) -> Handler:
    """Every TandemError becomes its JSON error body and HTTP status (handoff.core.errors holds the mapping)."""

    @wraps(handler)
    async def run(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        try:
            return await handler(request, *args, **kwargs)
        except errors.TandemError as exc:
            return error_response(exc)

    return run
