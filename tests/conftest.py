"""Session fixtures for real services: a private Redis, the action server, the reduced Rasa model."""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support import ROOT, free_port, start_redis, stop, wait_for_port

if TYPE_CHECKING:
    from tests.gateway import LiveGateway

REDUCED_MODEL_DIR = ROOT / "models" / "reduced" / "rasa"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a redis-server started for this test session on a free port (AOF on, in a temp dir)."""
    proc, port = start_redis(tmp_path_factory.mktemp("redis"))
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def action_server_url() -> Iterator[str]:
    """The real rasa-sdk action server (actions/ package) in a subprocess on a free port."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, 60, proc)
        yield f"http://127.0.0.1:{port}/webhook"
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def reduced_model() -> Path:
    """The reduced Rasa model (.tar.gz) that `make train-reduced` builds before the tests run."""
    models = sorted(REDUCED_MODEL_DIR.glob("*.tar.gz"))
    if not models:
        pytest.fail("no reduced model in models/reduced/rasa: run `make train-reduced` (make test does)")
    return models[-1]


@pytest.fixture(scope="session")
def live_gateway(redis_url: str, reduced_model: Path, action_server_url: str,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    """A real gateway process (`python -m handoff`) with the reduced model, the action server and the session
    Redis. It is a str (the base URL, "http://127.0.0.1:PORT") with .ws, .accounts (username -> (password,
    role, display name, capacity); seeded before it starts), .context_secret, .redis_url, .log_path."""
    from tests.gateway import seed_accounts, start_gateway

    seed_accounts(redis_url)
    gw = start_gateway(redis_url, reduced_model, action_server_url, tmp_path_factory.mktemp("gateway-a"), "gw-a")
    try:
        yield gw
    finally:
        stop(gw.proc)


@pytest.fixture(scope="session")
def live_gateway_b(live_gateway: LiveGateway, reduced_model: Path, action_server_url: str,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    """A second gateway process on another port sharing live_gateway's Redis: one desk, two instances."""
    from tests.gateway import start_gateway

    gw = start_gateway(live_gateway.redis_url, reduced_model, action_server_url,
                       tmp_path_factory.mktemp("gateway-b"), "gw-b")
    try:
        yield gw
    finally:
        stop(gw.proc)
