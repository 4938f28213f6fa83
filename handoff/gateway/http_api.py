"""HTTP side of the gateway: agent login/logout/me, the agents list, health, the demo context, the pages.

Also the Origin check shared with the websocket upgrades: a browser request from a foreign origin is refused
before anything else happens (cross-site websocket hijacking and CSRF on the cookie-authenticated API).
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit

from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse

from handoff.accounts import auth
from handoff.accounts.auth import Accounts, Login
from handoff.assistant.bot_bridge import BotBridge
from handoff.assistant.nlu_workers import NluWorkers
from handoff.core import errors
from handoff.core.context import sign_context
from handoff.gateway.web import RequestAuth, client_ip, error_response, json_body
from handoff.reporting import vocabulary
from handoff.settings import Settings
from handoff.storage import keys
from handoff.storage.accounts import Sessions
from handoff.storage.store import Store

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parents[1] / "static"
DEMO_CUSTOMER = {"name": "Alex Morgan", "customer_id": "HB-100234",
                 "cards": [{"last_four": "4821", "type": "debit", "label": "Everyday debit", "state": "active"},
                           {"last_four": "7730", "type": "credit", "label": "Platinum credit", "state": "active"}],
                 "balances": [{"currency": "GBP", "amount": "1842.17"}, {"currency": "EUR", "amount": "120.00"}]}
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
                               "style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; "
                               "base-uri 'self'; frame-ancestors 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
PAGES = {"/": "demo/index.html", "/console": "console/index.html", "/admin": "admin/index.html"}
ASSETS = {"/widget.js": "widget/widget.js", "/widget.css": "widget/widget.css"}


def origin_allowed(request: Request, settings: Settings) -> bool:
    """No Origin (not a browser) or the gateway's own host or an allow-listed origin."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    origin = origin.rstrip("/")
    if origin in settings.origins:
        return True
    host = request.headers.get("host", "")
    return bool(host) and urlsplit(origin).netloc == host


def add_routes(bp: Blueprint, settings: Settings, *, who: RequestAuth, sign_in: Login, sessions: Sessions,
               accounts: Accounts, store: Store, bot: BotBridge, nlu_workers: NluWorkers | None) -> None:
    """Sign-in, the agents list, health, the demo context and the pages (plus the Origin check for all routes)."""
    @bp.middleware("request")
    async def check_origin(request: Request) -> HTTPResponse | None:
        guarded = request.path.startswith(("/ws/", "/api/")) and (
            request.method != "GET" or request.path.startswith("/ws/"))
        if guarded and not origin_allowed(request, settings):
            log.warning("refused a %s %s from a foreign origin", request.method, request.path)
            return response.json(errors.Forbidden("origin not allowed").to_json_body(), status=403)
        return None

    @bp.post("/api/login")
    async def login(request: Request) -> HTTPResponse:
        try:
            body = json_body(request)
            username, password = body.get("username"), body.get("password")
            if not isinstance(username, str) or not isinstance(password, str) or len(password) > 1024:
                raise errors.InvalidFrame("username and password are required strings")
            sid, user = await sign_in.login(username, password, client_ip(request))
        except errors.TandemError as exc:
            return error_response(exc)
        resp = response.json({"agent": auth.public(user)})
        resp.cookies[auth.COOKIE] = sid
        resp.cookies[auth.COOKIE]["httponly"] = True
        resp.cookies[auth.COOKIE]["samesite"] = "Strict"
        resp.cookies[auth.COOKIE]["path"] = "/"
        if settings.cookie_secure:
            resp.cookies[auth.COOKIE]["secure"] = True
        return resp

    @bp.post("/api/logout")
    async def logout(request: Request) -> HTTPResponse:
        found = await who.session(request)
        if found:
            sid, session = found
            await sessions.delete(sid)
            await store.publish(keys.ch_agent(session["username"]), {"kind": "logout", "sid": sid})
        resp = response.empty(status=204)
        resp.cookies[auth.COOKIE] = ""
        resp.cookies[auth.COOKIE]["max-age"] = 0
        resp.cookies[auth.COOKIE]["path"] = "/"
        return resp

    @bp.get("/api/me")
    async def me(request: Request) -> HTTPResponse:
        found = await who.session(request)
        user = await accounts.get(found[1]["username"]) if found else None
        if user is None:
            return error_response(errors.Unauthorized("not signed in"))
        status = await store.presence(user["username"])
        return response.json({"agent": auth.public(user, status)})

    @bp.get("/api/agents")
    async def agents(request: Request) -> HTTPResponse:
        if not await who.session(request):
            return error_response(errors.Unauthorized("not signed in"))
        return response.json({"agents": await store.agents()})

    @bp.get("/health")
    async def health(request: Request) -> HTTPResponse:
        redis_ok = await store.ping()
        bot_ok = bot.ready
        ok = redis_ok and (bot_ok or not settings.load_bot)
        # Informational: without a ready worker, messages are parsed in the gateway (slower, not down).
        nlu = {"ready": nlu_workers.ready, "of": len(nlu_workers.workers)} if nlu_workers is not None else None
        return response.json({"status": "ok" if ok else "degraded", "redis": redis_ok, "bot": bot_ok,
                              "nlu_workers": nlu, "instance": settings.instance}, status=200 if ok else 503)

    @bp.get("/api/demo-context")
    async def demo_context(request: Request) -> HTTPResponse:
        if not settings.demo or not settings.context_secret:
            return error_response(errors.NotFound("the demo context is disabled (DEMO=1 enables it)"))
        return response.json({"context": sign_context(DEMO_CUSTOMER, settings.context_secret, 3600)},
                             headers={"Cache-Control": "no-store"})

    vocabulary_js = vocabulary.javascript()

    @bp.get("/vocabulary.js")
    async def vocabulary_module(request: Request) -> HTTPResponse:
        """The escalation kinds' labels and colours for the pages, generated from bot/escalation/kinds.py."""
        return response.text(vocabulary_js, content_type="text/javascript; charset=utf-8",
                             headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})

    for path, rel in PAGES.items():
        _page(bp, path, rel)
    for path, rel in ASSETS.items():
        _asset(bp, path, rel)


def _page(bp: Blueprint, path: str, rel: str) -> None:
    async def page(request: Request) -> HTTPResponse:
        file = STATIC / rel
        if not file.is_file():
            return response.text("not built yet", status=404)
        return await response.file(file, headers={**PAGE_HEADERS, "Cache-Control": "no-cache"})

    bp.add_route(page, path, methods=["GET"], name="page_" + (path.strip("/") or "index"))


def _asset(bp: Blueprint, path: str, rel: str) -> None:
    async def asset(request: Request) -> HTTPResponse:
        file = STATIC / rel
        if not file.is_file():
            return response.text("not built yet", status=404)
        # Embedded on the bank's own site: must be loadable cross-origin.
        return await response.file(file, headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff",
                                                  "Access-Control-Allow-Origin": "*"})

    bp.add_route(asset, path, methods=["GET"], name="asset_" + path.strip("/").replace(".", "_"))
