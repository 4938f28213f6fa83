"""Redis Cluster as the desk's record classes use it: redis-py's asyncio RedisCluster, plus what 4.6 lacks.

redis-py 4.6 (Rasa pins redis<5) routes single commands, non-transactional pipelines and EVALSHA by key slot,
but its asyncio cluster client has no MULTI/WATCH and no sharded pub/sub. `ClusterClient` fills the gaps so
that the same record classes run on one Redis and on a cluster:

- `pipeline(transaction=True)` is a MULTI/EXEC (and WATCH) on a plain connection to the primary that owns the
  slot of its first key: every transaction of the desk touches one slot (keys.py's hash tags), so that is
  Redis's own MULTI, atomic as on one server.
- `node_for(key)`: a plain client to that primary, for what must run on one connection: a script followed by
  WAIT (the replicated ack), a pipeline of scripts (redis-py's plain pipeline loads them with SCRIPT LOAD on
  that node first: EVALSHA works on a primary that never saw the script, a promoted replica included).
- `publish` is SPUBLISH, and `register_script` turns the scripts' PUBLISH into SPUBLISH (lua.sharded); the
  hub subscribes per node with SSUBSCRIBE (handoff/storage/sharded_hub.py).

After a failover the slot map is stale: a connection error or a MOVED reply marks it so, and the next
`node_for` asks the cluster again (the RedisCluster itself re-reads it on its own errors).
"""

from __future__ import annotations

import logging
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from typing_extensions import Self

from handoff.storage import lua
from handoff.storage.addresses import parse_addresses

log = logging.getLogger(__name__)
NODE_KWARGS = (
    "username",
    "password",
    "socket_timeout",
    "socket_connect_timeout",
    "health_check_interval",
    "ssl",
)


def parse_nodes(raw: str | tuple[str, ...] | list[str]) -> list[ClusterNode]:
    """'h1:7000,h2:7001' (or a sequence of 'host:port') as seed nodes; ValueError names a bad one."""
    return [ClusterNode(host, port) for host, port in parse_addresses(raw, "cluster node")]


def is_redirect(exc: BaseException) -> bool:
    """A reply that says the slot lives elsewhere now (resharding, failover): ask for the slot map again."""
    text = str(exc)
    return text.startswith(("MOVED", "ASK", "CLUSTERDOWN")) or "MOVED" in text


class ClusterClient(RedisCluster):
    """RedisCluster with per-slot transactions, per-node clients and sharded publishing (module docstring)."""

    is_cluster = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._node_kwargs = {k: kwargs[k] for k in NODE_KWARGS if kwargs.get(k) is not None}
        self._node_kwargs["decode_responses"] = kwargs.get("decode_responses", False)
        self._nodes: dict[str, aioredis.Redis] = {}
        self._stale = False

    def register_script(self, script: Any) -> Any:  # type: ignore[override]
        return super().register_script(lua.sharded(script) if isinstance(script, str) else script)

    async def publish(self, channel: Any, message: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return await self.execute_command("SPUBLISH", channel, message, **kwargs)

    def pipeline(self, transaction: Any | None = None, shard_hint: Any | None = None) -> Any:
        if transaction:
            return SlotTransaction(self)
        return super().pipeline(shard_hint=shard_hint)

    def mark_stale(self) -> None:
        """The slot map may be wrong (a node died, a slot moved): the next node_for reads it again."""
        self._stale = True

    async def owner(self, key: str) -> ClusterNode:
        """The primary that serves `key`'s slot now (the slot map is read again when marked stale)."""
        if self._stale:
            self._stale = False
            try:
                await self.nodes_manager.initialize()
            except Exception:
                self._stale = True
                raise
        await self.initialize()
        return self.get_node_from_key(key)

    async def node_for(self, key: str) -> aioredis.Redis:
        """A plain client to the primary of `key`'s slot (kept per node)."""
        node = await self.owner(key)
        client = self._nodes.get(node.name)
        if client is None:
            client = self._nodes[node.name] = aioredis.Redis(
                host=node.host, port=node.port, **self._node_kwargs
            )
        return client

    def node_client(self, host: str, port: int) -> aioredis.Redis:
        """A fresh plain client for one node, with this cluster's credentials (the hub's subscriptions)."""
        return aioredis.Redis(host=host, port=port, **self._node_kwargs)

    @property
    def node_kwargs(self) -> dict[str, Any]:
        return dict(self._node_kwargs)

    async def aclose(self) -> None:
        """Close the per-node clients and the cluster's own connections (Storage.stop)."""
        for client in self._nodes.values():
            await client.close(close_connection_pool=True)
        self._nodes.clear()
        await self.close()


class SlotTransaction:
    """MULTI/EXEC (with WATCH, as redis-py's Pipeline has it) on the primary of one slot.

    Commands queue here until `execute`, which runs them on the primary of the first one's key (all of them must
    share its slot: Redis refuses a cross-slot transaction with CROSSSLOT). `watch(key)` binds to that key's
    primary at once; from there on the calls go to a real Pipeline there, immediate until `multi()` as in
    redis-py. A MOVED reply before anything ran (a failover moved the slot) is retried once on the new owner.
    """

    def __init__(self, cluster: ClusterClient) -> None:
        self._cluster = cluster
        self._calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self._pipe: Any = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._pipe is not None:
            await self._pipe.reset()

    async def watch(self, *names: str) -> Any:
        self._pipe = (await self._node(names[0])).pipeline(transaction=True)
        return await self._pipe.watch(*names)

    def multi(self) -> None:
        self._pipe.multi()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if self._pipe is not None:
            return getattr(self._pipe, name)

        def queue(*args: Any, **kwargs: Any) -> SlotTransaction:
            self._calls.append((name, args, kwargs))
            return self

        return queue

    async def execute(self) -> list[Any]:
        if self._pipe is not None:
            return await self._guard(self._pipe.execute())
        if not self._calls:
            return []
        key = self._calls[0][1][0]
        for attempt in (1, 2):
            async with (await self._node(key)).pipeline(transaction=True) as pipe:
                for name, args, kwargs in self._calls:
                    getattr(pipe, name)(*args, **kwargs)
                try:
                    return await self._guard(pipe.execute())
                except ResponseError as exc:
                    if attempt == 2 or not is_redirect(exc):
                        raise
        raise AssertionError("unreachable")

    async def _node(self, key: str) -> aioredis.Redis:
        return await self._cluster.node_for(key)

    async def _guard(self, pending: Any) -> Any:
        try:
            return await pending
        except (RedisConnectionError, RedisTimeoutError, OSError):
            self._cluster.mark_stale()
            raise
        except ResponseError as exc:
            if is_redirect(exc):
                self._cluster.mark_stale()
            raise
