"""What every route module of the gateway shares: JSON bodies, error responses, who is signed in.

The Origin check runs before any of these (handoff.gateway.http_api); the session cookie is auth.COOKIE.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from functools import wraps
from typing import Any

from sanic import Request, response
from sanic.response import HTTPResponse

from handoff.accounts import auth
from handoff.accounts.auth import Accounts
from handoff.core import errors
from handoff.storage.accounts import Sessions

Handler = Callable[..., Coroutine[Any, Any, HTTPResponse]]  # what Sanic's route decorators take


def error_response(exc: errors.TandemError) -> HTTPResponse:
    headers = {}
    if exc.retry_after_ms:
        headers["Retry-After"] = str(max(1, exc.retry_after_ms // 1000))
    return response.json(exc.to_json_body(), status=exc.http_status, headers=headers)


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


class RequestAuth:
    """Who is behind a request's session cookie: every route module gets one from the composition root."""

    def __init__(self, sessions: Sessions, accounts: Accounts) -> None:
        self.sessions, self.accounts = sessions, accounts

    async def session(self, request: Request) -> tuple[str, dict[str, str]] | None:
        """(session id, session) of the cookie, or None without a live session."""
        sid = request.cookies.get(auth.COOKIE)
        session = await self.sessions.get(sid)
        return (sid, session) if sid and session else None

    async def user(self, request: Request, admin: bool = False) -> dict[str, Any]:
        """The account behind the session cookie; Unauthorized without one, Forbidden if admin is required."""
        found = await self.session(request)
        user = await self.accounts.get(found[1]["username"]) if found else None
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


def client_ip(request: Request) -> str:
    """The client's address for per-address limits (sign-in, new chats): the peer, or behind PROXIES_COUNT
    trusted proxies the address they forwarded (Sanic reads X-Forwarded-For only then); otherwise every
    client behind a balancer would share the balancer's one budget."""
    return request.remote_addr or request.ip or "unknown"
