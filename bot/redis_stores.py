"""Rasa's Redis tracker and lock stores, speaking to Redis without blocking the event loop.

Why: Rasa 3.6's RedisTrackerStore and RedisLockStore use the synchronous redis client inside its
async turn. Every GET/SET (two tracker reads, one write, five lock round trips per turn) then held the
gateway's whole event loop while Redis fsynced its AOF: ~12 % of the gateway's busy time on a 50-chat
load was spent blocked in `read_from_socket` (py-spy, docs/performance.md), with every other
conversation's frames waiting behind it.

- AsyncRedisTrackerStore: the same keys, values and merge as Rasa's (a tracker saved by either store
  is read by the other); only the round trips are awaited. A tracker it handed out is saved back
  without deserialising (a replay of every event) and merging the stored one again when the stored
  value is still the one it was read from: compared under WATCH, written in MULTI/EXEC, so nothing can
  get in between; otherwise (another instance wrote meanwhile) Rasa's merge runs. (A Lua script that
  compared on the server cost Redis ~4 µs per KB of tracker: copying a value into Lua and back is slow.)
  The value written is the stored one with the turn's new events spliced in: only they are
  serialised, so a save costs the same at the 5th turn and the 50th (events are only ever appended).
- AsyncRedisLockStore: one conversation's turns still run one at a time across instances, but as a
  plain Redis mutex (SET NX PX, released by a compare-and-delete script): one round trip to take it
  and one to give it back, atomic on the server. Rasa's ticket lock is a read-modify-write of a JSON
  list, which is only safe when nothing can run between the read and the write: true of blocking
  calls, false once they are awaited.

Named in endpoints.yml as `type: bot.redis_stores.AsyncRedisTrackerStore` (resp. LockStore).
"""

from __future__ import annotations

import asyncio
import json
import operator
import secrets
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from rasa.core.lock_store import DEFAULT_SOCKET_TIMEOUT_IN_SECONDS, LOCK_LIFETIME, LockError, RedisLockStore
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.conversation import Dialogue
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker, get_trackers_for_conversation_sessions
from rasa.utils.endpoints import EndpointConfig
from redis.exceptions import WatchError

# Released only by its holder: a turn that outlived its lock must not free the next turn's.
RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"
FIRST_WAIT_S, MAX_WAIT_S = 0.005, 0.1  # polling a held lock: 5 ms, doubling to 100 ms
@dataclass
class _Read:
    """What a handed-out tracker was read from: enough to write it back without reading it again."""

    tracker: weakref.ref
    events: tuple[Event, ...]  # its events when handed out; those after them are the turn's new ones
    earlier: list[Event]  # stored events before them (earlier sessions): kept in front, as Rasa's merge does
    stored: str  # the stored value, as Rasa serialises a Dialogue: {"events": [...], "name": ...}


def _with_events(stored: str, name: str, new: list[Event]) -> str | None:
    """`stored` (a serialised Dialogue named `name`) with `new` appended to its events, written as
    json.dumps(Dialogue.as_dict()) writes them; None where `stored` is not in that shape."""
    tail = '], "name": ' + json.dumps(name) + "}"
    if not stored.startswith('{"events": [') or stored.startswith('{"events": []') or not stored.endswith(tail):
        return None
    if not new:
        return stored
    return stored[:-len(tail)] + ", " + json.dumps([event.as_dict() for event in new])[1:-1] + tail


TOPOLOGY_KWARGS = ("sentinels", "sentinel_service", "cluster")  # endpoints.yml: Redis Sentinel, Redis Cluster


def _topology_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Take endpoints.yml's Sentinel and Cluster keys out of `kwargs` (Rasa's own stores do not know them)."""
    return {name: kwargs.pop(name) for name in TOPOLOGY_KWARGS if name in kwargs}


def _async_client(decode: bool, host: str = "localhost", port: int | str = 6379, db: int | str = 0,
                  username: str | None = None, password: str | None = None, use_ssl: bool = False,
                  ssl_keyfile: str | None = None, ssl_certfile: str | None = None, ssl_ca_certs: str | None = None,
                  socket_timeout: float | None = None, sentinels: str | None = None,
                  sentinel_service: str | None = None, cluster: str | None = None, **_: Any) -> Any:
    """A redis.asyncio client for the same server, database and TLS settings as the store's own (sync)
    client; the other keyword arguments of Rasa's stores (key_prefix, record_exp, ...) are not its. With
    `sentinels`, the gateway's own way to its Redis (handoff/storage/topology.py): the primary the sentinels
    name now, so the stores follow a failover. With `cluster` (seed nodes), a Redis Cluster client (database
    0, the only one there): each conversation's tracker and lock go to its slot (`tracker_key`, `lock_key`),
    and the tracker's WATCH/MULTI runs on that slot's primary (handoff/storage/cluster.py)."""
    import redis.asyncio as aioredis

    if cluster:
        from urllib.parse import quote

        from handoff.storage.cluster import parse_nodes
        from handoff.storage.topology import Topology

        auth = f"{quote(username or '')}:{quote(password)}@" if password else ""
        seeds = tuple((n.host, n.port) for n in parse_nodes(cluster))
        return Topology(f"redis://{auth}{host}:{port}/0", cluster=seeds).client(decode_responses=decode,
                                                                               socket_timeout=socket_timeout)
    if sentinels:
        from urllib.parse import quote

        from handoff.storage.topology import Topology, parse_sentinels

        auth = f"{quote(username or '')}:{quote(password)}@" if password else ""
        url = f"{'rediss' if use_ssl else 'redis'}://{auth}{host}:{port}/{db}"
        topology = Topology(url, parse_sentinels(sentinels), sentinel_service or "tandem")
        return topology.client(decode_responses=decode, socket_timeout=socket_timeout)
    return aioredis.Redis(host=host, port=int(port), db=int(db), username=username, password=password,
                          ssl=use_ssl, ssl_keyfile=ssl_keyfile, ssl_certfile=ssl_certfile, ssl_ca_certs=ssl_ca_certs,
                          decode_responses=decode, socket_timeout=socket_timeout)


class AsyncRedisTrackerStore(RedisTrackerStore):
    """RedisTrackerStore whose save and retrieve await Redis (same keys and serialisation)."""

    def __init__(self, domain: Any, **kwargs: Any) -> None:
        topology = _topology_kwargs(kwargs)
        super().__init__(domain, **kwargs)
        self.ared = _async_client(decode=True, **kwargs, **topology)
        self._reads: dict[int, _Read] = {}  # by id() of a tracker handed out and still alive

    def tracker_key(self, sender_id: str) -> str:
        """`tandem:tracker:{<id>}`: the conversation id is the hash tag (keys.py), its slot the conversation's."""
        return self.key_prefix + "{" + sender_id + "}"

    async def save(self, tracker: DialogueStateTracker, timeout: float | None = None) -> None:
        """As RedisTrackerStore.save: stream the events, merge with what is stored, write it back. When
        nothing was written since `tracker` was read, the merge is known without reading: what was
        stored, then the events added since."""
        await self.stream_events(tracker)
        if not timeout and self.record_exp:
            timeout = self.record_exp
        key = self.tracker_key(tracker.sender_id)
        read = self._reads.get(id(tracker))
        if read is not None and read.tracker() is tracker and len(tracker.events) >= len(read.events) \
                and all(map(operator.is_, read.events, tracker.events)):
            body = _with_events(read.stored, tracker.sender_id, list(tracker.events)[len(read.events):]) or \
                json.dumps(Dialogue(tracker.sender_id, read.earlier + list(tracker.events)).as_dict())
            if await self._set_if_unchanged(key, read.stored, body, timeout):
                self._remember(tracker, read.earlier, body)
                return
        stored = await self.ared.get(key)
        if stored is not None:
            tracker = self._merge_trackers(self.deserialise_tracker(tracker.sender_id, stored), tracker)
        await self.ared.set(key, self.serialise_tracker(tracker), ex=timeout)

    async def _retrieve(self, sender_id: str, fetch_all_sessions: bool) -> DialogueStateTracker | None:
        stored = await self.ared.get(self.tracker_key(sender_id))
        if stored is None:
            return None
        tracker = self.deserialise_tracker(sender_id, stored)
        if tracker is None:
            return None
        if not fetch_all_sessions:
            sessions = get_trackers_for_conversation_sessions(tracker)
            if len(sessions) > 1:
                latest = sessions[-1]
                held = len(latest.events)
                everything = list(tracker.events)
                if held and all(map(operator.is_, latest.events, everything[-held:])):
                    self._remember(latest, everything[:-held], stored)
                return latest
        self._remember(tracker, [], stored)
        return tracker

    def _remember(self, tracker: DialogueStateTracker, earlier: list[Event], stored: str) -> None:
        key = id(tracker)
        if key not in self._reads:
            weakref.finalize(tracker, self._reads.pop, key, None)
        self._reads[key] = _Read(weakref.ref(tracker), tuple(tracker.events), earlier, stored)

    async def _set_if_unchanged(self, key: str, expected: str, body: str, timeout: float | None) -> bool:
        """Write `body` if `key` still holds `expected`; WATCH makes the EXEC fail if anyone wrote after."""
        async with self.ared.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(key)
                if await pipe.get(key) != expected:
                    return False
                pipe.multi()
                pipe.set(key, body, ex=timeout)
                await pipe.execute()
                return True
            except WatchError:
                return False


class AsyncRedisLockStore(RedisLockStore):
    """One turn at a time per conversation, across instances, with awaited Redis calls."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        if endpoint_config is not None:  # how Rasa builds a lock store named by its module path
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        kwargs.setdefault("db", 1)  # RedisLockStore's default
        kwargs.setdefault("socket_timeout", DEFAULT_SOCKET_TIMEOUT_IN_SECONDS)
        topology = _topology_kwargs(kwargs)
        super().__init__(**kwargs)
        self.ared = _async_client(decode=False, **kwargs, **topology)
        self._release = self.ared.register_script(RELEASE)

    def lock_key(self, conversation_id: str) -> str:
        """`tandem:lock:{<id>}`: in the conversation's slot, beside its tracker (keys.py)."""
        return self.key_prefix + "{" + conversation_id + "}"

    @asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = 1) -> AsyncIterator[str]:
        """Hold the conversation's lock for the block. Waits while another turn holds it, at most
        `lock_lifetime` (after which a crashed holder's lock has expired anyway); LockError after that.
        `wait_time_in_seconds` (Rasa's fixed poll interval) caps the polling interval here."""
        key = self.lock_key(conversation_id)
        token = secrets.token_hex(8)
        lifetime_ms = max(1, int(lock_lifetime * 1000))
        deadline = time.monotonic() + lock_lifetime
        wait = FIRST_WAIT_S
        while not await self.ared.set(key, token, nx=True, px=lifetime_ms):
            if time.monotonic() > deadline:
                raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
            await asyncio.sleep(wait)
            wait = min(wait * 2, MAX_WAIT_S, max(wait_time_in_seconds, FIRST_WAIT_S))
        try:
            yield token
        finally:
            await self._release(keys=[key], args=[token])
