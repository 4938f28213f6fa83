"""Agent assist in Redis: the index of good past replies (a stream every instance follows), each customer
message's parse as assist needs it, the drafts shown, the live counts, and the details of teach proposals.

handoff/assist/service.py decides what goes in; this only reads and writes.
"""

from __future__ import annotations

import json
from typing import Any

import redis.asyncio as aioredis

from handoff.storage import keys, lua

COUNTERS = ("shown", "used", "edited", "unchanged", "proposed", "accepted", "rejected")
PROPOSAL_TTL_S = 90 * 24 * 3600  # as the inbox item it belongs to (handoff/admin/inbox.py ITEM_TTL_S)


class AssistRecords:
    def __init__(self, client: aioredis.Redis, ttl_s: int) -> None:
        self.r = client
        self.ttl = ttl_s  # the conversation's own TTL: its parses and drafts go with it
        self._index = client.register_script(lua.ASSIST_INDEX)

    # ------------------------------------------------------------ per message

    async def note_parse(self, conversation_id: str, seq: int, record: dict[str, Any]) -> None:
        key = keys.assist(conversation_id)
        async with self.r.pipeline(transaction=False) as p:
            p.hset(key, str(seq), json.dumps(record, separators=(",", ":")))
            p.expire(key, self.ttl)
            await p.execute()

    async def parses(self, conversation_id: str) -> dict[int, dict[str, Any]]:
        raw = await self.r.hgetall(keys.assist(conversation_id))
        return {int(k): json.loads(v) for k, v in raw.items() if k.isdigit()}

    async def parse(self, conversation_id: str, seq: int) -> dict[str, Any] | None:
        raw = await self.r.hget(keys.assist(conversation_id), str(seq))
        return json.loads(raw) if raw else None

    async def save_drafts(self, conversation_id: str, seq: int, drafts: list[dict[str, Any]]) -> None:
        key = keys.assist(conversation_id)
        async with self.r.pipeline(transaction=False) as p:
            p.hset(key, f"d:{seq}", json.dumps(drafts, separators=(",", ":")))
            p.expire(key, self.ttl)
            await p.execute()

    async def drafts(self, conversation_id: str, seq: int) -> list[dict[str, Any]] | None:
        raw = await self.r.hget(keys.assist(conversation_id), f"d:{seq}")
        return json.loads(raw) if raw else None

    # ------------------------------------------------------------ the index

    async def add_to_index(self, conversation_id: str, entries: list[dict[str, Any]]) -> int:
        """Append a conversation's pairs once (lua.ASSIST_INDEX); returns how many were added."""
        payload = [json.dumps(e, separators=(",", ":")) for e in entries]
        return int(await self._index(**lua.assist_index_call(conversation_id, entries=payload).kwargs()))

    async def read_index(self, after: str = "0-0", count: int = 1000) -> list[tuple[str, dict[str, Any]]]:
        """Entries after stream id `after`, oldest first: (id, entry)."""
        found = await self.r.xrange(keys.ASSIST_INDEX, min=f"({after}" if after != "0-0" else "-", count=count)
        return [(eid, json.loads(fields["e"])) for eid, fields in found]

    # ------------------------------------------------------------ counts

    async def count(self, counter: str, n: int = 1) -> None:
        if counter not in COUNTERS:
            raise ValueError(f"unknown assist counter {counter!r}")
        await self.r.hincrby(keys.ASSIST_COUNTS, counter, n)

    async def counts(self) -> dict[str, int]:
        raw = await self.r.hgetall(keys.ASSIST_COUNTS)
        return {c: int(raw.get(c) or 0) for c in COUNTERS}

    # ------------------------------------------------------------ proposals

    async def save_proposal(self, item_id: str, fields: dict[str, Any]) -> None:
        key = keys.assist_proposal(item_id)
        async with self.r.pipeline(transaction=True) as p:
            p.hset(key, mapping={k: str(v) for k, v in fields.items()})
            p.expire(key, PROPOSAL_TTL_S)
            await p.execute()

    async def proposal(self, item_id: str) -> dict[str, str]:
        return await self.r.hgetall(keys.assist_proposal(item_id))

    async def proposals(self, item_ids: list[str]) -> list[dict[str, str]]:
        async with self.r.pipeline(transaction=False) as p:
            for iid in item_ids:
                p.hgetall(keys.assist_proposal(iid))
            return list(await p.execute())
