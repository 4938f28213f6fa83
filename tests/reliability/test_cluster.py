"""Redis Cluster: 3 primaries with a replica each (Debian's redis-server 7), started by the tests on free ports.

Two gateway instances on one cluster run the whole journey, the 20-way claim race and a resume; the sharded hub
delivers and, when the node serving a channel dies, subscribes on the replica that took its slots over; and
with the primary of a conversation's slot killed (`kill -9`) mid-conversation, the conversation goes on with every
acknowledged message (WAIT 1: on the replica) in the transcript exactly once. Rasa's tracker and lock stores
run on the cluster too."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from handoff.core import errors
from handoff.storage import keys
from handoff.storage import store as store_mod
from handoff.storage.sharded_hub import ShardedHub
from handoff.storage.topology import Topology
from tests.gateway import LiveGateway, seed_accounts
from tests.handoff.clients import Customer
from tests.reliability.conftest import start_bare
from tests.reliability.journeys import Balancer, LoadCustomer, claim_race, handover_journey
from tests.reliability.redis_topologies import Cluster, start_cluster
from tests.support import TIME_SCALE, stop


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    group = start_cluster(tmp_path_factory.mktemp("cluster"))
    try:
        yield group
    finally:
        group.close()


@pytest.fixture
def own_cluster(tmp_path: Path) -> Iterator[Cluster]:
    """A cluster of the test's own, for a test that kills one of its nodes."""
    group = start_cluster(tmp_path / "cluster")
    try:
        yield group
    finally:
        group.close()


def client_of(group: Cluster) -> Any:
    return Topology(group.url, cluster=tuple(("127.0.0.1", n.port) for n in group.nodes)).client()


def gateway_env(group: Cluster) -> dict[str, str]:
    # No assist encoder: the instances start in seconds instead of half a minute (nothing here uses it).
    return {
        "REDIS_CLUSTER": group.seeds,
        "REDIS_WAIT_REPLICAS": "1",
        "REDIS_WAIT_TIMEOUT_MS": "500",
        "ASSIST_ENCODER": "0",
    }


async def two_gateways(group: Cluster, tmp_path: Path, prefix: str) -> list[LiveGateway]:
    await asyncio.to_thread(seed_accounts, group.url, None, group.seeds)
    return list(
        await asyncio.gather(
            *(
                asyncio.to_thread(start_bare, group.url, tmp_path, f"{prefix}-{n}", **gateway_env(group))
                for n in ("a", "b")
            )
        )
    )


@pytest.fixture(scope="module")
def gateways(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[LiveGateway]]:
    gws = asyncio.run(two_gateways(cluster, tmp_path_factory.mktemp("gw-cluster"), "gw-cluster"))
    try:
        yield gws
    finally:
        for g in gws:
            stop(g.proc)


async def test_the_whole_journey_runs_across_two_instances_on_a_cluster(gateways: list[LiveGateway]) -> None:
    journey = await handover_journey(str(gateways[0]), str(gateways[1]))
    assert [f["state"] for f in journey.seen if f.get("type") == "state"][-1] == "closed"


async def test_twenty_agents_on_two_instances_claim_one_chat_and_exactly_one_wins(
    cluster: Cluster, gateways: list[LiveGateway]
) -> None:
    racer = await Customer.connect(str(gateways[1]))
    await racer.send(type="request_human")
    await racer.expect("state", state="queued")
    outcomes = await claim_race([str(g) for g in gateways], cluster.url, racer.cid, cluster=cluster.seeds)
    assert outcomes.count("claimed") == 1 and outcomes.count(errors.CONFLICT) == len(outcomes) - 1, outcomes


async def test_a_customer_who_resumes_on_the_other_instance_gets_everything_after_its_seq_once(
    gateways: list[LiveGateway],
) -> None:
    first = await Customer.connect(str(gateways[0]))
    said = [await first.say(f"message {i}") for i in range(3)]
    await first.send(type="request_human")
    await first.expect("state", state="queued")
    seen_seq = said[0]["seq"]
    await first.close()
    again = await Customer.connect(
        str(gateways[1]), conversation_id=first.cid, token=first.token, last_seq=seen_seq
    )
    await again.drain(1.0 * TIME_SCALE)
    seqs = [f["seq"] for f in again.seen if f.get("type") == "message"]  # every frame the socket received
    assert seqs == sorted(set(seqs)) and seqs[0] == seen_seq + 1  # everything after it, in order, once
    assert {s["seq"] for s in said[1:]} <= set(seqs)


async def test_rasas_tracker_and_lock_stores_keep_each_conversation_in_its_own_slot(cluster: Cluster) -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from redis.crc import key_slot

    from bot.redis_stores import AsyncRedisLockStore, AsyncRedisTrackerStore

    where = {
        "host": "127.0.0.1",
        "port": cluster.nodes[0].port,
        "db": 0,
        "key_prefix": "tandem",
        "cluster": cluster.seeds,
    }
    trackers = AsyncRedisTrackerStore(Domain.empty(), record_exp=3600, **where)
    locks = AsyncRedisLockStore(**where)
    cid = "f" * 32
    assert key_slot(trackers.tracker_key(cid).encode()) == key_slot(keys.conv(cid).encode())
    assert key_slot(locks.lock_key(cid).encode()) == key_slot(keys.conv(cid).encode())
    events = [
        ActionExecuted("action_listen"),
        UserUttered("where is my card", {"name": "card_arrival"}),
        BotUttered("It takes 5-7 working days."),
        ActionExecuted("action_listen"),
    ]
    await trackers.save(DialogueStateTracker.from_events(cid, events))
    back = await trackers.retrieve(cid)
    assert back is not None
    back.update(BotUttered("Anything else?"))
    await trackers.save(back)  # the WATCH/MULTI path, on the slot's primary
    again = await trackers.retrieve(cid)
    assert again is not None and len(again.events) == len(events) + 1
    async with locks.lock(cid, lock_lifetime=5):
        assert await locks.ared.exists(locks.lock_key(cid)) == 1
    assert await locks.ared.exists(locks.lock_key(cid)) == 0
    await trackers.ared.aclose()
    await locks.ared.aclose()


async def test_every_script_runs_on_primaries_that_never_loaded_it(cluster: Cluster) -> None:
    """As on a replica promoted after the scripts were loaded: EVALSHA meets NOSCRIPT, and the store goes on."""
    from handoff.core import conversation as sm
    from handoff.core.conversation import Snapshot
    from handoff.core.protocol import State
    from tests.reliability.redis_topologies import cli

    client = client_of(cluster)
    try:
        store = store_mod.Store(client, 3600, wait_replicas=1)
        await asyncio.to_thread(
            seed_accounts, cluster.url, {"noscript": ("password-12345", "agent", "N", 2)}, cluster.seeds
        )
        for attempt in range(2):  # cold, then after the scripts were flushed everywhere
            for node in cluster.alive():
                await asyncio.to_thread(cli, node.port, "SCRIPT", "FLUSH")
            cids = [(await store.create_conversation({}, "en"))[0] for _ in range(6)]  # over the primaries
            for cid in cids:
                await store.append(cid, {"sender": "customer", "text": f"hi {attempt}"}, needs_turn=True)
                await store.reply(
                    cid, 1, [{"sender": "bot", "text": "hello"}], (State.BOT,), {"kind": "typing"}
                )
            await store.apply(
                cids[0], sm.escalate(Snapshot(State.BOT), {"kind": "explicit"}, 0.5, 1), {"state": "queued"}
            )
            await store.apply(cids[0], sm.claim(Snapshot(State.QUEUED), "noscript", "N"), {"state": "agent"})
            await store.apply(
                cids[0],
                sm.close(Snapshot(State.AGENT, "noscript"), "noscript", "resolved"),
                {"state": "closed"},
            )
            assert [m["sender"] for m in await store.read_log(cids[-1])] == ["customer", "bot"]
    finally:
        await client.aclose()


async def wait_for(predicate: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s * TIME_SCALE
    while not await predicate():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.05)


async def test_the_sharded_hub_delivers_and_moves_to_the_promoted_replica_when_a_node_dies(
    own_cluster: Cluster,
) -> None:
    group = own_cluster
    client, publisher = client_of(group), client_of(group)
    hub = ShardedHub(client)
    await hub.start()
    heard: list[tuple[str, dict]] = []
    cids = [f"{i:032x}" for i in range(12)]  # spread over the three primaries
    try:
        for cid in cids:
            await hub.subscribe(keys.ch_conv(cid), lambda ch, ev: heard.append((ch, ev)))
        await hub.subscribe(keys.CH_AGENTS, lambda ch, ev: heard.append((ch, ev)))
        assert len({(await client.owner(keys.ch_conv(c))).name for c in cids}) == 3
        await asyncio.sleep(0.2)  # the SSUBSCRIBEs are sent; let the nodes take them
        for cid in cids:
            await publisher.publish(keys.ch_conv(cid), '{"kind":"ping"}')
        await publisher.publish(keys.CH_AGENTS, '{"kind":"queue"}')

        async def all_heard() -> bool:
            return len(heard) == len(cids) + 1

        await wait_for(all_heard, 5, f"not every sharded event arrived: {heard}")
        assert {ch for ch, _ in heard} == {*(keys.ch_conv(c) for c in cids), keys.CH_AGENTS}

        victim_cid = cids[0]
        victim = await asyncio.to_thread(group.owner_of, keys.ch_conv(victim_cid))
        replica = await asyncio.to_thread(group.replica_of, victim)
        victim.kill9()
        heard.clear()

        async def moved() -> bool:  # the replica took over and the hub subscribed there
            return hub.resubscribes > 0 and not hub._orphans

        await wait_for(moved, 20, "the hub never re-subscribed on the promoted replica")
        assert (await client.owner(keys.ch_conv(victim_cid))).port == replica.port
        assert any(ev == {"kind": "catchup"} for _, ev in heard)  # listeners told to catch up

        async def delivered_after_failover() -> bool:
            try:
                await publisher.publish(keys.ch_conv(victim_cid), '{"kind":"after"}')
            except Exception:  # noqa: BLE001 - the publisher's own slot map is catching up
                await asyncio.sleep(0.2)
            await asyncio.sleep(0.1)
            return any(ev == {"kind": "after"} for _, ev in heard)

        await wait_for(delivered_after_failover, 10, "no event delivered from the promoted replica")
    finally:
        await hub.stop()
        await client.aclose()
        await publisher.aclose()


async def test_the_primary_of_the_conversations_slot_killed_mid_conversation_loses_nothing_acknowledged(
    own_cluster: Cluster, tmp_path: Path
) -> None:
    group = own_cluster
    gws = await two_gateways(group, tmp_path, "gw-failover")
    try:
        customer = LoadCustomer(Balancer([str(g) for g in gws]))
        before = [await customer.exchange(f"before the failover {i}") for i in range(3)]
        assert customer.cid is not None
        victim = await asyncio.to_thread(group.owner_of, keys.conv(customer.cid))
        replica = await asyncio.to_thread(group.replica_of, victim)
        victim.kill9()  # no shutdown, no last sync: only what its replica already had survives
        after = [await customer.exchange(f"during and after the failover {i}") for i in range(3)]
        assert len(before) == len(after) == 3
        assert (await asyncio.to_thread(group.owner_of, keys.conv(customer.cid))).port == replica.port

        # The rest of the desk goes on: a handover across the instances and a claim race.
        journey = await handover_journey(str(gws[0]), str(gws[1]))
        assert [f["state"] for f in journey.seen if f.get("type") == "state"][-1] == "closed"
        racer = await Customer.connect(str(gws[1]))
        await racer.send(type="request_human")
        await racer.expect("state", state="queued")
        outcomes = await claim_race(
            [str(g) for g in gws],
            group.url.replace(str(group.nodes[0].port), str(group.alive()[0].port)),
            racer.cid,
            n=10,
            cluster=",".join(f"127.0.0.1:{n.port}" for n in group.alive()),
        )
        assert outcomes.count("claimed") == 1 and outcomes.count(errors.CONFLICT) == len(outcomes) - 1, (
            outcomes
        )

        client = client_of(group)
        try:
            log = await store_mod.Store(client, 3600).read_log(customer.cid, after_seq=0, count=1000)
        finally:
            await client.aclose()
        stored = [m["client_id"] for m in log if m["sender"] == "customer"]
        assert sorted(stored) == sorted(customer.acked), "an acknowledged message lost or stored twice"
        assert len(customer.acked) == 6
    finally:
        for g in gws:
            stop(g.proc)
