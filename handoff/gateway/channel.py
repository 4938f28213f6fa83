"""Tandem as a Rasa input channel: one Sanic blueprint with both sockets, the agent API and the pages.

Being an InputChannel keeps the gateway in Rasa's process and event loop (no HTTP hop per turn). Turns do
not go through Rasa's `on_new_message` callback, because the gateway decides per message whether the bot
may see it at all (agent mode); handoff.assistant.bot_bridge calls the agent directly instead.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, Request

from handoff.accounts import auth
from handoff.admin.admin_routes import add_admin_routes
from handoff.admin.feedback_routes import add_feedback_routes
from handoff.admin.proposal_routes import add_proposal_routes
from handoff.core import errors
from handoff.core.protocol import encode
from handoff.gateway.agent_ws import AgentSession
from handoff.gateway.assist_routes import add_assist_routes
from handoff.gateway.connection import unavailable_error
from handoff.gateway.console_routes import add_console_routes
from handoff.gateway.customer_ws import CustomerSession
from handoff.gateway.health import add_health_routes
from handoff.gateway.history_routes import add_history_routes
from handoff.gateway.http_api import add_routes
from handoff.gateway.intent_names_routes import add_intent_names_routes
from handoff.gateway.my_canned_routes import add_my_canned_routes
from handoff.gateway.supervisor_routes import add_supervisor_routes
from handoff.reporting import metrics
from handoff.reporting.dashboard_routes import add_dashboard_routes
from handoff.storage.store import UNREACHABLE

if TYPE_CHECKING:  # handoff.services imports the gateway's classes
    from handoff.services import Services

log = logging.getLogger(__name__)


class TandemChannel(InputChannel):
    def __init__(self, services: Services) -> None:
        self.services = services

    @classmethod
    def name(cls) -> str:
        return "tandem"

    def url_prefix(self) -> str:
        return ""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Both sockets and every route module, each given the services it uses (and no others)."""
        bp = Blueprint("tandem")
        s = self.services
        store, hub, sessions = s.storage.store, s.storage.hub, s.storage.sessions

        @bp.websocket("/ws/customer")
        async def customer_socket(request: Request, ws: Any) -> None:
            with metrics.track_websocket("customer"):
                session = CustomerSession(ws, request, desk=s.desk, turns=s.turns, store=store, hub=hub, bot=s.bot,
                                          settings=s.settings, feedback=s.feedback)
                try:
                    with s.drain.track(session):
                        await session.run()
                except UNREACHABLE:  # Redis went away during hello: the client is told, and comes back
                    await session.refuse_unavailable("hello")

        @bp.websocket("/ws/agent")
        async def agent_socket(request: Request, ws: Any) -> None:
            sid = request.cookies.get(auth.COOKIE)
            try:
                session = await sessions.get(sid)
            except UNREACHABLE:
                await ws.send(encode(unavailable_error("hello").to_frame()))
                await ws.close(errors.WS_1013_TRY_AGAIN_LATER, "storage unavailable")
                return
            if session is None:
                # Browsers cannot read an HTTP status from a failed upgrade: say it on the socket.
                await ws.send(encode(errors.Unauthorized("sign in first").to_frame()))
                await ws.close(errors.WS_4401_SESSION_EXPIRED, "no session")
                return
            with metrics.track_websocket("agent"):
                agent = AgentSession(ws, request, session, sid, desk=s.desk, store=store, hub=hub, accounts=s.accounts,
                                     sessions=sessions, settings=s.settings)
                try:
                    with s.drain.track(agent):
                        await agent.run()
                except UNREACHABLE:
                    await agent.refuse_unavailable("hello")

        add_routes(bp, s.settings, who=s.who, sign_in=s.login, sessions=sessions, accounts=s.accounts, store=store,
                   bot=s.bot, nlu_workers=s.nlu_workers)
        add_health_routes(bp, s.settings, store=store, bot=s.bot, drain=s.drain)
        add_dashboard_routes(bp, who=s.who, store=store, metrics_token=s.settings.metrics_token)
        add_console_routes(bp, who=s.who, canned=s.storage.canned, store=store)
        add_admin_routes(bp, who=s.who, loop=s.admin, store=store)
        add_history_routes(bp, who=s.who, store=store, history=s.storage.history)  # issue #24
        add_my_canned_routes(bp, who=s.who, mine=s.storage.my_canned)  # issue #24
        add_supervisor_routes(bp, who=s.who, store=store)  # issue #24
        add_intent_names_routes(bp, who=s.who, names=s.storage.intent_names, settings=s.settings)  # issue #24
        add_feedback_routes(bp, who=s.who, feedback=s.feedback)
        add_assist_routes(bp, who=s.who, assist=s.assist, store=store)
        add_proposal_routes(bp, who=s.who, loop=s.admin, assist=s.assist)
        return bp
