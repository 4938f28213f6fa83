"""A draining instance refuses new sockets (HTTP 503 before the upgrade) and nothing else; the rolling
restart itself, under load with real processes, is tests/reliability/test_rolling_restart.py."""

from __future__ import annotations

from handoff.gateway.drain import Drain


def test_only_new_sockets_are_refused_and_only_while_draining() -> None:
    drain = Drain(timeout_s=1)
    assert not drain.refuses("/ws/customer")
    drain.draining = True
    assert drain.refuses("/ws/customer") and drain.refuses("/ws/agent") and drain.refuses("/socket.io/")
    assert not drain.refuses("/health/live") and not drain.refuses("/api/login")
