"""The active-model pointer, its history and each instance's model status in Redis (handoff/admin/model_registry.py
keeps the files and decides what to load).
"""

from __future__ import annotations

import json
from typing import Any

import redis.asyncio as aioredis

from handoff.storage import keys, lua


class ModelRecords:
    def __init__(self, client: aioredis.Redis) -> None:
        self.r = client
        self._activate = client.register_script(lua.ACTIVATE_MODEL)

    async def active(self) -> dict[str, str]:
        """The pointer's raw fields (version, previous, by, ts); {} before any activation."""
        return await self.r.hgetall(keys.MODELS_ACTIVE)

    async def activate(self, version: str, by: str, *, now: int, entry: dict[str, Any], base: str, expect: str,
                       event: dict[str, Any], history_kept: int) -> tuple[str, str]:
        """lua.ACTIVATE_MODEL: ("ok", previous) | ("same", current) | ("conflict", current)."""
        res = await self._activate(**lua.activate_model_call(
            version=version, by=by, now=now, entry=json.dumps(entry), base=base, expect=expect,
            event=json.dumps(event), history_kept=history_kept).kwargs())
        return str(res[0]), str(res[1])

    async def history(self, limit: int) -> list[dict[str, Any]]:
        return [json.loads(e) for e in await self.r.lrange(keys.MODELS_HISTORY, 0, limit - 1)]

    async def instances(self) -> dict[str, dict[str, Any]]:
        """instance -> the status it last reported."""
        return {k: json.loads(v) for k, v in (await self.r.hgetall(keys.MODELS_INSTANCES)).items()}

    async def set_instance(self, instance: str, status: dict[str, Any]) -> None:
        await self.r.hset(keys.MODELS_INSTANCES, instance, json.dumps(status))

    async def forget_instance(self, instance: str) -> None:
        await self.r.hdel(keys.MODELS_INSTANCES, instance)
