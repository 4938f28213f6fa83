"""`make bench` rows for running past one Redis (docs/deploy.md): what the replicated ack costs.

A customer message is acknowledged once `store.append` returns. With REDIS_WAIT_REPLICAS=1 that call also
waits (WAIT, same round trip) until a replica has the message. Measured here on loopback against a real
primary and replica (AOF, fsync always, as the desk's own Redis): closed loop, one message at a time, the
time of `append` with and without the wait, on the same servers and conversation, alternating in slices.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from handoff.core.protocol import State
from handoff.storage import store as store_mod
from scripts.bench_stats import summarize
from tests.reliability.redis_topologies import cli, data_server
from tests.support import free_port

SLICES = 10


async def _appends(url: str, n: int, wait_replicas: int) -> list[float]:
    client = store_mod.new_client(url)
    store = store_mod.Store(client, 3600, wait_replicas=wait_replicas, wait_timeout_ms=1000)
    cid, _ = await store.create_conversation({}, "en")
    took = []
    try:
        for i in range(n):
            started = time.perf_counter()
            await store.append(cid, {"sender": "customer", "text": f"message {i}", "client_id": f"c{i}"},
                               dedupe=f"c:{i}", states=(State.BOT,), needs_turn=False)
            took.append((time.perf_counter() - started) * 1000)
    finally:
        await client.close()
    return took


def replicated_ack(n: int) -> dict[str, Any]:
    """p50/p99 (ms) of storing one message, without and with WAIT 1, over `n` messages each."""
    with tempfile.TemporaryDirectory(prefix="tandem-bench-ha-") as tmp:
        root = Path(tmp)
        primary = data_server(root / "primary", free_port()).start()
        replica = data_server(root / "replica", free_port(), "--replicaof", "127.0.0.1", str(primary.port)).start()
        try:
            while "master_link_status:up" not in cli(replica.port, "INFO", "replication"):
                time.sleep(0.1)
            url = f"redis://127.0.0.1:{primary.port}/0"
            plain: list[float] = []
            waited: list[float] = []
            for i in range(SLICES):  # alternate, so the machine's drift falls on both alike
                order = [(plain, 0), (waited, 1)] if i % 2 == 0 else [(waited, 1), (plain, 0)]
                for out, replicas in order:
                    out += asyncio.run(_appends(url, max(1, n // SLICES), replicas))
        finally:
            replica.stop()
            primary.stop()
    a, b = summarize(plain), summarize(waited)
    return {"n": len(plain), "plain_p50": a.p50, "plain_p99": a.p99, "wait_p50": b.p50, "wait_p99": b.p99}


# ------------------------------------------------------------------ one Redis vs a Redis Cluster


async def _turns(make_client: Any, n: int, conversations: int) -> list[float]:
    """`n` turns' storage path, round robin over `conversations` (spread over the slots): the customer's message
    stored (its ack), the bot's answer stored with the end of the turn (Store.reply), and that answer heard on
    another client's hub, as the customer's instance hears it. Milliseconds from the first call to the hearing."""
    from handoff.storage import keys
    from handoff.storage.hub import Hub

    client, listener = make_client(), make_client()
    store = store_mod.Store(client, 3600)
    hub = Hub.for_client(listener)
    await hub.start()
    heard: dict[str, asyncio.Event] = {}

    def on_event(channel: str, event: dict[str, Any]) -> None:
        if event.get("kind") == "msg" and event["m"].get("sender") == "bot":
            heard[channel].set()

    took = []
    try:
        cids = [(await store.create_conversation({}, "en"))[0] for _ in range(conversations)]
        for cid in cids:
            heard[keys.ch_conv(cid)] = asyncio.Event()
            await hub.subscribe(keys.ch_conv(cid), on_event)
        await asyncio.sleep(0.2)
        for i in range(n):
            cid = cids[i % len(cids)]
            event = heard[keys.ch_conv(cid)]
            event.clear()
            started = time.perf_counter()
            seq, _, _ = await store.append(cid, {"sender": "customer", "text": f"question {i}"}, dedupe=f"c:{i}",
                                           states=(State.BOT,), needs_turn=True)
            await store.reply(cid, seq, [{"sender": "bot", "text": f"answer {i}"}], (State.BOT,),
                              {"kind": "typing", "sender": "bot", "on": False})
            await asyncio.wait_for(event.wait(), 5)
            took.append((time.perf_counter() - started) * 1000)
    finally:
        await hub.stop()
        for c in (client, listener):
            await (c.aclose() if getattr(c, "is_cluster", False) else c.close())
    return took


def cluster_turns(n: int, conversations: int = 16) -> dict[str, Any]:
    """p50/p99 (ms) of a turn's storage path on one Redis and on a Redis Cluster of 3 primaries (each with a
    replica), same host, alternating in slices; every server with AOF fsync always, as the desk's own Redis."""
    from handoff.storage.topology import Topology
    from tests.reliability.redis_topologies import start_cluster

    with tempfile.TemporaryDirectory(prefix="tandem-bench-cluster-") as tmp:
        root = Path(tmp)
        single = data_server(root / "single", free_port()).start()
        cluster = start_cluster(root / "cluster", fsync="always")
        try:
            url = f"redis://127.0.0.1:{single.port}/0"
            seeds = tuple(("127.0.0.1", node.port) for node in cluster.nodes)
            one: list[float] = []
            sharded: list[float] = []
            for i in range(SLICES):
                plans = [(one, lambda: store_mod.new_client(url)),
                         (sharded, lambda: Topology(cluster.url, cluster=seeds).client())]
                for out, make in plans if i % 2 == 0 else plans[::-1]:
                    out += asyncio.run(_turns(make, max(1, n // SLICES), conversations))
        finally:
            cluster.close()
            single.stop()
    a, b = summarize(one), summarize(sharded)
    return {"n": len(one), "single_p50": a.p50, "single_p99": a.p99, "cluster_p50": b.p50, "cluster_p99": b.p99,
            "conversations": conversations}
