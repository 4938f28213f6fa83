"""An agent's personal canned replies, beside the team's (handoff/storage/canned.py): one hash per agent.

Ids are random ("p-" and 12 hex digits), so they never collide with the team's numbered ones and need no
counter (the team's counter also marks whether the defaults were seeded).
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import redis.asyncio as aioredis

from handoff.core import errors
from handoff.core.clock import now_ms
from handoff.storage import keys

MINE_MAX = 50
ID_PREFIX = "p-"


class PersonalCanned:
    def __init__(self, client: aioredis.Redis) -> None:
        self.r = client

    async def all(self, username: str) -> list[dict[str, Any]]:
        raw = await self.r.hgetall(keys.canned_of(username))
        return sorted((json.loads(v) for v in raw.values()), key=lambda c: (c["title"].casefold(), c["id"]))

    async def create(self, username: str, title: str, text: str) -> dict[str, Any]:
        if await self.r.hlen(keys.canned_of(username)) >= MINE_MAX:
            raise errors.Conflict(f"you already have {MINE_MAX} personal replies; delete some first")
        item = {"id": ID_PREFIX + secrets.token_hex(6), "title": title, "text": text, "mine": True,
                "updated": now_ms()}
        await self.r.hset(keys.canned_of(username), item["id"], json.dumps(item, ensure_ascii=False))
        return item

    async def delete(self, username: str, canned_id: str) -> None:
        if not await self.r.hdel(keys.canned_of(username), canned_id):
            raise errors.NotFound("you have no personal reply with that id")
