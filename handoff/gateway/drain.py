"""Leaving a rolling deploy cleanly: liveness vs readiness, and what an instance does on SIGTERM.

Why: an instance that simply exits drops its sockets mid-turn, and a bot turn it was running is only picked
up by another instance after the orphan grace (turns.recover). On SIGTERM Sanic stops its loop and runs
the `before_server_stop` listeners with the loop still serving, which is where `Drain.run` goes:

1. readiness answers 503 and new sockets are refused with HTTP 503 (a load balancer tries another instance);
2. every open socket is closed with 1012 (service restart): the widget and the console reconnect, land on
   another instance and resume from their last seq; unacknowledged messages go again from the outbox
   with their client_id, so each is stored once;
3. the bot turns still running here finish (their answers reach the customer through Redis on the new
   socket), at most `drain_timeout_s`; then the server stops.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from handoff.core import errors

if TYPE_CHECKING:
    from handoff.gateway.connection import Connection
    from handoff.gateway.desk import Desk

log = logging.getLogger(__name__)
RETRY_AFTER_S = 1  # what a refused client is told: another instance is there already
SOCKET_PATHS = ("/ws/", "/socket.io")


class Drain:
    """This instance's open sockets and whether it is leaving."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self.draining = False
        self.sockets: set[Connection] = set()

    @contextmanager
    def track(self, conn: Connection) -> Iterator[None]:
        """Hold `conn` in the set of sockets closed with 1012 when the instance drains."""
        self.sockets.add(conn)
        try:
            yield
        finally:
            self.sockets.discard(conn)

    def refuses(self, path: str) -> bool:
        """True for a new socket while draining (answered 503 before the upgrade)."""
        return self.draining and path.startswith(SOCKET_PATHS)

    async def run(self, desk: Desk) -> bool:
        """Drain: refuse new sockets, close the open ones with 1012, let running turns finish (bounded).
        True when every turn finished in time."""
        self.draining = True
        open_sockets = list(self.sockets)
        log.info("draining: closing %d socket(s) with 1012, finishing running turns (at most %.0f s)",
                 len(open_sockets), self.timeout_s)
        await asyncio.gather(*(conn.close(errors.WS_1012_SERVICE_RESTART, "instance restarting")
                               for conn in open_sockets), return_exceptions=True)
        finished = await desk.turns_done(self.timeout_s)
        if not finished:
            log.warning("draining: turns still running after %.0f s; another instance recovers them",
                        self.timeout_s)
        return finished
