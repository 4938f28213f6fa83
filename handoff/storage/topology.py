"""Which Redis the desk talks to, and the client for it: one server, a Sentinel-watched primary, or a Cluster.

- One server: `REDIS_URL` alone, as always (the one-box default and `make run`).
- Sentinel (`REDIS_SENTINELS=host:port,...`, `REDIS_SENTINEL_SERVICE`): redis-py asks the sentinels for the
  current primary on every new connection, so after a failover the gateway follows the promoted replica
  without a restart; while there is none, calls fail with a connection error (sockets say `unavailable`,
  handoff/gateway/connection.py). REDIS_URL still gives the database and password.

- Redis Cluster (`REDIS_CLUSTER=host:port,...`, seed nodes): handoff/storage/cluster.py's ClusterClient, which
  routes every command, script and transaction by its key's slot (keys.py's hash tags keep each one in one
  slot), publishes with SPUBLISH, and follows a failover (a replica promoted in place of a dead primary) by
  reading the slot map again. REDIS_URL still gives the password; its database must be 0.

Rasa's tracker and lock stores (bot/redis_stores.py) build their clients here too, from the same settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from redis.asyncio.sentinel import Sentinel

from handoff.storage.addresses import parse_addresses
from handoff.storage.cluster import ClusterClient, parse_nodes

if TYPE_CHECKING:
    from handoff.settings import Settings

SENTINEL_SOCKET_TIMEOUT_S = 0.5  # a sentinel that does not answer in this time is skipped for the next


def parse_sentinels(raw: str | tuple[str, ...] | list[str]) -> tuple[tuple[str, int], ...]:
    """'h1:26379,h2:26379' (or a sequence of 'host:port') as ((host, port), ...); ValueError names a bad one."""
    return parse_addresses(raw, "sentinel")


@dataclass(frozen=True)
class Topology:
    url: str  # one server; for Sentinel: its database and password
    sentinels: tuple[tuple[str, int], ...] = ()
    service: str = "tandem"  # the Sentinel service (master) name
    cluster: tuple[tuple[str, int], ...] = ()  # Redis Cluster seed nodes

    @classmethod
    def of(cls, settings: Settings) -> Topology:
        if not settings.redis_url:
            raise ValueError("settings.redis_url is required (python -m handoff starts a local Redis when unset)")
        return cls(settings.redis_url, parse_sentinels(settings.redis_sentinels), settings.redis_sentinel_service,
                   tuple((n.host, n.port) for n in parse_nodes(settings.redis_cluster)))

    @property
    def kind(self) -> str:
        return "cluster" if self.cluster else "sentinel" if self.sentinels else "single"

    def client(self, *, decode_responses: bool = True, **kwargs: Any) -> Any:
        """A client that has not connected yet (it connects on first use, in the loop that uses it)."""
        if self.cluster:
            u = urlsplit(self.url)
            if (u.path or "/0").lstrip("/") not in ("", "0"):
                raise ValueError("a Redis Cluster has database 0 only: REDIS_URL must name /0")
            return ClusterClient(startup_nodes=parse_nodes([f"{h}:{p}" for h, p in self.cluster]),
                                 decode_responses=decode_responses, username=u.username or None,
                                 password=u.password or None, **kwargs)
        if self.sentinels:
            u = urlsplit(self.url)
            db = int((u.path or "/0").lstrip("/") or 0)
            # The timeout is the sentinels' only: Sentinel() hands its own keywords to the data connections too,
            # where a blocking call (WAIT) must not be cut short.
            sentinel = Sentinel(list(self.sentinels), sentinel_kwargs={"socket_timeout": SENTINEL_SOCKET_TIMEOUT_S})
            return sentinel.master_for(self.service, decode_responses=decode_responses, db=db,
                                       username=u.username or None, password=u.password or None, **kwargs)
        return aioredis.from_url(self.url, decode_responses=decode_responses, **kwargs)

