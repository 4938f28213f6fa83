"""`create_app(settings)`: the one Sanic app that `make run`, a second instance and the tests all start.

It carries the Tandem channel (sockets, agent API, pages), Rasa's REST channel at /webhooks/rest/webhook
(for the benchmark and for debugging), and loads the Rasa agent before serving, the way `rasa run` does.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import UserMessage, register
from rasa.core.channels.rest import RestInput
from sanic import Sanic

from bot.minilm import limit_blas_threads
from handoff.accounts.auth import Accounts, Login
from handoff.admin.answer_feedback import AnswerFeedback
from handoff.admin.inbox import Inbox
from handoff.admin.live_knobs import LiveKnobs
from handoff.admin.loop import AdminLoop
from handoff.admin.model_registry import ModelRegistry, ModelWatcher, swap_loader
from handoff.admin.retrain import RetrainConfig, Retrainer
from handoff.admin.training_data import TrainingData
from handoff.assist.service import Assist
from handoff.assistant.bot_bridge import BotBridge, load_agent, model_file
from handoff.assistant.nlu_workers import NluWorkers
from handoff.core import protocol
from handoff.gateway.channel import TandemChannel
from handoff.gateway.desk import Desk
from handoff.gateway.drain import Drain
from handoff.gateway.http_api import STATIC
from handoff.gateway.socketio_ws import add_socketio  # issue #22
from handoff.gateway.turns import Turns
from handoff.gateway.web import RequestAuth
from handoff.reporting import metrics
from handoff.services import Services
from handoff.settings import Settings, exposure_warnings
from handoff.storage.backend import Storage
from handoff.storage.feedback import FeedbackRecords

log = logging.getLogger(__name__)
ORPHAN_GRACE_MS = 120_000
SWEEP_EVERY_S = 30.0
GetAgent = Callable[[], Any]


def build_services(settings: Settings, get_agent: GetAgent) -> Services:
    """Every service of one instance, built once and without I/O (Redis is waited for when the server starts:
    Storage.start). `get_agent`: the Rasa agent once it is loaded (None before, or without a model)."""
    storage = Storage.build(settings)
    accounts = Accounts(storage.accounts)
    login = Login(storage.login_failures, accounts, storage.sessions, max_per_user=settings.login_max_per_user,
                  max_per_ip=settings.login_max_per_ip, max_per_account=settings.login_max_per_account)
    nlu_workers = NluWorkers(settings.nlu_workers, settings.blas_threads, timeout_s=settings.bot_timeout_s / 3) \
        if settings.nlu_workers and settings.load_bot else None
    bot = BotBridge(get_agent, settings.bot_timeout_s, nlu_workers)
    inbox = Inbox(storage.inbox)
    assist = Assist(storage.assist, storage.store, inbox, Path(settings.project_root), settings.assist_encoder)
    desk = Desk(settings, storage.store, accounts, bot, inbox, storage.history, assist=assist)
    turns = Turns(desk, storage.store, bot, inbox, storage.hub.echo, settings, assist=assist)
    return Services(settings=settings, storage=storage, accounts=accounts, login=login,
                    who=RequestAuth(storage.sessions, accounts), bot=bot, nlu_workers=nlu_workers, desk=desk,
                    turns=turns, admin=_admin_loop(settings, storage, inbox, get_agent),
                    drain=Drain(settings.drain_timeout_s),
                    feedback=AnswerFeedback(storage.store, FeedbackRecords(storage.store), inbox), assist=assist)


def _admin_loop(settings: Settings, storage: Storage, inbox: Inbox, get_agent: GetAgent) -> AdminLoop | None:
    """The learning loop is optional at start-up: if it cannot be built, the desk runs without it."""
    try:
        root = Path(settings.project_root)
        data = TrainingData(root)
        registry = ModelRegistry(storage.models, root / "models" / "versions", Path(settings.model_path))
        retrainer = Retrainer(storage.retraining, registry, data, RetrainConfig(
            root=root, config=settings.retrain_config, max_per_intent=settings.retrain_max_per_intent or None,
            eval_max_per_intent=settings.retrain_eval_max_per_intent or None), settings.instance)
        watcher = ModelWatcher(registry, storage.hub, settings.instance, swap_loader(get_agent)) \
            if settings.load_bot else None
        return AdminLoop(settings, inbox, data, registry, retrainer, watcher)
    except Exception:
        log.exception("the admin loop could not be built; /api/admin/* will answer 503")
        return None


def create_app(settings: Settings, name: str = "tandem") -> Sanic:
    """The composition root: builds every service once (build_services), hands each socket and route module
    the ones it uses (TandemChannel), and starts and stops them with the server."""
    # Built before the app (so a bad setting fails before Sanic registers the name); `app` is looked up
    # only when the agent is asked for, by then it is the app below.
    services = build_services(settings, lambda: app.ctx.agent)
    app = Sanic(name, configure_logging=False)
    app.config.WEBSOCKET_MAX_SIZE = protocol.HARD_FRAME_BYTES  # above it: close 1009
    app.config.WEBSOCKET_PING_INTERVAL = 20
    app.config.WEBSOCKET_PING_TIMEOUT = 20
    app.config.REQUEST_MAX_SIZE = 64 * 1024
    app.config.GRACEFUL_SHUTDOWN_TIMEOUT = 5.0
    app.config.PROXIES_COUNT = settings.proxies_count  # request.remote_addr: the client behind a balancer
    app.ctx.agent = None  # the Rasa agent, loaded when the server starts

    async def on_new_message(message: UserMessage) -> None:  # Rasa's REST channel
        if app.ctx.agent is None:
            return
        await app.ctx.agent.handle_message(message)

    tandem, rest = TandemChannel(services), RestInput()
    app.blueprint(tandem.blueprint(on_new_message))  # at the root: /ws/*, /api/*, the pages
    register([rest], app, route="/webhooks/")  # /webhooks/rest/webhook
    app.ctx.input_channels = [tandem, rest]
    app.static("/static", str(STATIC), name="static")
    add_socketio(app, services)  # Rasa's socket.io channel (issue #22)

    @app.listener("before_server_start")
    async def start(app: Sanic, loop: Any) -> None:
        for warning in exposure_warnings(settings):
            log.warning("%s (docs/deploy.md)", warning)
        await services.storage.start()
        if settings.load_bot:
            try:
                app.ctx.agent = await load_agent(settings)
                log.info("Rasa model loaded from %s", settings.model_path)
                metrics.set_model(Path(settings.model_path).name, app.ctx.agent)
                if services.nlu_workers is not None:
                    services.nlu_workers.prepare(model_file(app.ctx.agent))
            except Exception:
                # Serve anyway: customers are told the assistant is unavailable and offered a person.
                log.exception("could not load the Rasa model from %s", settings.model_path)
        # Before serving: loading the encoder holds the GIL for seconds, which live turns would wait for.
        await services.assist.start()

    @app.listener("after_server_start")
    async def started(app: Sanic, loop: Any) -> None:
        # Rasa, TensorFlow and spaCy leave millions of long-lived objects; every full collection walked
        # them all, a 100-300 ms pause in some customer's turn. Frozen, they are never scanned again.
        gc.collect()
        gc.freeze()
        limit_blas_threads(settings.blas_threads)  # a spinning 2nd BLAS thread took a core (bot/minilm.py)
        app.ctx.sweeper = asyncio.ensure_future(_sweep(services.desk))
        app.ctx.knobs = LiveKnobs(services.storage.retraining, services.storage.hub)  # the admin's live thresholds
        await app.ctx.knobs.start()
        if services.admin is not None:
            await services.admin.start(agent_loaded=app.ctx.agent is not None)
        log.info("Tandem gateway %s listening", settings.instance)

    @app.listener("before_server_stop")
    async def stopping(app: Sanic, loop: Any) -> None:
        # SIGTERM (a rolling deploy): the loop still serves here, so sockets are told and turns finish.
        await services.drain.run(services.desk)
        app.ctx.sweeper.cancel()
        await app.ctx.knobs.stop()
        if services.admin is not None:
            await services.admin.stop()

    @app.listener("after_server_stop")
    async def stop(app: Sanic, loop: Any) -> None:
        if services.nlu_workers is not None:
            services.nlu_workers.close()
        await services.desk.stop()
        services.assist.stop()
        await services.storage.stop()
        agent = app.ctx.agent
        broker = getattr(getattr(agent, "tracker_store", None), "event_broker", None)
        if broker:
            await broker.close()

    return app


async def _sweep(desk: Desk) -> None:
    """Re-queue the chats of agents whose sockets have all been gone for a while (every instance runs it;
    the transition script makes a second attempt a no-op), and finish transitions whose instance died between
    their steps (Store.finish_transitions)."""
    while True:
        await asyncio.sleep(SWEEP_EVERY_S)
        try:
            await desk.finish_transitions()
            moved = await desk.requeue_orphans(ORPHAN_GRACE_MS)
            if moved:
                log.info("re-queued %d conversation(s) of disconnected agents", moved)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("the orphan sweep failed")
