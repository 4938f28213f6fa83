"""GET /metrics (Prometheus), GET /dashboard (the page), GET /api/dashboard (its figures, JSON) and
GET /api/dashboard/conversations (the conversations behind one figure: every number leads to its chats).

/metrics is open by default, as Prometheus expects inside a private network; set METRICS_TOKEN to require
`Authorization: Bearer <token>`. The dashboard and its API need a signed-in agent or admin: the figures
include (redacted) customer text, so they are no more public than the console.
"""

from __future__ import annotations

import asyncio
import hmac
import logging

from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse

from handoff.core import errors
from handoff.core.clock import now_ms
from handoff.gateway.http_api import PAGE_HEADERS, STATIC
from handoff.gateway.web import RequestAuth, error_response
from handoff.reporting import analytics, metrics
from handoff.storage import analytics_store
from handoff.storage.store import STORAGE_ERRORS, Store

log = logging.getLogger(__name__)
PAGE = STATIC / "dashboard" / "index.html"
SIGN_IN = "/console"


def _metrics_allowed(request: Request, token: str) -> bool:
    if not token:
        return True
    given = request.headers.get("authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def add_dashboard_routes(bp: Blueprint, *, who: RequestAuth, store: Store, metrics_token: str) -> None:
    """/metrics (`metrics_token`: "" leaves it open), /dashboard and /api/dashboard."""
    gauges = analytics_store.DeskGauges()

    @bp.get("/metrics")
    async def prometheus(request: Request) -> HTTPResponse:
        if not _metrics_allowed(request, metrics_token):
            return response.text("unauthorized\n", status=401, headers={"WWW-Authenticate": "Bearer"})
        try:
            await gauges.refresh(store)
        except STORAGE_ERRORS + (errors.TandemError,) as exc:  # the counters are worth serving anyway
            log.warning("desk-wide gauges not refreshed: %s", type(exc).__name__)
        return response.raw(metrics.exposition(), content_type=metrics.CONTENT_TYPE)

    @bp.get("/dashboard")
    async def page(request: Request) -> HTTPResponse:
        if not await who.session(request):
            return response.redirect(SIGN_IN, status=303)
        if not PAGE.is_file():
            return response.text("not built yet", status=404)
        return await response.file(PAGE, headers={**PAGE_HEADERS, "Cache-Control": "no-store"})

    @bp.get("/api/dashboard")
    async def figures(request: Request) -> HTTPResponse:
        if not await who.session(request):
            return error_response(errors.Unauthorized("not signed in"))
        try:
            args = {k: request.args.get(k) for k in ("since", "until", "bucket") if request.args.get(k)}
            since, until, bucket = analytics.dashboard_range(args, now_ms())
        except ValueError as exc:
            return error_response(errors.InvalidFrame(str(exc)))
        records, truncated = await analytics_store.records_between(store, since, until)
        # Pure CPU work (redaction included): off the event loop, so the sockets on this instance keep flowing.
        body = await asyncio.to_thread(analytics.dashboard, records, since, until, bucket)
        body["truncated"] = truncated
        return response.json(body, headers={"Cache-Control": "no-store"})

    @bp.get("/api/dashboard/conversations")
    async def behind(request: Request) -> HTTPResponse:
        """?since&until (as /api/dashboard) &figure=<analytics.FIGURES>[&value=...]: the list behind a figure."""
        if not await who.session(request):
            return error_response(errors.Unauthorized("not signed in"))
        try:
            args = {k: request.args.get(k) for k in ("since", "until") if request.args.get(k)}
            since, until, _ = analytics.dashboard_range({**args, "bucket": "day"}, now_ms())
            figure, value = request.args.get("figure") or "", (request.args.get("value") or "")[:500]
            if figure not in analytics.FIGURES:
                raise ValueError(f"figure must be one of {', '.join(analytics.FIGURES)}")
        except ValueError as exc:
            return error_response(errors.InvalidFrame(str(exc)))
        records, truncated = await analytics_store.records_between(store, since, until)
        try:
            body = await asyncio.to_thread(analytics.conversations_behind, records, since, until, figure, value)
        except ValueError as exc:
            return error_response(errors.InvalidFrame(str(exc)))
        body["truncated"] = truncated
        return response.json(body, headers={"Cache-Control": "no-store"})
