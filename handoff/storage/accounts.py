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
    """keys.user(<username>) hashes and the keys.USERS set."""

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
    """Failed sign-ins, each counted for `window_s` after the last one: per account *from one address* (the
    lockout an attacker can cause only for themselves), per address (one attacker trying many accounts),
    and per account from everywhere (a ceiling far above one address's budget, against a botnet)."""

    def __init__(self, client: aioredis.Redis, window_s: int) -> None:
        self.r, self.window = client, window_s

    @staticmethod
    def _keys(username: str, ip: str) -> tuple[str, str, str]:
        return keys.login_fail_pair(username, ip), keys.LOGIN_FAIL_PREFIX_IP + ip, keys.LOGIN_FAIL_PREFIX_USER + username

    async def blocked_for(self, username: str, ip: str, max_per_pair: int, max_per_ip: int,
                          max_per_account: int) -> int:
        """Seconds until a sign-in to `username` from `ip` may be tried again (0: not blocked)."""
        found = self._keys(username, ip)
        counts = [int(n or 0) for n in await self.r.mget(*found)]
        over = [key for key, n, limit in zip(found, counts, (max_per_pair, max_per_ip, max_per_account))
                if n >= limit]
        if not over:
            return 0
        return max([*[await self.r.ttl(key) for key in over], 1])

    async def record(self, username: str, ip: str) -> int:
        """Count one failure; returns this account's failures from this address in the window so far."""
        async with self.r.pipeline(transaction=False) as p:
            for key in self._keys(username, ip):
                p.incr(key)
                p.expire(key, self.window)
            n_pair, *_ = await p.execute()
        return int(n_pair)

    async def clear(self, username: str, ip: str) -> None:
        """A right password from `ip`: its own failures for the account are forgotten (others' are not)."""
        await self.r.delete(keys.login_fail_pair(username, ip))
