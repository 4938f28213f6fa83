"""SIGTERM with a rasa-webchat (socket.io) customer on the instance: the draining instance disconnects the
socket.io session at once, like a native socket, and the customer's client, reconnecting to the other
instance with its session id, resumes the same conversation and gets what was written meanwhile."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from handoff.storage import store as store_mod
from tests.gateway import LiveGateway, start_gateway
from tests.handoff.gateway.sio_client import RasaClient, close_all
from tests.reliability.conftest import GATEWAY_LOGS
from tests.support import TIME_SCALE, stop

DRAIN_TIMEOUT_S = 30


@pytest.fixture(autouse=True)
async def _close_sio_clients() -> AsyncIterator[None]:
    yield
    await close_all()


@pytest.fixture
def two_bare_instances(redis_url: str, tmp_path: Path) -> Iterator[tuple[LiveGateway, LiveGateway]]:
    url = redis_url.rsplit("/", 1)[0] + "/15"  # the drain tests' database; these conversations are new ones
    env = {"DRAIN_TIMEOUT_S": str(DRAIN_TIMEOUT_S), "LOAD_BOT": "0"}
    gws = [start_gateway(url, tmp_path / "no-model", "http://127.0.0.1:9/webhook", tmp_path, name, extra_env=env)
           for name in ("gw-sio-leaving", "gw-sio-staying")]
    GATEWAY_LOGS.extend(gw.log_path for gw in gws)
    try:
        yield gws[0], gws[1]
    finally:
        for gw in gws:
            stop(gw.proc)


async def test_sigterm_disconnects_a_socketio_customer_who_resumes_on_the_other_instance(
    two_bare_instances: tuple[LiveGateway, LiveGateway],
) -> None:
    leaving, staying = two_bare_instances
    customer = await RasaClient().connect(leaving)
    session = await customer.session()
    await customer.say("hello?")
    await customer.expect("bot_uttered")
    leaving.proc.send_signal(signal.SIGTERM)
    await customer.expect("disconnect", timeout=DRAIN_TIMEOUT_S / 2)
    await asyncio.to_thread(leaving.proc.wait, (DRAIN_TIMEOUT_S + 15) * TIME_SCALE)
    assert "draining: closing 1 socket(s)" in leaving.log_path.read_text(errors="replace")

    store = store_mod.Store(await store_mod.connect(staying.redis_url), conversation_ttl_s=3600)
    try:  # while the client reconnects, the desk writes to the customer
        await store.append(session.split(".")[0], {"sender": "bot", "text": "Written while you moved."})
    finally:
        await store.r.close()
    back = await RasaClient().connect(staying)
    assert await back.session(session) == session
    await back.text("Written while you moved.")
