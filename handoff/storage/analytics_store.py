"""Reading what the dashboard, the export and the desk-wide gauges need from Redis, through the gateway's
own Store and key functions (one naming of the schema: handoff/storage/keys.py).

Conversations carry no time index, so a date range is found by scanning the conversation hashes
(`SCAN MATCH tandem:conv:{*}`, non-blocking for Redis; every primary's on a cluster) and reading `created`; transcripts then come from
`Store.read_log`. That is fine for the retention the gateway keeps (CONVERSATION_TTL, 30 days by default)
at a single desk's volume; a bank-sized desk would add a sorted-set index in keys.py and store.py.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from handoff.core.clock import now_ms
from handoff.core.protocol import ID_RE, State
from handoff.reporting import analytics, metrics
from handoff.reporting.analytics import ConversationRecord
from handoff.storage import keys
from handoff.storage.feedback import FeedbackRecords
from handoff.storage.store import Store

ACTIVE_BOT_WINDOW_MS = 30 * 60_000  # a bot conversation with no message for this long is idle, not active
READ_CONCURRENCY = 32
PAGE = 5000


async def conversation_ids(store: Store) -> AsyncIterator[str]:
    """Ids of every stored conversation (each once; SCAN may repeat keys, so duplicates are dropped)."""
    seen: set[str] = set()
    # tandem:conv:{*} matches the conversations' own hashes only (their other keys go on after the tag).
    async for key in store.r.scan_iter(match=keys.conv("*"), count=1000, _type="hash"):
        cid = keys.conversation_of(key)
        if ID_RE.match(cid) and cid not in seen:
            seen.add(cid)
            yield cid


async def _fields(store: Store, ids: list[str], *names: str) -> list[list[str | None]]:
    async with store.r.pipeline(transaction=False) as p:
        for cid in ids:
            p.hmget(keys.conv(cid), list(names))
        return await p.execute()


async def ids_created_between(store: Store, since_ms: int, until_ms: int) -> list[str]:
    """Conversations created in [since_ms, until_ms), oldest first."""
    found: list[tuple[int, str]] = []
    batch: list[str] = []

    async def flush() -> None:
        for cid, (created,) in zip(batch, await _fields(store, batch, "created")):
            if created is not None and since_ms <= int(created) < until_ms:
                found.append((int(created), cid))
        batch.clear()

    async for cid in conversation_ids(store):
        batch.append(cid)
        if len(batch) >= 500:
            await flush()
    if batch:
        await flush()
    return [cid for _, cid in sorted(found)]


async def full_log(store: Store, conversation_id: str) -> list[dict[str, Any]]:
    """The whole transcript with intents and emotions merged in, however long it is."""
    out: list[dict[str, Any]] = []
    while True:
        page = await store.read_log(conversation_id, out[-1]["seq"] if out else 0, count=PAGE, with_nlu=True)
        out.extend(page)  # type: ignore[arg-type]
        if len(page) < PAGE:
            return out


async def read_record(store: Store, conversation_id: str) -> ConversationRecord | None:
    conv = await store.get(conversation_id)
    if conv is None:  # expired between the scan and now
        return None
    return ConversationRecord.from_store(conv, await full_log(store, conversation_id),
                                         await FeedbackRecords(store).all(conversation_id))


async def records_between(store: Store, since_ms: int, until_ms: int, limit: int = 50_000
                          ) -> tuple[list[ConversationRecord], bool]:
    """Conversations created in the range, oldest first, and whether `limit` cut the list short."""
    ids = await ids_created_between(store, since_ms, until_ms)
    truncated = len(ids) > limit
    ids = ids[:limit]
    gate = asyncio.Semaphore(READ_CONCURRENCY)

    async def one(cid: str) -> ConversationRecord | None:
        async with gate:
            return await read_record(store, cid)

    records = await asyncio.gather(*(one(cid) for cid in ids))
    return [r for r in records if r is not None], truncated


async def latest_records(store: Store, count: int) -> list[ConversationRecord]:
    """The `count` most recently created conversations, oldest first (the admin's threshold preview)."""
    ids = (await ids_created_between(store, 0, now_ms() + 1))[-count:] if count > 0 else []
    gate = asyncio.Semaphore(READ_CONCURRENCY)

    async def one(cid: str) -> ConversationRecord | None:
        async with gate:
            return await read_record(store, cid)

    return [r for r in await asyncio.gather(*(one(cid) for cid in ids)) if r is not None]


# ---------------------------------------------------------------- live figures for /metrics


async def desk_snapshot(store: Store) -> dict[str, Any]:
    """Queue length, oldest wait, agents online and conversations by state, for `metrics.set_desk`."""
    now = now_ms()
    items = await store.queue_items()
    agents = await store.agents()
    oldest = min((int(i["waiting_since"]) for i in items if i.get("waiting_since")), default=now)
    active_bot = 0
    batch: list[str] = []

    async def flush() -> int:
        n = sum(1 for state, updated in await _fields(store, batch, "state", "updated")
                if state == State.BOT.value and updated and now - int(updated) <= ACTIVE_BOT_WINDOW_MS)
        batch.clear()
        return n

    async for cid in conversation_ids(store):
        batch.append(cid)
        if len(batch) >= 500:
            active_bot += await flush()
    if batch:
        active_bot += await flush()
    return {
        "queue_length": len(items),
        "oldest_wait_s": max(0.0, (now - oldest) / 1000),
        "agents_online": sum(1 for a in agents if a["status"] == "online"),
        "active": {State.BOT.value: active_bot, State.QUEUED.value: len(items),
                   State.AGENT.value: sum(a["active"] for a in agents)},
    }


class DeskGauges:
    """Refreshes the desk-wide gauges at most every `max_age_s`, however often Prometheus scrapes."""

    def __init__(self, max_age_s: float = 5.0) -> None:
        self.max_age_s = max_age_s
        self._at = 0.0
        self._lock = asyncio.Lock()

    async def refresh(self, store: Store) -> None:
        async with self._lock:
            if time.monotonic() - self._at < self.max_age_s:
                return
            metrics.set_desk(await desk_snapshot(store))
            self._at = time.monotonic()


async def record_agent_reply(store: Store, conversation_id: str, seq: int) -> None:
    """Call after an agent message is stored: if it is the first answer since an escalation, observe the
    time to first response — by the same definition the dashboard uses (analytics.facts)."""
    messages = await full_log(store, conversation_id)
    upto = [m for m in messages if m["seq"] <= seq]
    if not upto or upto[-1]["seq"] != seq or upto[-1].get("sender") != "agent":
        return
    after = analytics.facts(ConversationRecord(conversation_id, 0, "agent", tuple(upto)))
    before = analytics.facts(ConversationRecord(conversation_id, 0, "agent", tuple(upto[:-1])))
    if not after.handovers or len(after.handovers) != len(before.handovers):
        return
    seconds = after.handovers[-1].first_response_s
    if seconds is not None and before.handovers[-1].first_response_s is None:
        metrics.record_agent_first_response(seconds)
