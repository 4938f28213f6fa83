"""Admins' renames of intents for agents, in Redis (one hash), over the shipped data/intent_names.yml.

Kept in Redis rather than written into data/: every gateway instance sees a rename at once, and an upgrade
that ships new defaults never overwrites what an admin chose.
"""

from __future__ import annotations

import redis.asyncio as aioredis

from handoff.storage import keys


class IntentNames:
    def __init__(self, client: aioredis.Redis) -> None:
        self.r = client

    async def renames(self) -> dict[str, str]:
        return dict(await self.r.hgetall(keys.INTENT_NAMES))

    async def rename(self, intent: str, name: str) -> None:
        await self.r.hset(keys.INTENT_NAMES, intent, name)

    async def reset(self, intent: str) -> None:
        await self.r.hdel(keys.INTENT_NAMES, intent)
