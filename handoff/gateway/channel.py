"""Tandem as a Rasa input channel: one Sanic blueprint with both sockets, the agent API and the pages.

Being an InputChannel keeps the gateway in Rasa's process and event loop (no HTTP hop per turn). Turns do
not go through Rasa's `on_new_message` callback, because the gateway decides per message whether the bot
may see it at all (agent mode); handoff.assistant.bot_bridge calls the agent directly instead.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, Request

from handoff.accounts import auth
from handoff.core import errors
from handoff.core.protocol import encode
from handoff.gateway.agent_ws import AgentSession
from handoff.gateway.customer_ws import CustomerSession
from handoff.gateway.http_api import add_routes
from handoff.reporting import metrics
from handoff.settings import Settings

log = logging.getLogger(__name__)


class TandemChannel(InputChannel):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @classmethod
    def name(cls) -> str:
        return "tandem"

    def url_prefix(self) -> str:
        return ""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("tandem")
        settings = self.settings

        @bp.websocket("/ws/customer")
        async def customer_socket(request: Request, ws: Any) -> None:
            with metrics.track_websocket("customer"):
                await CustomerSession(ws, request, request.app.ctx.desk).run()

        @bp.websocket("/ws/agent")
        async def agent_socket(request: Request, ws: Any) -> None:
            desk = request.app.ctx.desk
            sid = request.cookies.get(auth.COOKIE)
            session = await desk.sessions.get(sid)
            if session is None:
                # Browsers cannot read an HTTP status from a failed upgrade: say it on the socket.
                await ws.send(encode(errors.Unauthorized("sign in first").to_frame()))
                await ws.close(errors.WS_4401_SESSION_EXPIRED, "no session")
                return
            with metrics.track_websocket("agent"):
                await AgentSession(ws, request, desk, session, sid).run()

        add_routes(bp, settings)
        from handoff.reporting.dashboard_routes import add_dashboard_routes
        add_dashboard_routes(bp)
        if importlib.util.find_spec("handoff.gateway.console_routes") is not None:
            from handoff.gateway.console_routes import add_console_routes  # written with the console

            add_console_routes(bp)
        if importlib.util.find_spec("handoff.admin.admin_routes") is not None:
            from handoff.admin.admin_routes import (
                add_admin_routes,  # the admin page: inbox, retraining, models
            )

            add_admin_routes(bp)
        return bp
