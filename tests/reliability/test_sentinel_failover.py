"""Failover with Redis Sentinel: 1 primary, 1 replica, 3 sentinels; two gateway instances that find the
primary through the sentinels and acknowledge a message only once the replica has it (WAIT 1). The primary
is killed with SIGKILL mid-conversation: the replica is promoted, the gateways follow it without a restart,
the conversation goes on, every acknowledged message is in the transcript exactly once, and a claim race
still has exactly one winner. Rasa's tracker and lock stores follow the same failover."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from handoff.core import errors
from handoff.storage import store as store_mod
from handoff.storage.topology import Topology, parse_sentinels
from tests.gateway import seed_accounts
from tests.handoff.clients import Customer
from tests.reliability.conftest import start_bare
from tests.reliability.journeys import Balancer, LoadCustomer, claim_race, handover_journey
from tests.reliability.redis_topologies import SentinelSet, start_sentinel_set
from tests.support import stop


@pytest.fixture
def sentinel_set(tmp_path: Path) -> Iterator[SentinelSet]:
    group = start_sentinel_set(tmp_path / "sentinel")
    try:
        yield group
    finally:
        group.close()


def gateway_env(group: SentinelSet) -> dict[str, str]:
    return {"REDIS_SENTINELS": group.sentinel_addresses, "REDIS_SENTINEL_SERVICE": group.service,
            "REDIS_WAIT_REPLICAS": "1", "REDIS_WAIT_TIMEOUT_MS": "500"}


async def test_primary_killed_mid_conversation_the_gateways_follow_the_promoted_replica_and_lose_nothing(
    sentinel_set: SentinelSet, tmp_path: Path
) -> None:
    group = sentinel_set
    await asyncio.to_thread(seed_accounts, group.url)
    env = gateway_env(group)
    gws = await asyncio.gather(*(asyncio.to_thread(start_bare, group.url, tmp_path, name, **env)
                                 for name in ("gw-sentinel-a", "gw-sentinel-b")))
    try:
        customer = LoadCustomer(Balancer([str(g) for g in gws]))
        before = [await customer.exchange(f"before the failover {i}") for i in range(3)]
        group.primary.kill9()  # no shutdown, no last sync: only what the replica already had survives
        after = [await customer.exchange(f"during and after the failover {i}") for i in range(3)]
        assert len(before) == len(after) == 3
        assert await asyncio.to_thread(group.current_primary_port) == group.replica.port  # promoted

        # The rest of the desk on the promoted primary: a handover across instances, a claim race.
        journey = await handover_journey(str(gws[0]), str(gws[1]))
        assert [f["state"] for f in journey.seen if f.get("type") == "state"][-1] == "closed"
        racer = await Customer.connect(str(gws[1]))
        await racer.send(type="request_human")
        await racer.expect("state", state="queued")
        outcomes = await claim_race([str(g) for g in gws], group.url.replace(
            str(group.primary.port), str(group.replica.port)), racer.cid)
        assert outcomes.count("claimed") == 1 and outcomes.count(errors.CONFLICT) == len(outcomes) - 1, outcomes

        client = Topology(group.url, parse_sentinels(group.sentinel_addresses), group.service).client()
        try:
            log = await store_mod.Store(client, 3600).read_log(customer.cid or "", after_seq=0, count=1000)
        finally:
            await client.close()
        stored = [m["client_id"] for m in log if m["sender"] == "customer"]
        assert sorted(stored) == sorted(customer.acked), "an acknowledged message lost or stored twice"
        assert len(customer.acked) == 6
    finally:
        for g in gws:
            stop(g.proc)


async def test_rasas_tracker_and_lock_stores_find_the_promoted_primary_through_the_sentinels(
    sentinel_set: SentinelSet,
) -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.redis_stores import AsyncRedisLockStore, AsyncRedisTrackerStore
    from tests.reliability.redis_topologies import cli

    group = sentinel_set
    # As endpoints.yml gives them: REDIS_HOST/PORT are only a fallback; the sentinels name the primary.
    where = {"host": "127.0.0.1", "port": group.primary.port, "db": 0, "key_prefix": "sentineltest",
             "sentinels": group.sentinel_addresses, "sentinel_service": group.service}
    trackers = AsyncRedisTrackerStore(Domain.empty(), record_exp=3600, **where)
    locks = AsyncRedisLockStore(**where)
    events = [ActionExecuted("action_listen"), UserUttered("where is my card", {"name": "card_arrival"}),
              BotUttered("It takes 5-7 working days."), ActionExecuted("action_listen")]
    await trackers.save(DialogueStateTracker.from_events("c1", events))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while cli(group.replica.port, "EXISTS", trackers.tracker_key("c1")) != "1":  # replicated before the crash
        assert loop.time() < deadline
        await asyncio.sleep(0.05)
    group.primary.kill9()

    deadline = loop.time() + 30
    while True:
        try:
            back = await trackers.retrieve("c1")
            break
        except Exception:  # noqa: BLE001 - connection refused / no primary yet: the failover is running
            assert loop.time() < deadline, "the tracker store never reached the promoted primary"
            await asyncio.sleep(0.2)
    assert back is not None and [e.as_dict() for e in back.events] == [e.as_dict() for e in events]
    async with locks.lock("c1", lock_lifetime=5):  # a turn can run on the promoted primary
        assert cli(group.replica.port, "EXISTS", trackers.tracker_key("c1")) == "1"
    await trackers.ared.close()
    await locks.ared.close()
