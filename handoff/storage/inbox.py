"""The NLU inbox in Redis (handoff/admin/inbox.py decides what goes in and what it means).

One hash per item (keys.inbox_item), an index of open items and one of decided items (zsets: id -> last
seen / decided, ms). Items expire; their ids are pruned from the indexes when a read finds them gone.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis

from handoff.storage import keys, lua


class InboxRecords:
    def __init__(self, client: aioredis.Redis) -> None:
        self.r = client
        self._add = client.register_script(lua.INBOX_ADD)

    async def add(self, iid: str, text: str, *, intent: str, confidence: float, ranking: str, reason: str,
                  conversation_id: str, seq: int, now: int, ttl_s: int, max_open: int, suggested: str = "",
                  suggested_by: str = "") -> str:
        """Upsert one item (lua.INBOX_ADD); returns its status before this message."""
        return str(await self._add(**lua.inbox_add_call(
            iid, text=text, intent=intent, confidence=confidence, ranking=ranking, reason=reason,
            conversation_id=conversation_id, seq=seq, now=now, ttl_s=ttl_s, max_open=max_open, suggested=suggested,
            suggested_by=suggested_by).kwargs()))

    async def tag(self, iid: str, field: str) -> bool:
        """Set `field` to "1" on an item that exists; False when it does not."""
        key = keys.inbox_item(iid)
        if not await self.r.exists(key):
            return False
        await self.r.hset(key, field, "1")
        return True

    async def get(self, iid: str) -> dict[str, str]:
        """The item's raw fields ({} when there is none)."""
        return await self.r.hgetall(keys.inbox_item(iid))

    async def newest(self, open_items: bool, count: int) -> list[str]:
        """Ids of the open (or decided) index, newest first."""
        return await self.r.zrevrange(keys.INBOX_OPEN if open_items else keys.INBOX_DONE, 0, count - 1)

    async def counts(self) -> dict[str, int]:
        return {"open": await self.r.zcard(keys.INBOX_OPEN), "done": await self.r.zcard(keys.INBOX_DONE)}

    async def load(self, ids: list[str]) -> list[dict[str, str]]:
        """The raw fields of the items that still exist, in the order of `ids`."""
        if not ids:
            return []
        async with self.r.pipeline(transaction=False) as p:
            for iid in ids:
                p.hgetall(keys.inbox_item(iid))
            raws = await p.execute()
        stale = [iid for iid, raw in zip(ids, raws) if not raw]
        if stale:  # expired hashes leave their ids behind in the index
            await self.r.zrem(keys.INBOX_OPEN, *stale)
            await self.r.zrem(keys.INBOX_DONE, *stale)
        return [raw for raw in raws if raw]

    async def decide(self, ids: list[str], fields: dict[str, Any], now: int) -> None:
        """Set `fields` on the items and move them to the decided index."""
        async with self.r.pipeline(transaction=True) as p:
            for iid in ids:
                p.hset(keys.inbox_item(iid), mapping={**fields, "decided_ts": now})
                p.zrem(keys.INBOX_OPEN, iid)
                p.zadd(keys.INBOX_DONE, {iid: now})
            await p.execute()

    async def reopen(self, ids: list[str], now: int) -> None:
        async with self.r.pipeline(transaction=True) as p:
            for iid in ids:
                p.hset(keys.inbox_item(iid), mapping={"status": "open", "label": "", "decided_by": "",
                                                      "decided_ts": ""})
                p.zrem(keys.INBOX_DONE, iid)
                p.zadd(keys.INBOX_OPEN, {iid: now})
            await p.execute()

    async def delete(self, ids: list[str]) -> None:
        async with self.r.pipeline(transaction=True) as p:
            for iid in ids:
                p.delete(keys.inbox_item(iid))
                p.zrem(keys.INBOX_OPEN, iid)
                p.zrem(keys.INBOX_DONE, iid)
            await p.execute()
