"""What both sockets share: the guarded receive loop, sending, and in-order delivery from the transcript.

The receive loop turns every bad frame into an error frame (never a crash) and enforces the rate limit;
`Cursor` makes delivery exactly-once per socket: pub/sub events are applied in `seq` order and any gap
(a dropped pub/sub connection) is filled from the transcript stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.exceptions import ConnectionClosed

from handoff.core import errors, protocol
from handoff.core.protocol import Message, Side
from handoff.reporting import metrics
from handoff.storage.store import UNREACHABLE

log = logging.getLogger(__name__)

try:  # Sanic raises its own exception when sending on a closed socket
    from sanic.exceptions import WebsocketClosed  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    WebsocketClosed = ConnectionClosed  # type: ignore[misc,assignment]

CLOSED = (ConnectionClosed, WebsocketClosed, ConnectionError)


class Cursor:
    """Highest `seq` delivered on one socket for one conversation."""

    def __init__(self, seq: int) -> None:
        self.seq = seq

    async def feed(self, seq: int, msg: Message, fetch: Callable[[int], Awaitable[list[Message]]]) -> list[Message]:
        """Messages to deliver now, in order, given a pub/sub event for `seq`."""
        if seq <= self.seq:
            return []  # already sent (replay overlapped the live feed)
        if seq == self.seq + 1:
            self.seq = seq
            return [{**msg, "seq": seq}]  # type: ignore[typeddict-item]
        missed = [m for m in await fetch(self.seq) if m["seq"] > self.seq]
        if missed:
            self.seq = missed[-1]["seq"]
        return missed


class Connection:
    """A socket with a send helper, a rate limit and a guarded receive loop."""

    side: Side = "customer"

    def __init__(self, ws: Any, request: Any) -> None:
        self.ws = ws
        self.request = request
        self.id = uuid.uuid4().hex[:12]
        self.bucket = protocol.TokenBucket(now=time.monotonic())
        self.closed = False
        self.tasks: list[asyncio.Task[Any]] = []

    async def send(self, frame: dict[str, Any]) -> None:
        if self.closed:
            return
        try:
            await self.ws.send(protocol.encode(frame))
        except CLOSED:
            self.closed = True

    async def send_error(self, exc: errors.TandemError) -> None:
        metrics.record_error(exc.code, self.side)
        await self.send(exc.to_frame())

    async def close(self, code: int, reason: str = "") -> None:
        if not self.closed:
            self.closed = True
            try:
                await self.ws.close(code, reason)
            except CLOSED:
                pass

    def spawn(self, coro: Awaitable[Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        task.set_name(f"{name}-{self.id}")
        self.tasks.append(task)
        return task

    async def recv(self, timeout: float | None = None) -> str | bytes | None:
        """The next raw frame; None at timeout or when the peer is gone (then self.closed is set)."""
        try:
            raw = await self.ws.recv(timeout)
        except CLOSED:
            self.closed = True
            return None
        except asyncio.CancelledError:
            self.closed = True
            raise
        if raw is None and timeout is None:
            self.closed = True
        return raw

    async def next_frame(self, timeout: float | None = None) -> dict[str, Any] | None:
        """Read until one valid frame arrives (bad ones are answered with an error); None when closed."""
        while not self.closed:
            raw = await self.recv(timeout)
            if raw is None:
                return None
            wait_ms = self.bucket.take(time.monotonic())
            if wait_ms:
                if self.bucket.abusive:
                    await self.close(errors.WS_1008_POLICY_VIOLATION, "too many frames")
                    return None
                await self.send_error(errors.RateLimited(retry_after_ms=wait_ms))
                continue
            try:
                return protocol.parse_frame(raw, self.side)
            except errors.TandemError as exc:
                await self.send_error(exc)
        return None

    async def dispatch(self, frame: dict[str, Any], handler: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        """Run one frame's handler; errors become error frames, bugs become `internal` with a log ref."""
        try:
            await handler(frame)
        except errors.TandemError as exc:
            if exc.frame is None:
                exc.frame = frame["type"]
            if exc.ref is None and isinstance(frame.get("client_id"), str):
                exc.ref = frame["client_id"]
            await self.send_error(exc)
        except CLOSED:
            self.closed = True
        except UNREACHABLE:
            await self.refuse_unavailable(frame["type"], frame.get("client_id"))
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception("internal error handling a %s frame (ref %s)", frame["type"], ref)
            await self.send_error(errors.Internal(f"internal error (ref {ref})", frame=frame["type"]))

    async def refuse_unavailable(self, frame_type: str | None = None, ref: Any = None) -> None:
        """Redis is unreachable: say so (nothing of the frame was stored, so no ack) and close with 1013, so the
        client reconnects after `retry_after_ms` and sends its unacknowledged messages again, once."""
        log.warning("Redis unreachable: refused a %s frame and closed the socket (1013)", frame_type or "socket")
        await self.send_error(unavailable_error(frame_type, ref))
        await self.close(errors.WS_1013_TRY_AGAIN_LATER, "storage unavailable")

    async def cleanup_tasks(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


RETRY_UNAVAILABLE_MS = 2000  # what a client is told to wait while Redis is unreachable (restart, failover)


def unavailable_error(frame_type: str | None = None, ref: Any = None) -> errors.Unavailable:
    return errors.Unavailable("the desk cannot reach its storage for a moment; reconnecting",
                              frame=frame_type, ref=ref if isinstance(ref, str) else None,
                              retry_after_ms=RETRY_UNAVAILABLE_MS)
