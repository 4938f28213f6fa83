"""The retraining job's shared state in Redis (handoff/admin/retrain.py runs the job): the one-job lock, the
job's hash, its progress stream, and the escalation thresholds an admin saved for the next candidate.
"""

from __future__ import annotations

import json
from typing import Any

import redis.asyncio as aioredis

from handoff.storage import keys


class RetrainRecords:
    def __init__(self, client: aioredis.Redis) -> None:
        self.r = client

    # ------------------------------------------------------------ the lock (one job across all instances)

    async def lock(self, version: str, ttl_s: int) -> bool:
        """Take the lock for `version`; False when another job holds it."""
        return bool(await self.r.set(keys.RETRAIN_LOCK, version, nx=True, ex=ttl_s))

    async def holder(self) -> str | None:
        return await self.r.get(keys.RETRAIN_LOCK)

    async def unlock(self, version: str) -> None:
        """Release the lock if `version` still holds it."""
        if await self.r.get(keys.RETRAIN_LOCK) == version:
            await self.r.delete(keys.RETRAIN_LOCK)

    async def heartbeat(self, now: int, ttl_s: int) -> None:
        """The running job is alive: its heartbeat field and the lock's expiry move on."""
        async with self.r.pipeline(transaction=False) as p:
            p.hset(keys.RETRAIN, "heartbeat", now)
            p.expire(keys.RETRAIN_LOCK, ttl_s)
            await p.execute()

    # ------------------------------------------------------------ the job and its progress lines

    async def new_job(self, job: dict[str, Any]) -> None:
        """Replace the previous job and its progress lines."""
        async with self.r.pipeline(transaction=True) as p:
            p.delete(keys.RETRAIN, keys.RETRAIN_LOG)
            p.hset(keys.RETRAIN, mapping=job)
            await p.execute()

    async def job(self) -> dict[str, str]:
        """The job's raw fields ({} when none has run)."""
        return await self.r.hgetall(keys.RETRAIN)

    async def update_job(self, fields: dict[str, Any]) -> None:
        await self.r.hset(keys.RETRAIN, mapping=fields)

    async def add_line(self, text: str, phase: str, kept: int) -> None:
        await self.r.xadd(keys.RETRAIN_LOG, {"line": text, "phase": phase}, maxlen=kept, approximate=True)

    async def lines(self, after: str, count: int) -> list[tuple[str, dict[str, str]]]:
        """(stream id, fields) of the progress lines after stream id `after` ("0-0": from the start)."""
        return await self.r.xrange(keys.RETRAIN_LOG, min=f"({after}" if after != "0-0" else "-", count=count)

    # ------------------------------------------------------------ escalation thresholds for the next candidate

    async def thresholds(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in (await self.r.hgetall(keys.ESCALATION_OVERRIDES)).items()}

    async def replace_thresholds(self, values: dict[str, Any]) -> None:
        async with self.r.pipeline(transaction=True) as p:
            p.delete(keys.ESCALATION_OVERRIDES)
            if values:
                p.hset(keys.ESCALATION_OVERRIDES, mapping={k: json.dumps(v) for k, v in values.items()})
            await p.execute()

    # ------------------------------------------------------------ the live fallback threshold (no retrain)

    async def fallback_threshold(self) -> float | None:
        raw = await self.r.get(keys.LIVE_FALLBACK)
        return float(json.loads(raw)) if raw else None

    async def set_fallback_threshold(self, value: float | None) -> None:
        if value is None:
            await self.r.delete(keys.LIVE_FALLBACK)
        else:
            await self.r.set(keys.LIVE_FALLBACK, json.dumps(value))
