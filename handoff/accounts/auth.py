"""Agent and admin accounts (argon2 hashes), server-side sessions in Redis, login throttling.

Sessions are random ids in an HttpOnly cookie; the server keeps who they belong to and drops them after
SESSION_TTL of inactivity, so logging out or deleting an account takes effect at once.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

import redis.asyncio as aioredis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from handoff.core import errors
from handoff.core.protocol import USERNAME_RE
from handoff.storage import keys

ROLES = ("agent", "admin")
COOKIE = "tandem_session"
MIN_PASSWORD = 10
_hasher = PasswordHasher()
# Verified against when the username does not exist, so both failures take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_new_account(username: str, display_name: str, role: str, capacity: int, password: str) -> None:
    if not USERNAME_RE.match(username):
        raise errors.InvalidFrame("username: 2-32 characters, lowercase letters, digits, '.', '_' or '-'")
    if not 1 <= len(display_name.strip()) <= 40:
        raise errors.InvalidFrame("display name: 1-40 characters")
    if role not in ROLES:
        raise errors.InvalidFrame(f"role must be one of {', '.join(ROLES)}")
    if not 1 <= capacity <= 20:
        raise errors.InvalidFrame("capacity must be between 1 and 20")
    if len(password) < MIN_PASSWORD:
        raise errors.InvalidFrame(f"password must be at least {MIN_PASSWORD} characters")


class Accounts:
    def __init__(self, client: aioredis.Redis) -> None:
        self.r = client

    async def create(self, username: str, display_name: str, role: str, capacity: int, password: str,
                     replace: bool = False) -> None:
        check_new_account(username, display_name, role, capacity, password)
        if not replace and await self.r.exists(keys.user(username)):
            raise errors.Conflict("an account with that username exists")
        pw_hash = await asyncio.to_thread(hash_password, password)
        async with self.r.pipeline(transaction=True) as p:
            p.hset(keys.user(username), mapping={"display_name": display_name.strip(), "role": role,
                                                 "capacity": capacity, "password_hash": pw_hash,
                                                 "created": int(time.time())})
            p.sadd(keys.USERS, username)
            await p.execute()

    async def get(self, username: str) -> dict[str, Any] | None:
        raw = await self.r.hgetall(keys.user(username))
        if not raw:
            return None
        return {"username": username, "display_name": raw["display_name"], "role": raw["role"],
                "capacity": int(raw["capacity"]), "password_hash": raw["password_hash"]}

    async def delete(self, username: str) -> bool:
        async with self.r.pipeline(transaction=True) as p:
            p.delete(keys.user(username))
            p.srem(keys.USERS, username)
            removed, _ = await p.execute()
        return bool(removed)

    async def usernames(self) -> list[str]:
        return sorted(await self.r.smembers(keys.USERS))


def public(user: dict[str, Any], status: str = "online") -> dict[str, Any]:
    """The Agent object of docs/protocol.md (never the hash)."""
    return {"username": user["username"], "display_name": user["display_name"], "role": user["role"],
            "capacity": user["capacity"], "status": status}


class Sessions:
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


class Login:
    """Password login with per-username and per-IP failure limits and a growing delay per failure."""

    def __init__(self, client: aioredis.Redis, accounts: Accounts, sessions: Sessions, *, max_per_user: int = 5,
                 max_per_ip: int = 20, window_s: int = 900, delay_s: float = 0.25) -> None:
        self.r, self.accounts, self.sessions = client, accounts, sessions
        self.max_user, self.max_ip, self.window, self.delay = max_per_user, max_per_ip, window_s, delay_s

    async def _blocked(self, user_key: str, ip_key: str) -> int:
        n_user, n_ip = await self.r.mget(user_key, ip_key)
        if int(n_user or 0) >= self.max_user or int(n_ip or 0) >= self.max_ip:
            ttl = max(await self.r.ttl(user_key), await self.r.ttl(ip_key), 1)
            return ttl
        return 0

    async def login(self, username: str, password: str, ip: str) -> tuple[str, dict[str, Any]]:
        """Returns (session id, user); raises Unauthorized or RateLimited (without saying which part was wrong)."""
        username = username.strip().lower()[:64]
        user_key, ip_key = keys.LOGIN_FAIL_PREFIX_USER + username, keys.LOGIN_FAIL_PREFIX_IP + ip
        retry = await self._blocked(user_key, ip_key)
        if retry:
            raise errors.RateLimited("too many failed sign-ins; try again later", retry_after_ms=retry * 1000)
        user = await self.accounts.get(username) if USERNAME_RE.match(username) else None
        ok = await asyncio.to_thread(verify_password, user["password_hash"] if user else _DUMMY_HASH, password)
        if not (user and ok):
            async with self.r.pipeline(transaction=False) as p:
                p.incr(user_key)
                p.expire(user_key, self.window)
                p.incr(ip_key)
                p.expire(ip_key, self.window)
                n_user, _, _, _ = await p.execute()
            await asyncio.sleep(min(2.0, self.delay * int(n_user)))
            raise errors.Unauthorized("wrong username or password")
        await self.r.delete(user_key)
        return await self.sessions.create(username, user["role"]), user
