"""Closed conversations, indexed for the console's history search: an inverted index in Redis sorted sets.

Why sorted sets and not SQLite FTS5 or RediSearch: RediSearch is not in our Redis, and a file on one
gateway's disk is not seen by the others; every instance already shares this Redis. Each index is a sorted
set of conversation id -> closed at (ms): one word, one customer, one agent, one reason, one rating. A search
intersects the sets its filters name (ZINTERSTORE, smallest set first, in C) inside one Lua script and reads
one page newest first with the date range as the score range (lua.HISTORY_SEARCH); the page's rows come from
the conversations' hashes in a second round trip (each in its own slot on a cluster; every index shares the
desk's). Memory: one entry per
distinct word of a conversation (at most history_terms.MAX_DOC_TERMS).

A conversation is indexed once, when it closes (Desk.close, Desk.callback); a rating adds it to one more set.
Entries live as long as the conversation itself (its TTL): older ones are trimmed whenever a set is written,
and a row whose conversation has expired is left out of the results.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis

from handoff.storage import keys, lua
from handoff.storage.history_terms import document_terms, terms
from handoff.storage.store import CLOSED_ROW_FIELDS, Store, closed_row

PAGE_MAX = 50
WALK_ABOVE = 5_000  # intersect in C up to this smallest set; above it walk newest first (lua.HISTORY_SEARCH)
COUNT_CAP = 500  # a walked search counts its matches up to here, then says "more"


@dataclass(frozen=True)
class HistoryQuery:
    """What the search form asks for; every filter given must match (AND). Built by the route from the URL."""

    words: list[str] = field(default_factory=list)  # history_terms.query_terms of the text box
    name_words: list[str] = field(default_factory=list)  # words of a customer's name
    customer_id: str | None = None
    agent: str | None = None
    reason: str | None = None
    rating: int | None = None
    resolution: str | None = None
    from_ms: int | None = None
    to_ms: int | None = None

    def index_keys(self) -> list[str]:
        out = [keys.hist("term", w) for w in self.words] + [keys.hist("name", w) for w in self.name_words]
        for name, value in (("customer", self.customer_id), ("agent", self.agent), ("reason", self.reason),
                            ("rating", None if self.rating is None else str(self.rating)),
                            ("resolution", self.resolution)):
            if value:
                out.append(keys.hist(name, value))
        return out or [keys.HIST_ALL]


@dataclass(frozen=True)
class SearchPage:
    total: int  # matches counted; when `more`, at least this many (the count stopped at COUNT_CAP)
    more: bool
    rows: list[dict[str, Any]]


def index_keys_of(conv: dict[str, Any], texts: Iterable[str], agents: Iterable[str]) -> list[str]:
    """Every index a closed conversation belongs to (HIST_ALL first). `conv`: the store's decoded hash."""
    customer = conv.get("customer") or {}
    reason = conv.get("reason") or {}
    out = [keys.HIST_ALL]
    out += [keys.hist("term", w) for w in sorted(document_terms(texts))]
    out += [keys.hist("name", w) for w in sorted(set(terms(str(customer.get("name") or ""))))]
    if customer.get("customer_id"):
        out.append(keys.hist("customer", str(customer["customer_id"])))
    out += [keys.hist("agent", a) for a in sorted(set(agents)) if a]
    if reason.get("kind"):
        out.append(keys.hist("reason", str(reason["kind"])))
    if conv.get("resolution"):
        out.append(keys.hist("resolution", str(conv["resolution"])))
    if conv.get("rating"):
        out.append(keys.hist("rating", str(conv["rating"])))
    return out


class History:
    def __init__(self, client: aioredis.Redis, conversation_ttl_s: int, walk_above: int = WALK_ABOVE,
                 count_cap: int = COUNT_CAP) -> None:
        self.r = client
        self.ttl = conversation_ttl_s
        self.walk_above, self.count_cap = walk_above, count_cap
        self._search = client.register_script(lua.HISTORY_SEARCH)

    async def index(self, conv: dict[str, Any], transcript: list[dict[str, Any]], closed_ms: int) -> int:
        """Add a closed conversation to its indexes; returns how many. Texts of every message and note;
        agents: whoever wrote in it, and whoever had it last."""
        texts = [str(m.get("text") or "") for m in transcript if m.get("sender") != "system"]
        agents = {str(m["agent"]) for m in transcript if m.get("agent")}
        agents.update(a for a in (conv.get("last_agent"), conv.get("closed_by"), conv.get("agent")) if a)
        index = index_keys_of(conv, texts, agents)
        await self.add(conv["conversation_id"], index, closed_ms)
        customer_id = (conv.get("customer") or {}).get("customer_id")
        if customer_id:
            await self.r.srem(keys.customer_live(str(customer_id)), conv["conversation_id"])
        return len(index)

    async def add(self, conversation_id: str, index: list[str], closed_ms: int) -> None:
        """One pipeline: the id into each set, each set trimmed to the TTL and kept alive with it."""
        oldest = closed_ms - self.ttl * 1000
        async with self.r.pipeline(transaction=False) as p:
            for key in index:
                p.zadd(key, {conversation_id: closed_ms})
                p.zremrangebyscore(key, "-inf", f"({oldest}")
                p.expire(key, self.ttl)
            await p.execute()

    async def add_many(self, entries: list[tuple[str, list[str], int]], chunk: int = 20_000) -> None:
        """Bulk form of `add` for (id, index keys, closed ms) entries: one ZADD per set and chunk instead of
        one per conversation and set (re-indexing, the benchmark's 100,000 conversations)."""
        by_key: dict[str, dict[str, int]] = {}
        for cid, index, closed_ms in entries:
            for key in index:
                by_key.setdefault(key, {})[cid] = closed_ms
        async with self.r.pipeline(transaction=False) as p:
            queued = 0
            for key, members in by_key.items():
                items = list(members.items())
                for i in range(0, len(items), chunk):
                    p.zadd(key, dict(items[i:i + chunk]))
                    queued += 1
                p.expire(key, self.ttl)
                if queued >= 200:
                    await p.execute()
                    queued = 0
            await p.execute()

    async def rated(self, conversation_id: str, score: int) -> None:
        """A rating came after the close: the conversation joins its rating's set, at its closing time."""
        closed_ms = await self.r.zscore(keys.HIST_ALL, conversation_id)
        if closed_ms is not None:
            await self.add(conversation_id, [keys.hist("rating", str(score))], int(closed_ms))

    async def search(self, query: HistoryQuery, offset: int = 0, limit: int = 20) -> SearchPage:
        """One page of rows newest first (store.closed_row's) and how many match."""
        index = query.index_keys()
        res = await self._search(**lua.history_search_call(
            index, scratch=keys.hist_tmp(uuid.uuid4().hex), from_ms=query.from_ms or 0,
            to_ms=query.to_ms if query.to_ms is not None else 2**53, offset=offset,
            limit=min(limit, PAGE_MAX), walk_above=self.walk_above, count_cap=self.count_cap).kwargs())
        total, more, flat = int(res[0]), res[1] == 1, res[2:]
        found = [(flat[i], int(float(flat[i + 1]))) for i in range(0, len(flat), 2)]
        return SearchPage(total, more, await self.rows(found))

    async def rows(self, found: list[tuple[str, int]]) -> list[dict[str, Any]]:
        if not found:
            return []
        async with self.r.pipeline(transaction=False) as p:
            for cid, _ in found:
                p.hmget(keys.conv(cid), *CLOSED_ROW_FIELDS)
            raw = await p.execute()
        rows = [closed_row(cid, closed_at, fields) for (cid, closed_at), fields in zip(found, raw)]
        return [row for row in rows if row is not None]

    async def closed_at(self, conversation_id: str) -> int | None:
        found = await self.r.zscore(keys.HIST_ALL, conversation_id)
        return None if found is None else int(found)

    # ------------------------------------------------------------ a customer's conversations

    async def reindex(self, store: Store, batch: int = 500) -> int:
        """Index every conversation an agent closed that the index does not hold yet (those closed before this
        index existed, or whose indexing failed): the ids come from each agent's closed list
        (keys.agent_closed). Returns how many were added. `python -m scripts.reindex_history` runs it."""
        added = 0
        pending: list[tuple[str, list[str], int]] = []
        for username in sorted(await self.r.smembers(keys.USERS)):
            for cid, closed_ms in await self.r.zrange(keys.agent_closed(username), 0, -1, withscores=True):
                if await self.r.zscore(keys.HIST_ALL, cid) is not None:
                    continue
                conv = await store.get(cid)
                if conv is None:
                    continue  # expired
                transcript = [dict(m) for m in await store.read_log(cid, 0, count=10_000)]
                texts = [str(m.get("text") or "") for m in transcript if m.get("sender") != "system"]
                agents = {str(m["agent"]) for m in transcript if m.get("agent")} | {username}
                pending.append((cid, index_keys_of(conv, texts, agents), int(closed_ms)))
                if len(pending) >= batch:
                    await self.add_many(pending)
                    added, pending = added + len(pending), []
        if pending:
            await self.add_many(pending)
            added += len(pending)
        return added

    async def live_of(self, customer_id: str) -> list[str]:
        """Ids of the customer's conversations not closed yet (Store marks them when the customer is known)."""
        return sorted(await self.r.smembers(keys.customer_live(customer_id)))
