"""The Redis half of accounts: account records, server-side sessions, failed-login counters.

Validation, password hashing and the login flow are handoff.accounts.auth; this module only reads and
writes the keys (keys.user, keys.USERS, keys.session, keys.LOGIN_FAIL_PREFIX_*).
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import redis.asyncio as aioredis

from handoff.storage import keys


class AccountRecords:
    """tandem:user:<username> hashes and the tandem:users set."""

    def __init__(self, client: aioredis.Redis) -> None:
        self.r = client

    async def exists(self, username: str) -> bool:
        return bool(await self.r.exists(keys.user(username)))

    async def put(self, username: str, fields: dict[str, Any]) -> None:
        async with self.r.pipeline(transaction=True) as p:
            p.hset(keys.user(username), mapping=fields)
            p.sadd(keys.USERS, username)
            await p.execute()

    async def get(self, username: str) -> dict[str, str]:
        """The raw hash ({} when there is no such account)."""
        return await self.r.hgetall(keys.user(username))

    async def delete(self, username: str) -> bool:
        async with self.r.pipeline(transaction=True) as p:
            p.delete(keys.user(username))
            p.srem(keys.USERS, username)
            removed, _ = await p.execute()
        return bool(removed)

    async def usernames(self) -> list[str]:
        return sorted(await self.r.smembers(keys.USERS))


class Sessions:
    """Random session ids (the cookie) -> who; dropped after `ttl_s` without use."""

    def __init__(self, client: aioredis.Redis, ttl_s: int) -> None:
        self.r, self.ttl = client, ttl_s

    async def create(self, username: str, role: str) -> str:
        sid = secrets.token_urlsafe(32)
        async with self.r.pipeline(transaction=True) as p:
            p.hset(keys.session(sid), mapping={"username": username, "role": role, "created": int(time.time())})
            p.expire(keys.session(sid), self.ttl)
            await p.execute()
        return sid

    async def get(self, sid: str | None) -> dict[str, str] | None:
        """The session (and refresh its idle expiry), or None when missing/expired."""
        if not sid or len(sid) > 100:
            return None
        async with self.r.pipeline(transaction=False) as p:
            p.hgetall(keys.session(sid))
            p.expire(keys.session(sid), self.ttl)
            raw, _ = await p.execute()
        return raw or None

    async def delete(self, sid: str) -> None:
        await self.r.delete(keys.session(sid))


class LoginFailures:
    """Failed sign-ins per username and per client IP, each counted for `window_s` after the last one."""

    def __init__(self, client: aioredis.Redis, window_s: int) -> None:
        self.r, self.window = client, window_s

    @staticmethod
    def _keys(username: str, ip: str) -> tuple[str, str]:
        return keys.LOGIN_FAIL_PREFIX_USER + username, keys.LOGIN_FAIL_PREFIX_IP + ip

    async def blocked_for(self, username: str, ip: str, max_per_user: int, max_per_ip: int) -> int:
        """Seconds until a sign-in may be tried again (0: not blocked)."""
        user_key, ip_key = self._keys(username, ip)
        n_user, n_ip = await self.r.mget(user_key, ip_key)
        if int(n_user or 0) >= max_per_user or int(n_ip or 0) >= max_per_ip:
            return max(await self.r.ttl(user_key), await self.r.ttl(ip_key), 1)
        return 0

    async def record(self, username: str, ip: str) -> int:
        """Count one failure; returns the username's failures in the window so far."""
        user_key, ip_key = self._keys(username, ip)
        async with self.r.pipeline(transaction=False) as p:
            p.incr(user_key)
            p.expire(user_key, self.window)
            p.incr(ip_key)
            p.expire(ip_key, self.window)
            n_user, _, _, _ = await p.execute()
        return int(n_user)

    async def clear(self, username: str) -> None:
        await self.r.delete(keys.LOGIN_FAIL_PREFIX_USER + username)
