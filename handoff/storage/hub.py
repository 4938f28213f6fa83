"""One Redis pub/sub connection per process, shared by every socket on it.

Sockets subscribe to channels with a callback; the hub keeps a reference count per channel so Redis sees
one SUBSCRIBE however many local sockets listen. If the connection drops, the hub reconnects and
resubscribes; sockets then catch up from the transcript stream (pub/sub is only a doorbell).

On Redis Cluster the hub is handoff/storage/sharded_hub.py's ShardedHub (SSUBSCRIBE on each channel's node);
`Hub.for_client` picks the one a client needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import OrderedDict, defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError

from handoff.storage import keys

log = logging.getLogger(__name__)
Callback = Callable[[str, dict[str, Any]], Awaitable[None] | None]
ECHO_KEPT = 10_000  # locally delivered events whose pub/sub copy is still to be dropped


class Hub:
    def __init__(self, client: aioredis.Redis) -> None:
        self.client = client
        self.pubsub = self._new_pubsub()
        self.listeners: dict[str, set[Callback]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.reconnects = 0
        # echo(): events delivered here before their pub/sub copy came (the copy is dropped), and events
        # pub/sub delivered before echo() was called for them (the echo is dropped).
        self._echoed: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._heard: OrderedDict[tuple[str, str], None] = OrderedDict()

    @staticmethod
    def for_client(client: Any) -> Hub:
        """The hub for `client`: sharded pub/sub on a Redis Cluster, plain pub/sub otherwise."""
        if getattr(client, "is_cluster", False):
            from handoff.storage.sharded_hub import ShardedHub

            return ShardedHub(client)
        return Hub(client)

    def _new_pubsub(self) -> Any:
        return self.client.pubsub(ignore_subscribe_messages=True)

    async def start(self) -> None:
        # A placeholder channel keeps the pubsub connection in subscribed mode, so get_message works
        # before any socket has subscribed.
        await self.pubsub.subscribe(keys.CH_HUB)
        self._task = asyncio.create_task(self._run(), name="tandem-hub")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self.pubsub.close()

    async def subscribe(self, channel: str, callback: Callback) -> None:
        async with self._lock:
            first = not self.listeners.get(channel)
            self.listeners[channel].add(callback)
            if first:
                await self._first_listener(channel)

    async def unsubscribe(self, channel: str, callback: Callback) -> None:
        async with self._lock:
            group = self.listeners.get(channel)
            if not group:
                return
            group.discard(callback)
            if not group:
                del self.listeners[channel]
                await self._last_listener_gone(channel)

    async def _first_listener(self, channel: str) -> None:
        """Redis's side of a channel that now has a listener here (ShardedHub: SSUBSCRIBE on its node)."""
        await self.pubsub.subscribe(channel)

    async def _last_listener_gone(self, channel: str) -> None:
        """Redis's side of a channel nobody here listens to any more."""
        try:
            await self.pubsub.unsubscribe(channel)
        except (RedisConnectionError, OSError):
            pass  # the reconnect path resubscribes only to channels still listened to

    def echo(self, channel: str, raw: str) -> None:
        """Deliver an event this instance has just published to its own listeners now, one Redis round
        trip sooner (the customer who is waiting for the bot is almost always connected here). Whichever
        comes second, this or the pub/sub copy, is dropped: each listener gets the event once."""
        key = (channel, raw)
        if key in self._heard:
            del self._heard[key]  # pub/sub was quicker
            return
        _remember(self._echoed, key)
        for result in self._dispatch(channel, json.loads(raw)):
            asyncio.ensure_future(result)

    def _dispatch(self, channel: str, event: dict[str, Any]) -> list[Any]:
        pending = []
        for callback in list(self.listeners.get(channel, ())):
            try:
                result = callback(channel, event)
                if asyncio.iscoroutine(result):
                    pending.append(result)
            except Exception:  # one broken socket must not stop delivery to the others
                log.exception("pub/sub listener failed on %s", channel)
        return pending

    async def _run(self) -> None:
        while True:
            try:
                msg = await self.pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except (RedisConnectionError, OSError) as exc:
                log.warning("pub/sub connection lost (%s); reconnecting", type(exc).__name__)
                await self._reconnect()
                continue
            if msg is None or msg.get("type") != "message":
                continue
            await self._deliver(msg["channel"], msg["data"])

    async def _deliver(self, channel: str, data: str) -> None:
        """One event heard from Redis: to every listener of `channel`, unless echo() delivered it already."""
        key = (channel, data)
        if key in self._echoed:
            del self._echoed[key]
            return  # already delivered here by echo()
        _remember(self._heard, key)
        try:
            event = json.loads(data)
        except ValueError:
            log.error("dropping a malformed pub/sub event on %s", channel)
            return
        for result in self._dispatch(channel, event):
            try:
                await result
            except Exception:
                log.exception("pub/sub listener failed on %s", channel)

    async def _catchup(self, channels: list[str]) -> None:
        """Events published while we were away are lost to pub/sub: tell the listeners of `channels` to catch
        up from the transcript streams and snapshots."""
        for channel in channels:
            for callback in list(self.listeners.get(channel, ())):
                result = callback(channel, {"kind": "catchup"})
                if asyncio.iscoroutine(result):
                    await result

    async def _reconnect(self) -> None:
        delay = 0.2
        while True:
            try:
                await self.pubsub.reset()
                self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
                await self.pubsub.subscribe(keys.CH_HUB, *list(self.listeners))
                self.reconnects += 1
                await self._catchup(list(self.listeners))
                return
            except (RedisConnectionError, OSError):
                await asyncio.sleep(delay)
                delay = min(5.0, delay * 2)


def _remember(seen: OrderedDict[tuple[str, str], None], key: tuple[str, str]) -> None:
    """Add to a bounded memory: the oldest is forgotten (a pub/sub copy lost in a reconnect, an event
    no echo will ask for)."""
    seen[key] = None
    while len(seen) > ECHO_KEPT:
        seen.popitem(last=False)
