"""The awaited Redis tracker and lock stores (bot/redis_stores.py) against the tests' private Redis."""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import urlsplit

import pytest
from rasa.core.lock_store import LockError, RedisLockStore
from rasa.core.tracker_store import RedisTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot import rasa_speedups
from bot.redis_stores import AsyncRedisLockStore, AsyncRedisTrackerStore

rasa_speedups.apply()  # as the gateway runs them: the merge fix applies to both stores alike


def _where(redis_url: str) -> dict:
    parts = urlsplit(redis_url)
    return {"host": parts.hostname, "port": parts.port, "db": int(parts.path.strip("/") or 0)}


def _session(sender: str, start: float) -> list:
    events = [SlotSet("session_started_metadata", {"customer": {"id": sender}}), ActionExecuted("action_session_start"),
              SessionStarted(), ActionExecuted("action_listen"),
              UserUttered("where is my card", {"name": "card_arrival", "confidence": 0.9}),
              BotUttered("It takes 5-7 working days."), ActionExecuted("action_listen")]
    for i, event in enumerate(events):
        event.timestamp = start + i
    return events


@pytest.fixture
def stores(redis_url: str) -> tuple[AsyncRedisTrackerStore, RedisTrackerStore]:
    prefix = "t" + uuid.uuid4().hex[:8]
    where = {**_where(redis_url), "key_prefix": prefix, "record_exp": 3600}
    return AsyncRedisTrackerStore(Domain.empty(), **where), RedisTrackerStore(Domain.empty(), **where)


async def test_a_tracker_saved_awaited_reads_back_the_same_in_rasas_own_store(stores) -> None:  # type: ignore[no-untyped-def]
    ours, rasas = stores
    tracker = DialogueStateTracker.from_events("c1", _session("c1", 100.0))
    await ours.save(tracker)
    back = await rasas.retrieve_full_tracker("c1")
    assert back is not None
    assert [e.as_dict() for e in back.events] == [e.as_dict() for e in tracker.events]
    assert 0 < rasas.red.ttl(rasas.key_prefix + "c1") <= 3600  # record_exp is kept


async def test_the_latest_session_is_retrieved_and_saving_it_keeps_the_earlier_ones(stores) -> None:  # type: ignore[no-untyped-def]
    ours, rasas = stores
    first, second = _session("c2", 100.0), _session("c2", 200.0)
    await rasas.save(DialogueStateTracker.from_events("c2", first + second))
    latest = await ours.retrieve("c2")
    theirs = await rasas.retrieve("c2")
    assert latest is not None and theirs is not None
    assert [e.as_dict() for e in latest.events] == [e.as_dict() for e in theirs.events]
    latest.update(UserUttered("thanks", timestamp=300.0))
    await ours.save(latest)
    full = await rasas.retrieve_full_tracker("c2")
    assert full is not None and len(full.events) == len(first) + len(second) + 1
    assert full.events[-1].as_dict()["text"] == "thanks"


async def test_an_unknown_conversation_retrieves_nothing(stores) -> None:  # type: ignore[no-untyped-def]
    ours, _ = stores
    assert await ours.retrieve("nobody-" + uuid.uuid4().hex) is None


def test_the_endpoints_file_names_the_awaited_stores_and_rasa_builds_them(redis_url: str) -> None:
    """A misspelt module path would make Rasa fall back to an in-memory tracker store silently."""
    from handoff.bot_bridge import load_endpoints
    from handoff.settings import Settings

    endpoints = load_endpoints(Settings(redis_url=redis_url))
    tracker_store = TrackerStore.create(endpoints.tracker_store, Domain.empty())
    inner = getattr(tracker_store, "_tracker_store", tracker_store)
    assert isinstance(inner, AsyncRedisTrackerStore)
    assert inner.key_prefix == "tandem:tracker:"
    from rasa.core.lock_store import LockStore

    lock_store = LockStore.create(endpoints.lock_store)
    assert isinstance(lock_store, AsyncRedisLockStore)
    assert lock_store.key_prefix == "tandem:lock:"


@pytest.fixture
def lock_store(redis_url: str) -> AsyncRedisLockStore:
    config = EndpointConfig(url=_where(redis_url)["host"], port=_where(redis_url)["port"],
                            db=_where(redis_url)["db"], key_prefix="t" + uuid.uuid4().hex[:8])
    return AsyncRedisLockStore(endpoint_config=config)


async def test_turns_of_one_conversation_run_one_at_a_time(lock_store: AsyncRedisLockStore) -> None:
    inside: list[int] = []
    overlaps: list[int] = []

    async def turn(i: int) -> None:
        async with lock_store.lock("c1"):
            if inside:
                overlaps.append(i)
            inside.append(i)
            await asyncio.sleep(0.02)
            inside.remove(i)

    await asyncio.gather(*(turn(i) for i in range(6)))
    assert overlaps == []
    assert lock_store.red.exists(lock_store.key_prefix + "c1") == 0  # released by the last holder


async def test_two_conversations_do_not_wait_for_each_other(lock_store: AsyncRedisLockStore) -> None:
    async def other() -> bool:
        async with lock_store.lock("b"):
            return True

    async with lock_store.lock("a"):
        assert await asyncio.wait_for(other(), 1)


async def test_a_turn_that_outlived_its_lock_does_not_free_the_next_turns(lock_store: AsyncRedisLockStore) -> None:
    key = lock_store.key_prefix + "c1"
    async with lock_store.lock("c1", lock_lifetime=0.05):
        await asyncio.sleep(0.1)  # expired meanwhile; another turn takes it
        lock_store.red.set(key, b"someone-else", px=5000)
    assert lock_store.red.get(key) == b"someone-else"


async def test_a_lock_never_given_back_raises_after_its_lifetime(lock_store: AsyncRedisLockStore) -> None:
    lock_store.red.set(lock_store.key_prefix + "stuck", b"crashed-holder", px=5000)
    with pytest.raises(LockError, match="stuck"):
        async with lock_store.lock("stuck", lock_lifetime=0.1):
            pass


def test_rasas_own_lock_store_class_is_still_what_it_extends() -> None:
    assert issubclass(AsyncRedisLockStore, RedisLockStore)
