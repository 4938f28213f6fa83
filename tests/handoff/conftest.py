"""Gateway test fixtures: a Store on a private Redis database (flushed per test) and socket clients."""
from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from handoff.accounts.auth import Accounts
from handoff.storage import store as store_mod
from handoff.storage.accounts import AccountRecords

UNIT_DB = 3  # the live gateways use database 0 of the same server; unit tests never touch it


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator:
    client = await store_mod.connect(redis_url.rsplit("/", 1)[0] + f"/{UNIT_DB}")
    await client.flushdb()
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def store(redis) -> store_mod.Store:  # type: ignore[no-untyped-def]
    return store_mod.Store(redis, conversation_ttl_s=3600)


@pytest.fixture
async def accounts(redis) -> Accounts:  # type: ignore[no-untyped-def]
    return Accounts(AccountRecords(redis))


BARE_DB = 2


@pytest.fixture(autouse=True)
async def clean_desk(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """After a test that used a gateway, close whatever it left queued or assigned."""
    yield
    from tests.handoff.clients import close_all, reset_desk

    await close_all()

    for name in ("live_gateway_b", "live_gateway", "bare_gateway"):
        if name in request.fixturenames:
            gw = request.getfixturevalue(name)
            await reset_desk(gw.redis_url, gw)


@pytest.fixture(scope="session")
def bare_gateway(redis_url: str, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A real gateway process without a Rasa model (LOAD_BOT=0): for protocol, auth and queue tests that do
    not need the bot, so they neither wait for nor depend on the trained model. Own Redis database."""
    from tests.gateway import seed_accounts, start_gateway
    from tests.support import stop

    url = redis_url.rsplit("/", 1)[0] + f"/{BARE_DB}"
    seed_accounts(url)
    gw = start_gateway(url, tmp_path_factory.mktemp("no-model"), "http://127.0.0.1:9/webhook",
                       tmp_path_factory.mktemp("gateway-bare"), "gw-bare", extra_env={"LOAD_BOT": "0"})
    try:
        yield gw
    finally:
        stop(gw.proc)
