"""`create_app(settings)`: the one Sanic app that `make run`, a second instance and the tests all start.

It carries the Tandem channel (sockets, agent API, pages), Rasa's REST channel at /webhooks/rest/webhook
(for the benchmark and for debugging), and loads the Rasa agent before serving, the way `rasa run` does.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import UserMessage, register
from rasa.core.channels.rest import RestInput
from sanic import Sanic

from bot.minilm import limit_blas_threads
from handoff.accounts.auth import Accounts, Login
from handoff.admin.inbox import Inbox
from handoff.assistant.bot_bridge import BotBridge, load_agent, model_file
from handoff.assistant.nlu_workers import NluWorkers
from handoff.core import protocol
from handoff.gateway.channel import TandemChannel
from handoff.gateway.desk import Desk
from handoff.gateway.http_api import STATIC
from handoff.reporting import metrics
from handoff.settings import Settings
from handoff.storage import store as store_mod
from handoff.storage.accounts import AccountRecords, LoginFailures, Sessions
from handoff.storage.canned import CannedResponses
from handoff.storage.hub import Hub
from handoff.storage.inbox import InboxRecords

log = logging.getLogger(__name__)
ORPHAN_GRACE_MS = 120_000
SWEEP_EVERY_S = 30.0


def create_app(settings: Settings, name: str = "tandem") -> Sanic:
    if not settings.redis_url:
        raise ValueError("settings.redis_url is required (python -m handoff starts a local Redis when unset)")
    app = Sanic(name, configure_logging=False)
    app.config.WEBSOCKET_MAX_SIZE = protocol.HARD_FRAME_BYTES  # above it: close 1009
    app.config.WEBSOCKET_PING_INTERVAL = 20
    app.config.WEBSOCKET_PING_TIMEOUT = 20
    app.config.REQUEST_MAX_SIZE = 64 * 1024
    app.config.GRACEFUL_SHUTDOWN_TIMEOUT = 5.0
    app.ctx.settings = settings
    app.ctx.agent = None

    async def on_new_message(message: UserMessage) -> None:  # Rasa's REST channel
        if app.ctx.agent is None:
            return
        await app.ctx.agent.handle_message(message)

    tandem, rest = TandemChannel(settings), RestInput()
    app.blueprint(tandem.blueprint(on_new_message))  # at the root: /ws/*, /api/*, the pages
    register([rest], app, route="/webhooks/")  # /webhooks/rest/webhook
    app.ctx.input_channels = [tandem, rest]
    app.static("/static", str(STATIC), name="static")

    @app.listener("before_server_start")
    async def start(app: Sanic, loop: Any) -> None:
        client = await store_mod.connect(settings.redis_url)  # type: ignore[arg-type]
        app.ctx.redis = client
        hub = Hub(client)
        await hub.start()
        accounts = Accounts(AccountRecords(client))
        sessions = Sessions(client, settings.session_ttl_s)
        app.ctx.login = Login(LoginFailures(client, settings.login_window_s), accounts, sessions,
                              max_per_user=settings.login_max_per_user, max_per_ip=settings.login_max_per_ip)
        app.ctx.nlu_workers = NluWorkers(settings.nlu_workers, settings.blas_threads,
                                         timeout_s=settings.bot_timeout_s / 3) \
            if settings.nlu_workers and settings.load_bot else None
        bridge = BotBridge(lambda: app.ctx.agent, settings.bot_timeout_s, app.ctx.nlu_workers)
        app.ctx.canned = CannedResponses(client)
        app.ctx.desk = Desk(settings, store_mod.Store(client, settings.conversation_ttl_s), hub, accounts,
                            sessions, bridge, Inbox(InboxRecords(client)))
        if settings.load_bot:
            try:
                app.ctx.agent = await load_agent(settings)
                log.info("Rasa model loaded from %s", settings.model_path)
                metrics.set_model(Path(settings.model_path).name, app.ctx.agent)
                if app.ctx.nlu_workers is not None:
                    app.ctx.nlu_workers.prepare(model_file(app.ctx.agent))
            except Exception:
                # Serve anyway: customers are told the assistant is unavailable and offered a person.
                log.exception("could not load the Rasa model from %s", settings.model_path)

    @app.listener("after_server_start")
    async def started(app: Sanic, loop: Any) -> None:
        # Rasa, TensorFlow and spaCy leave millions of long-lived objects; every full collection walked
        # them all, a 100-300 ms pause in some customer's turn. Frozen, they are never scanned again.
        gc.collect()
        gc.freeze()
        limit_blas_threads(settings.blas_threads)  # a spinning 2nd BLAS thread took a core (bot/minilm.py)
        app.ctx.sweeper = asyncio.ensure_future(_sweep(app.ctx.desk))
        log.info("Tandem gateway %s listening", settings.instance)

    @app.listener("before_server_stop")
    async def stopping(app: Sanic, loop: Any) -> None:
        app.ctx.sweeper.cancel()

    @app.listener("after_server_stop")
    async def stop(app: Sanic, loop: Any) -> None:
        if app.ctx.nlu_workers is not None:
            app.ctx.nlu_workers.close()
        await app.ctx.desk.stop()
        await app.ctx.desk.hub.stop()
        await app.ctx.redis.close()
        agent = app.ctx.agent
        broker = getattr(getattr(agent, "tracker_store", None), "event_broker", None)
        if broker:
            await broker.close()

    return app


async def _sweep(desk: Desk) -> None:
    """Re-queue the chats of agents whose sockets have all been gone for a while (every instance runs it;
    the transition script makes a second attempt a no-op)."""
    while True:
        await asyncio.sleep(SWEEP_EVERY_S)
        try:
            moved = await desk.requeue_orphans(ORPHAN_GRACE_MS)
            if moved:
                log.info("re-queued %d conversation(s) of disconnected agents", moved)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("the orphan sweep failed")
