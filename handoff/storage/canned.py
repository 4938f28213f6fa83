"""The console's canned responses in Redis: one hash (id -> JSON), ids from a counter so edits keep their id."""

from __future__ import annotations

import json
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import WatchError

from handoff.core import errors
from handoff.core.clock import now_ms
from handoff.storage import keys

CANNED_MAX = 200  # a list an agent can still scan in a dropdown

# Offered until an admin edits the list; deleting them all leaves it empty (it is not re-seeded).
DEFAULT_CANNED = (
    ("Greeting", ("Hi {name}, I'm here to help. I've read the conversation so far, so you don't need to "
                  "repeat anything.")),
    ("Card blocked", ("I've blocked the card so nobody can use it. A replacement is on its way and should "
                      "arrive within 5 working days.")),
    ("Checking", "Thank you for waiting. I'm checking this for you now; it will take a minute or two."),
    ("Anything else", "Is there anything else I can help you with today?"),
)


class CannedResponses:
    """Canned responses in one Redis hash (id -> JSON), ids from a counter so edits keep their id."""

    def __init__(self, client: aioredis.Redis) -> None:
        self.r = client

    async def all(self) -> list[dict[str, Any]]:
        await self._seed_once()
        raw = await self.r.hgetall(keys.CANNED)
        items = [json.loads(v) for v in raw.values()]
        return sorted(items, key=lambda c: (c["title"].casefold(), c["id"]))

    async def create(self, title: str, text: str, by: str) -> dict[str, Any]:
        await self._seed_once()
        if await self.r.hlen(keys.CANNED) >= CANNED_MAX:
            raise errors.Conflict(f"there are already {CANNED_MAX} canned responses; delete some first")
        new_id = int(await self.r.incr(keys.CANNED_SEQ))
        item = _item(new_id, title, text, by)
        await self.r.hset(keys.CANNED, str(new_id), json.dumps(item, ensure_ascii=False))
        return item

    async def update(self, canned_id: int, title: str, text: str, by: str) -> dict[str, Any]:
        item = _item(canned_id, title, text, by)
        async with self.r.pipeline(transaction=True) as p:
            try:
                await p.watch(keys.CANNED)
                if not await p.hexists(keys.CANNED, str(canned_id)):
                    raise errors.NotFound("no canned response with that id")
                p.multi()
                p.hset(keys.CANNED, str(canned_id), json.dumps(item, ensure_ascii=False))
                await p.execute()
            except WatchError:
                # Another admin changed the list between our read and write: theirs stays, ask to retry.
                raise errors.Conflict("the canned responses changed meanwhile; reload and try again") from None
        return item

    async def delete(self, canned_id: int) -> None:
        if not await self.r.hdel(keys.CANNED, str(canned_id)):
            raise errors.NotFound("no canned response with that id")

    async def _seed_once(self) -> None:
        # SET NX on the counter: exactly one caller (of every instance) seeds, and only the first time ever.
        if await self.r.set(keys.CANNED_SEQ, 0, nx=True):
            async with self.r.pipeline(transaction=True) as p:
                for i, (title, text) in enumerate(DEFAULT_CANNED, start=1):
                    p.hset(keys.CANNED, str(i), json.dumps(_item(i, title, text, "tandem"), ensure_ascii=False))
                p.set(keys.CANNED_SEQ, len(DEFAULT_CANNED))
                await p.execute()


def _item(canned_id: int, title: str, text: str, by: str) -> dict[str, Any]:
    return {"id": canned_id, "title": title, "text": text, "updated_by": by, "updated": now_ms()}
