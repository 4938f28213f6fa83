"""The socket.io endpoint: Rasa's `socketio` channel on the wire, Tandem's customer session behind it.

python-socketio (the server Rasa's own channel uses) speaks Engine.IO and socket.io; each connection gets a
`SocketIOCustomer`, which *is* the native customer session (handoff.gateway.customer_ws) with its socket
swapped for a queue of translated frames: hello/resume, validation, the rate limit, the per-IP new-chat
limit, the transcript, turns, escalation, agents, rating — one code path for both transports. The
translation itself is handoff.core.rasa_wire (no I/O); this module only moves events.

The Origin check is the gateway's own (`http_api.origin_allowed`), run by Engine.IO on every handshake,
poll and upgrade; an allowed cross-site origin gets the CORS headers that socket.io's polling needs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import socketio
import yaml
from sanic import Sanic

from handoff.core import errors, protocol
from handoff.core.context import verify_context
from handoff.core.protocol import State
from handoff.core.rasa_wire import ERROR_EVENT, RasaWire, WireConfig
from handoff.gateway.customer_ws import CustomerSession
from handoff.gateway.http_api import origin_allowed
from handoff.reporting import metrics
from handoff.services import Services
from handoff.settings import Settings

log = logging.getLogger(__name__)
READER = "sio"  # whose cursor store.mark_sent keeps
IDLE_BEFORE_SESSION_S = 300.0  # a socket.io client may connect well before its first event (Rasa has no limit)
RESUME_FAILED = (errors.NOT_FOUND, errors.UNAUTHORIZED)


def wire_config(settings: Settings) -> WireConfig:
    """credentials.yml's `socketio:` section (Rasa's way), overridden by the SOCKETIO_* settings that are set."""
    section: dict[str, Any] | None = None
    path = Path(settings.credentials_path)
    if path.is_file():
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        section = content.get("socketio") if isinstance(content, dict) else None
        if section is not None and not isinstance(section, dict):
            raise ValueError(f"{path}: the socketio section must be a mapping")
    return WireConfig.resolve(section, socketio_path=settings.socketio_path,
                              user_message_evt=settings.socketio_user_message_evt,
                              bot_message_evt=settings.socketio_bot_message_evt,
                              session_persistence=settings.socketio_session_persistence)


class _Link:
    """Stands in for the websocket CustomerSession reads: translated frames in order, then the hang-up."""

    def __init__(self, last_sent: Callable[[str], Awaitable[int]]) -> None:
        self.frames: asyncio.Queue[str | dict[str, Any] | None] = asyncio.Queue()
        self.last_sent = last_sent

    def feed(self, frame: str | dict[str, Any]) -> None:
        self.frames.put_nowait(frame)

    def hang_up(self) -> None:
        self.frames.put_nowait(None)

    async def recv(self, timeout: float | None = None) -> str | None:
        try:
            item = await asyncio.wait_for(self.frames.get(), timeout)
        except asyncio.TimeoutError:
            return None
        if item is None:
            self.frames.put_nowait(None)  # stays hung up
            raise ConnectionError("the socket.io client is gone")
        if isinstance(item, dict):
            if item.get("conversation_id"):  # a resume: send only what this session was not yet sent
                item = {**item, "last_seq": await self.last_sent(item["conversation_id"])}
            return protocol.encode(item)
        return item


class SocketIOCustomer(CustomerSession):
    """A customer session whose frames arrive and leave as Rasa socket.io events."""

    hello_timeout_s = IDLE_BEFORE_SESSION_S

    def __init__(self, sio: socketio.AsyncServer, sid: str, request: Any, services: Services,
                 config: WireConfig) -> None:
        s, store = services, services.storage.store
        self.link = _Link(lambda cid: store.last_sent(cid, READER))
        super().__init__(self.link, request, desk=s.desk, turns=s.turns, store=store, hub=s.storage.hub, bot=s.bot,
                         settings=s.settings)
        self.sio, self.sid, self.namespace = sio, sid, config.namespace or "/"
        self.wire = RasaWire(config, self.id)
        self.sent_seq = 0
        self.pending_context: str | None = None  # the first message's signed context, not yet verified

    # ------------------------------------------------------------ socket.io events → native frames

    def session_request(self, data: Any) -> None:
        if self.wire.session is not None:  # Rasa confirms every request; the session stays the one it was
            self.spawn(self._emit("session_confirm", self.wire.session), "confirm")
        elif not self.wire.hello_sent:
            self.link.feed(self.wire.hello(data))

    def user_uttered(self, data: Any) -> None:
        if not self.wire.hello_sent:
            self.link.feed(self.wire.auto_hello(data))
        else:
            self.pending_context = self.wire.late_context(data) or self.pending_context
        self.link.feed(self.wire.user_uttered(data))

    async def dispatch(self, frame: dict[str, Any], handler: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        if self.pending_context is not None:  # before the message that brought it is stored and answered
            token, self.pending_context = self.pending_context, None
            if not await self._adopt_context(token):
                return
        await super().dispatch(frame, handler)

    async def _adopt_context(self, token: str) -> bool:
        """The first message's signed context, verified as the native hello verifies it, becomes the
        conversation's customer: the bot's metadata, the queue and the console. A conversation that knows
        its customer keeps it (a resume, as natively, ignores the context). A bad one is refused as the
        native hello refuses it: the same error, then the socket closes; the message is not stored."""
        if self.customer:
            return True
        try:
            customer = verify_context(token, self.settings.context_secret)
        except errors.TandemError as exc:
            await self.send_error(exc)
            await self.close(errors.WS_1008_POLICY_VIOLATION, exc.code)
            return False
        self.customer = await self.store.adopt_customer(self.cid, customer)
        if self.state is State.QUEUED:
            await self.desk.queue_changed()
        return True

    # ------------------------------------------------------------ native frames → socket.io events

    async def send(self, frame: dict[str, Any]) -> None:
        if self.closed:
            return
        if frame.get("type") == "error" and frame.get("frame") == "hello":
            if self.wire.requested and frame.get("code") in RESUME_FAILED:
                self.link.feed(self.wire.fresh_hello())  # as Rasa would: a new session, not an error
                return
            await self._emit(ERROR_EVENT, self.wire.events(frame)[0][1])
            await self.close(errors.WS_1008_POLICY_VIOLATION, frame.get("code", ""))
            return
        for event, data in self.wire.events(frame):
            await self._emit(event, data)
        seq = frame.get("seq")
        if frame.get("type") == "message" and isinstance(seq, int) and seq > self.sent_seq and self.cid:
            self.sent_seq = seq
            # Shielded: a client that hangs up right after receiving cancels this session's task, and an
            # unrecorded cursor would send the message again on its reload.
            await asyncio.shield(self.store.mark_sent(self.cid, READER, seq))

    async def _emit(self, event: str, data: Any) -> None:
        await self.sio.emit(event, data, to=self.sid, namespace=self.namespace)

    async def close(self, code: int, reason: str = "") -> None:
        if not self.closed:
            self.closed = True
            await self.sio.disconnect(self.sid, namespace=self.namespace)


def add_socketio(app: Sanic, services: Services) -> socketio.AsyncServer | None:
    """Serve Rasa's socket.io channel at its path (credentials.yml / settings), each connection a customer
    session on `services` (the ones the native customer socket gets)."""
    settings = services.settings
    if not settings.socketio:
        return None
    config = wire_config(settings)
    sio = socketio.AsyncServer(
        async_mode="sanic", async_handlers=False,  # one client's events in order; the handlers only queue
        cors_allowed_origins=lambda origin, environ: origin_allowed(environ["sanic.request"], settings),
        max_http_buffer_size=protocol.HARD_FRAME_BYTES, ping_interval=20, ping_timeout=20,
        transports=["websocket"] if settings.socketio_websocket_only else ["polling", "websocket"])
    sio.attach(app, socketio_path=config.socketio_path.strip("/"))
    sessions: dict[str, SocketIOCustomer] = {}
    ns = config.namespace or "/"

    async def serve(session: SocketIOCustomer) -> None:
        try:
            # Tracked like a native socket: on SIGTERM it is disconnected at once (drain.py), and rasa-webchat's
            # socket.io client reconnects to another instance and resumes its session.
            with metrics.track_websocket("customer"), services.drain.track(session):
                await session.run()
        except Exception:
            log.exception("a socket.io customer session failed")
        finally:
            sessions.pop(session.sid, None)
            if not session.closed:
                await session.close(errors.WS_1000_NORMAL)

    @sio.on("connect", namespace=ns)
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        session = SocketIOCustomer(sio, sid, environ["sanic.request"], services, config)
        sessions[sid] = session
        session.desk.background(serve(session))

    @sio.on("disconnect", namespace=ns)
    async def disconnect(sid: str, *reason: Any) -> None:
        session = sessions.pop(sid, None)
        if session is not None:
            session.closed = True
            session.link.hang_up()

    @sio.on("session_request", namespace=ns)
    async def session_request(sid: str, data: Any = None) -> None:
        if sid in sessions:
            sessions[sid].session_request(data)

    @sio.on(config.user_message_evt, namespace=ns)
    async def user_message(sid: str, data: Any = None) -> None:
        if sid in sessions:
            sessions[sid].user_uttered(data)

    log.info("socket.io channel at %s (events %s/%s, session_persistence %s)", config.socketio_path,
             config.user_message_evt, config.bot_message_evt, config.session_persistence)
    return sio
