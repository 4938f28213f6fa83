"""A python-socketio client speaking Rasa's socket.io wire to a gateway, with the tests' expect/drain habits."""
from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import socketio

from tests.handoff.clients import WAIT

OPEN: list[RasaClient] = []


async def close_all() -> None:
    while OPEN:
        await OPEN.pop().close()


class RasaClient:
    """Records every event it receives as (event, data); `expect` waits for one matching a predicate."""

    def __init__(self, transports: list[str] | None = None) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        # Long-polling: python-engineio 4.15's websocket transport needs aiohttp >= 3.10 (ClientWSTimeout) and
        # Rasa 3.6 pins 3.9. The browser tests' rasa-webchat upgrades to websocket; see test_socketio_ws.py.
        self.transports = transports or ["polling"]
        self.events: list[tuple[str, Any]] = []
        self.pending: list[tuple[str, Any]] = []
        self.arrived = asyncio.Event()
        self.sio.on("*", self._on_any)
        self.sio.on("connect_error", lambda data: self._record("connect_error", data))
        self.sio.on("disconnect", lambda *reason: self._record("disconnect", None))
        OPEN.append(self)

    async def _on_any(self, event: str, data: Any = None) -> None:
        self._record(event, data)

    def _record(self, event: str, data: Any) -> None:
        self.events.append((event, data))
        self.pending.append((event, data))
        self.arrived.set()

    async def connect(self, gateway: str, origin: str | None = None, path: str = "socket.io") -> RasaClient:
        headers = {"Origin": origin} if origin else {}
        await self.sio.connect(gateway, headers=headers, transports=self.transports, socketio_path=path,
                               wait_timeout=WAIT)
        return self

    async def session(self, session_id: str | None = None) -> str:
        await self.sio.emit("session_request", {"session_id": session_id})
        return str(await self.expect("session_confirm"))

    async def say(self, message: str, event: str = "user_uttered", **extra: Any) -> None:
        await self.sio.emit(event, {"message": message, **extra})

    async def expect(self, event: str, where: Any = None, timeout: float = WAIT) -> Any:
        """The data of the first unmatched `event` for which `where(data)` holds (any, without `where`)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for i, (name, data) in enumerate(self.pending):
                if name == event and (where is None or where(data)):
                    del self.pending[i]
                    return data
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"no {event} within {timeout:.0f}s; got {self.events[-8:]}")
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), left)
            except asyncio.TimeoutError:
                continue

    async def text(self, contains: str, event: str = "bot_uttered", timeout: float = WAIT) -> dict[str, Any]:
        return await self.expect(event, lambda d: isinstance(d, dict) and contains in str(d.get("text")), timeout)

    async def quiet(self, seconds: float = 0.5) -> list[tuple[str, Any]]:
        """Everything pending plus whatever arrives within `seconds`; all of it consumed."""
        await asyncio.sleep(seconds)
        out, self.pending = self.pending, []
        return out

    async def close(self) -> None:
        """Disconnect without waiting out the pending long-poll (up to a ping interval, 20 s)."""
        eio = self.sio.eio
        read, write = eio.read_loop_task, eio.write_loop_task
        if eio.state == "connected":
            await eio.disconnect(abort=True)
            if write is not None:  # it exits once the CLOSE packet is posted: the server knows we left
                with contextlib.suppress(BaseException):
                    await asyncio.wait_for(write, WAIT)
        if read is not None and not read.done():
            read.cancel()
            with contextlib.suppress(BaseException):
                await read
