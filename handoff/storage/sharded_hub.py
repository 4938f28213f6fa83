"""The hub on Redis Cluster: sharded pub/sub (SSUBSCRIBE), one connection per node that owns a listened channel.

A sharded channel lives in the slot its name hashes to (keys.py's tags: a conversation's channel in the
conversation's slot, the desk's channels in the desk's), and only the node serving that slot delivers it. redis-py
4.6 has no SSUBSCRIBE, so the hub speaks it on a plain connection to each such node and reads the pushes
(`smessage`, `ssubscribe`, `sunsubscribe`) itself, one reader task per node.

When a node's connection drops (the node died: its replica takes the slots over) or the server sends an
unasked `sunsubscribe` (the slot moved: failover, resharding), the hub reads the slot map again and subscribes
those channels on their owner now, retrying with back-off until it can; their listeners then get a `catchup`
event, as after the plain hub's reconnect, and read what they missed from the transcript streams.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio.connection import Connection
from redis.exceptions import RedisError

from handoff.storage.hub import Hub

log = logging.getLogger(__name__)
RETRY_FIRST_S, RETRY_MAX_S = 0.1, 2.0  # re-subscribing on the new owner: 100 ms, doubling to 2 s


@dataclass
class _Link:
    """One node's subscribed connection, the channels subscribed on it, and the task reading its pushes."""

    name: str
    conn: Connection
    channels: set[str] = field(default_factory=set)
    reader: asyncio.Task[None] | None = None


class ShardedHub(Hub):
    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self._links: dict[str, _Link] = {}
        self._where: dict[str, _Link] = {}  # channel -> the link it is subscribed on
        self._orphans: set[str] = set()  # listened channels not subscribed anywhere now (being healed)
        self._healer: asyncio.Task[None] | None = None
        self.resubscribes = 0  # channels moved to a new owner (tests and logs)

    def _new_pubsub(self) -> Any:
        return None

    async def start(self) -> None:
        await self.client.initialize()

    async def stop(self) -> None:
        tasks = [t for t in [self._healer, *(link.reader for link in self._links.values())] if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for link in list(self._links.values()):
            await link.conn.disconnect()
        self._links.clear()
        self._where.clear()

    async def _first_listener(self, channel: str) -> None:
        try:
            await self._ssubscribe(channel)
        except (RedisError, OSError) as exc:
            log.warning("sharded subscribe failed (%s); retrying on the slot's owner", type(exc).__name__)
            self._orphan([channel])

    async def _last_listener_gone(self, channel: str) -> None:
        self._orphans.discard(channel)
        link = self._where.pop(channel, None)
        if link is not None:
            link.channels.discard(channel)
            with contextlib.suppress(RedisError, OSError):
                await link.conn.send_command("SUNSUBSCRIBE", channel)

    # ------------------------------------------------------------ nodes

    async def _ssubscribe(self, channel: str) -> None:
        """SSUBSCRIBE `channel` on the primary that owns its slot now (its connection opened if new)."""
        node = await self.client.owner(channel)
        link = self._links.get(node.name)
        if link is None:
            kwargs = {
                k: v
                for k, v in self.client.node_kwargs.items()
                if k in ("username", "password", "ssl", "socket_connect_timeout")
            }
            kwargs.setdefault("socket_connect_timeout", 1.0)  # a dead node must not hold the hub's lock long
            conn = Connection(host=node.host, port=node.port, decode_responses=True, **kwargs)
            await conn.connect()
            link = self._links[node.name] = _Link(node.name, conn)
            link.reader = asyncio.create_task(self._read(link), name=f"tandem-hub-{node.name}")
        await link.conn.send_command("SSUBSCRIBE", channel)
        link.channels.add(channel)
        self._where[channel] = link

    async def _read(self, link: _Link) -> None:
        while True:
            try:
                push = await link.conn.read_response()
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                # The node died, or refused a subscription (MOVED: its slot is served elsewhere now).
                log.warning(
                    "sharded pub/sub on %s lost (%s: %s); moving its channels",
                    link.name,
                    type(exc).__name__,
                    str(exc)[:80],
                )
                await self._drop(link)
                return
            if not isinstance(push, list) or len(push) < 3:
                continue
            kind, channel = push[0], push[1]
            if kind == "smessage":
                await self._deliver(channel, push[2])
            elif kind == "sunsubscribe" and self._where.get(channel) is link:
                # Not asked for: the server moved the slot (failover, resharding). Subscribe on the new owner.
                log.info("the slot of %s moved from %s; subscribing on its new owner", channel, link.name)
                link.channels.discard(channel)
                del self._where[channel]
                self._orphan([channel])

    async def _drop(self, link: _Link) -> None:
        """Forget a dead link; its channels go to their new owners (by the healer)."""
        self._links.pop(link.name, None)
        with contextlib.suppress(Exception):
            await link.conn.disconnect(nowait=True)
        moved = [c for c in link.channels if self._where.get(c) is link]
        for channel in moved:
            del self._where[channel]
        self._orphan(moved)

    def _orphan(self, channels: list[str]) -> None:
        self.client.mark_stale()
        self._orphans.update(channels)
        if self._healer is None or self._healer.done():
            self._healer = asyncio.create_task(self._heal(), name="tandem-hub-heal")

    async def _heal(self) -> None:
        """Subscribe every orphaned channel on its owner now; back off while the cluster fails over."""
        delay = RETRY_FIRST_S
        while self._orphans:
            done: list[str] = []
            async with self._lock:
                for channel in sorted(self._orphans):
                    if not self.listeners.get(channel):
                        self._orphans.discard(channel)
                        continue
                    try:
                        await self._ssubscribe(channel)
                    except (RedisError, OSError):
                        self.client.mark_stale()
                        break
                    self._orphans.discard(channel)
                    done.append(channel)
            if done:
                self.resubscribes += len(done)
                self.reconnects += 1
                log.info("re-subscribed %d channel(s) on their owners", len(done))
                await self._catchup(done)
            if self._orphans:
                await asyncio.sleep(delay)
                delay = min(RETRY_MAX_S, delay * 2)
