"""Reliability fixtures: a bot-less gateway of our own (its log captured for the log-hygiene scan), private
Redis servers we may kill, and the secrets a test run used (so the scan knows what must never be logged)."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.gateway import LiveGateway, seed_accounts, start_gateway
from tests.support import stop

RELIABILITY_DB = (
    12  # other databases of the session Redis belong to tests/handoff and the browser tests (2–9)
)
GATEWAY_LOGS: list[Path] = []  # every gateway log this package produced; scanned by test_log_hygiene
SECRETS_USED: set[str] = set()  # customer tokens, session cookies, passwords, card numbers sent


def start_bare(redis_url: str, log_dir: Path, name: str, **env: str) -> LiveGateway:
    """A real `python -m handoff` without the Rasa model (LOAD_BOT=0: quick to start, bot turns fail over
    to "offer a person"); its stdout/stderr land in log_dir and are registered for the log scan."""
    gw = start_gateway(
        redis_url,
        log_dir / "no-model",
        "http://127.0.0.1:9/webhook",
        log_dir,
        name,
        extra_env={"LOAD_BOT": "0", **env},
    )
    GATEWAY_LOGS.append(gw.log_path)
    return gw


def kill9(proc: subprocess.Popen) -> None:
    proc.kill()  # SIGKILL: no graceful shutdown, no 1001 to the clients
    proc.wait()


@pytest.fixture(scope="session")
def rel_gateway(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    url = redis_url.rsplit("/", 1)[0] + f"/{RELIABILITY_DB}"
    seed_accounts(url)
    gw = start_bare(url, tmp_path_factory.mktemp("gateway-rel"), "gw-rel")
    try:
        yield gw
    finally:
        stop(gw.proc)


@pytest.fixture(autouse=True)
async def closes_clients(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    yield
    from tests.handoff.clients import close_all, reset_desk

    await close_all()
    if "rel_gateway" in request.fixturenames:
        gw = request.getfixturevalue("rel_gateway")
        await reset_desk(gw.redis_url, gw)
