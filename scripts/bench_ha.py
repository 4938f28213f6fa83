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
