"""Agent and admin accounts (argon2 hashes), server-side sessions, login throttling (Redis: storage.accounts).

Sessions are random ids in an HttpOnly cookie; the server keeps who they belong to and drops them after
SESSION_TTL of inactivity, so logging out or deleting an account takes effect at once.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from handoff.core import errors
from handoff.core.protocol import USERNAME_RE
from handoff.storage.accounts import AccountRecords, LoginFailures, Sessions

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
    """Agent and admin accounts: checked and hashed here, kept by storage.accounts.AccountRecords."""

    def __init__(self, records: AccountRecords) -> None:
        self.records = records

    async def create(self, username: str, display_name: str, role: str, capacity: int, password: str,
                     replace: bool = False) -> None:
        check_new_account(username, display_name, role, capacity, password)
        if not replace and await self.records.exists(username):
            raise errors.Conflict("an account with that username exists")
        pw_hash = await asyncio.to_thread(hash_password, password)
        await self.records.put(username, {"display_name": display_name.strip(), "role": role,
                                          "capacity": capacity, "password_hash": pw_hash,
                                          "created": int(time.time())})

    async def get(self, username: str) -> dict[str, Any] | None:
        raw = await self.records.get(username)
        if not raw:
            return None
        return {"username": username, "display_name": raw["display_name"], "role": raw["role"],
                "capacity": int(raw["capacity"]), "password_hash": raw["password_hash"]}

    async def delete(self, username: str) -> bool:
        return await self.records.delete(username)

    async def usernames(self) -> list[str]:
        return await self.records.usernames()


def public(user: dict[str, Any], status: str = "online") -> dict[str, Any]:
    """The Agent object of docs/protocol.md (never the hash)."""
    return {"username": user["username"], "display_name": user["display_name"], "role": user["role"],
            "capacity": user["capacity"], "status": status}


class Login:
    """Password login with failure limits and a growing delay per failure.

    Why by account *and* address: a limit per username alone let anyone lock any agent out with five wrong
    passwords. `max_per_user` failures lock that account only for the address they came from; `max_per_ip`
    lock an address out of every account; `max_per_account` (far above what one address may try) is the
    ceiling for an account guessed at from many addresses at once."""

    def __init__(self, failures: LoginFailures, accounts: Accounts, sessions: Sessions, *, max_per_user: int = 5,
                 max_per_ip: int = 20, max_per_account: int = 500, delay_s: float = 0.25) -> None:
        self.failures, self.accounts, self.sessions = failures, accounts, sessions
        self.max_user, self.max_ip, self.max_account, self.delay = max_per_user, max_per_ip, max_per_account, delay_s

    async def login(self, username: str, password: str, ip: str) -> tuple[str, dict[str, Any]]:
        """Returns (session id, user); raises Unauthorized or RateLimited (without saying which part was wrong)."""
        username = username.strip().lower()[:64]
        retry = await self.failures.blocked_for(username, ip, self.max_user, self.max_ip, self.max_account)
        if retry:
            raise errors.RateLimited("too many failed sign-ins; try again later", retry_after_ms=retry * 1000)
        user = await self.accounts.get(username) if USERNAME_RE.match(username) else None
        ok = await asyncio.to_thread(verify_password, user["password_hash"] if user else _DUMMY_HASH, password)
        if not (user and ok):
            n_pair = await self.failures.record(username, ip)
            await asyncio.sleep(min(2.0, self.delay * n_pair))
            raise errors.Unauthorized("wrong username or password")
        await self.failures.clear(username, ip)
        return await self.sessions.create(username, user["role"]), user
