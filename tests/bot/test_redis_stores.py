"""The awaited Redis tracker and lock stores (bot/redis_stores.py) against the tests' private Redis."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any
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


class _Tagged:
    """Rasa's own store's sync client, with each tracker key as ours names it (`<prefix>{<id>}`: the
    conversation's hash tag, keys.py): the two stores then share the values, as in one desk."""

    def __init__(self, red: Any, prefix: str) -> None:
        self._red, self._prefix = red, prefix

    def _key(self, key: Any) -> Any:
        if isinstance(key, str) and key.startswith(self._prefix) and not key.endswith("}"):
            return self._prefix + "{" + key[len(self._prefix):] + "}"
        return key

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._red, name)
        return lambda key, *args, **kwargs: method(self._key(key), *args, **kwargs)


@pytest.fixture
def stores(redis_url: str) -> tuple[AsyncRedisTrackerStore, RedisTrackerStore]:
    prefix = "t" + uuid.uuid4().hex[:8]
    where = {**_where(redis_url), "key_prefix": prefix, "record_exp": 3600}
    rasas = RedisTrackerStore(Domain.empty(), **where)
    rasas.red = _Tagged(rasas.red, rasas.key_prefix)
    return AsyncRedisTrackerStore(Domain.empty(), **where), rasas


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


def _dicts(tracker: DialogueStateTracker | None) -> list[dict]:
    assert tracker is not None
    return [e.as_dict() for e in tracker.events]


def _count_reads(store: AsyncRedisTrackerStore, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every stored tracker the store deserialises (a replay of all its events)."""
    reads: list[str] = []
    original = store.deserialise_tracker

    def counted(sender_id: str, stored: str) -> DialogueStateTracker | None:
        reads.append(sender_id)
        return original(sender_id, stored)

    monkeypatch.setattr(store, "deserialise_tracker", counted)
    return reads


async def test_a_turn_saved_unread_stores_what_rasas_merge_stores(stores, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    ours, rasas = stores
    await rasas.save(DialogueStateTracker.from_events("c4", _session("c4", 100.0)))
    mine, theirs = await ours.retrieve("c4"), await rasas.retrieve("c4")
    for tracker in (mine, theirs):
        assert tracker is not None
        tracker.update(UserUttered("and my PIN?", timestamp=150.0))
        tracker.update(BotUttered("Your PIN is in the app.", timestamp=151.0))
    reads = _count_reads(ours, monkeypatch)
    await ours.save(mine)
    assert reads == []  # nothing was written meanwhile: not read back, not replayed, not merged
    ours_stored = _dicts(await rasas.retrieve_full_tracker("c4"))
    await rasas.save(theirs)  # Rasa's own store, same turn, from the same stored value
    assert ours_stored == _dicts(await rasas.retrieve_full_tracker("c4"))
    assert ours_stored[0]["event"] == "slot"  # the metadata before the session start is kept in front
    assert 0 < rasas.red.ttl(rasas.key_prefix + "c4") <= 3600


async def test_a_tracker_saved_twice_after_one_read_is_stored_once_with_both_turns(stores) -> None:  # type: ignore[no-untyped-def]
    ours, rasas = stores
    await rasas.save(DialogueStateTracker.from_events("c5", _session("c5", 100.0)))
    mine = await ours.retrieve("c5")
    assert mine is not None
    mine.update(UserUttered("first", timestamp=150.0))
    await ours.save(mine)
    mine.update(UserUttered("second", timestamp=160.0))
    await ours.save(mine)
    texts = [e.get("text") for e in _dicts(await rasas.retrieve_full_tracker("c5")) if e["event"] == "user"]
    assert texts == ["where is my card", "first", "second"]


async def test_a_stored_value_in_another_json_layout_is_still_saved_whole(stores) -> None:  # type: ignore[no-untyped-def]
    import json

    ours, rasas = stores
    events = [e.as_dict() for e in _session("c8", 100.0)]
    rasas.red.set(rasas.key_prefix + "c8", json.dumps({"name": "c8", "events": events}, indent=1))  # not Rasa's layout
    mine = await ours.retrieve("c8")
    assert mine is not None
    mine.update(UserUttered("new", timestamp=150.0))
    await ours.save(mine)
    stored = _dicts(await rasas.retrieve_full_tracker("c8"))
    assert len(stored) == len(events) + 1 and stored[-1]["text"] == "new"


async def test_a_write_by_another_instance_meanwhile_is_merged_not_overwritten(stores, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    ours, rasas = stores
    await rasas.save(DialogueStateTracker.from_events("c6", _session("c6", 100.0)))
    mine, elsewhere = await ours.retrieve("c6"), await rasas.retrieve("c6")
    assert mine is not None and elsewhere is not None
    elsewhere.update(SlotSet("handoff_reason", "asked", timestamp=140.0))
    await rasas.save(elsewhere)  # e.g. a pause written by the instance the agent is on
    mine.update(UserUttered("mine", timestamp=150.0))
    reads = _count_reads(ours, monkeypatch)
    await ours.save(mine)
    assert reads == ["c6"]  # the stored value changed: Rasa's merge ran on it
    stored = _dicts(await rasas.retrieve_full_tracker("c6"))
    assert {"event": "slot", "name": "handoff_reason", "value": "asked"}.items() <= \
        next(e for e in stored if e.get("name") == "handoff_reason").items()
    assert stored[-1]["text"] == "mine"


async def test_a_tracker_not_read_from_the_store_is_merged_as_rasa_merges_it(stores) -> None:  # type: ignore[no-untyped-def]
    ours, rasas = stores
    await rasas.save(DialogueStateTracker.from_events("c7", _session("c7", 100.0)))
    fresh = DialogueStateTracker.from_events("c7", _session("c7", 100.0)[1:] + [UserUttered("new", timestamp=150.0)])
    await ours.save(fresh)
    stored = _dicts(await rasas.retrieve_full_tracker("c7"))
    assert [e["event"] for e in stored][:2] == ["slot", "action"] and stored[-1]["text"] == "new"
    assert len(stored) == len(_session("c7", 100.0)) + 1


def test_the_endpoints_file_names_the_awaited_stores_and_rasa_builds_them(redis_url: str) -> None:
    """A misspelt module path would make Rasa fall back to an in-memory tracker store silently."""
    from handoff.assistant.bot_bridge import load_endpoints
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
    assert lock_store.red.exists(lock_store.lock_key("c1")) == 0  # released by the last holder


async def test_two_conversations_do_not_wait_for_each_other(lock_store: AsyncRedisLockStore) -> None:
    async def other() -> bool:
        async with lock_store.lock("b"):
            return True

    async with lock_store.lock("a"):
        assert await asyncio.wait_for(other(), 1)


async def test_a_turn_that_outlived_its_lock_does_not_free_the_next_turns(lock_store: AsyncRedisLockStore) -> None:
    key = lock_store.lock_key("c1")
    async with lock_store.lock("c1", lock_lifetime=0.05):
        await asyncio.sleep(0.1)  # expired meanwhile; another turn takes it
        lock_store.red.set(key, b"someone-else", px=5000)
    assert lock_store.red.get(key) == b"someone-else"


async def test_a_lock_never_given_back_raises_after_its_lifetime(lock_store: AsyncRedisLockStore) -> None:
    lock_store.red.set(lock_store.lock_key("stuck"), b"crashed-holder", px=5000)
    with pytest.raises(LockError, match="stuck"):
        async with lock_store.lock("stuck", lock_lifetime=0.1):
            pass


def test_rasas_own_lock_store_class_is_still_what_it_extends() -> None:
    assert issubclass(AsyncRedisLockStore, RedisLockStore)
