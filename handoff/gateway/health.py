"""Liveness and readiness, for a load balancer or Kubernetes' probes (docs/deploy.md).

- `/health/live`: the process serves HTTP. Nothing else is checked on purpose: a Redis outage or a failover
  must not get every instance restarted at once (they all reconnect on their own).
- `/health/ready`: send it customers. Redis answers, the assistant is loaded (when it should be), and the
  instance is not draining (SIGTERM: handoff/gateway/drain.py). `/health` (http_api.py) stays as it was,
  with the details.

While draining, new sockets get HTTP 503 before the upgrade, so a balancer retries another instance.
"""

from __future__ import annotations

from sanic import Blueprint, HTTPResponse, Request, response

from handoff.assistant.bot_bridge import BotBridge
from handoff.gateway.drain import RETRY_AFTER_S, Drain
from handoff.settings import Settings
from handoff.storage.store import Store


def add_health_routes(bp: Blueprint, settings: Settings, *, store: Store, bot: BotBridge, drain: Drain) -> None:
    @bp.middleware("request")
    async def refuse_new_sockets_while_draining(request: Request) -> HTTPResponse | None:
        if drain.refuses(request.path):
            return response.json({"error": {"code": "unavailable", "message": "this instance is restarting"}},
                                 status=503, headers={"Retry-After": str(RETRY_AFTER_S)})
        return None

    @bp.get("/health/live")
    async def live(request: Request) -> HTTPResponse:
        return response.json({"status": "ok", "instance": settings.instance})

    @bp.get("/health/ready")
    async def ready(request: Request) -> HTTPResponse:
        redis_ok = await store.ping()
        bot_ok = bot.ready or not settings.load_bot
        ok = redis_ok and bot_ok and not drain.draining
        return response.json({"status": "ready" if ok else "not_ready", "redis": redis_ok, "bot": bot_ok,
                              "draining": drain.draining, "instance": settings.instance},
                             status=200 if ok else 503)
