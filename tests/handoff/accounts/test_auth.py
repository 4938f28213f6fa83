"""handoff.accounts.auth: argon2 accounts, server-side sessions with expiry, throttled logins."""
from __future__ import annotations

import asyncio
import time

import pytest

from handoff.accounts.auth import Accounts, Login, hash_password, verify_password
from handoff.core import errors
from handoff.storage import keys
from handoff.storage.accounts import LoginFailures, Sessions


def test_passwords_are_argon2_hashed_and_verified() -> None:
    h = hash_password("correct horse battery")
    assert h.startswith("$argon2") and "correct" not in h
    assert verify_password(h, "correct horse battery")
    assert not verify_password(h, "wrong")
    assert not verify_password("not-a-hash", "x")


async def test_account_rules_are_enforced(accounts: Accounts) -> None:
    with pytest.raises(errors.InvalidFrame):
        await accounts.create("Bad Name", "X", "agent", 3, "password-12345")
    with pytest.raises(errors.InvalidFrame):
        await accounts.create("sam", "Sam", "agent", 3, "short")
    with pytest.raises(errors.InvalidFrame):
        await accounts.create("sam", "Sam", "root", 3, "password-12345")
    await accounts.create("sam", "Sam", "agent", 3, "password-12345")
    with pytest.raises(errors.Conflict):
        await accounts.create("sam", "Sam", "agent", 3, "password-12345")
    user = await accounts.get("sam")
    assert user is not None and user["capacity"] == 3 and user["role"] == "agent"


async def test_sessions_expire_when_idle_and_end_on_delete(redis) -> None:  # type: ignore[no-untyped-def]
    sessions = Sessions(redis, ttl_s=1)
    sid = await sessions.create("sam", "agent")
    assert (await sessions.get(sid))["username"] == "sam"  # type: ignore[index]
    await asyncio.sleep(2.2)
    assert await sessions.get(sid) is None
    sid = await Sessions(redis, 60).create("sam", "agent")
    await sessions.delete(sid)
    assert await sessions.get(sid) is None
    assert await sessions.get(None) is None and await sessions.get("x" * 500) is None


async def test_login_succeeds_with_the_right_password_only(redis, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    await accounts.create("sam", "Sam", "agent", 3, "password-12345")
    login = Login(LoginFailures(redis, 900), accounts, Sessions(redis, 60), delay_s=0.01)
    sid, user = await login.login("Sam ", "password-12345", "10.0.0.1")
    assert user["username"] == "sam" and await redis.exists(keys.session(sid))
    for wrong_user in ("sam", "nobody"):
        with pytest.raises(errors.Unauthorized) as info:
            await login.login(wrong_user, "nope-nope-nope", "10.0.0.1")
        assert info.value.message == "wrong username or password"  # same answer for both


async def test_repeated_failures_lock_that_account_from_that_address_only_and_slow_down(redis, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    await accounts.create("sam", "Sam", "agent", 3, "password-12345")
    login = Login(LoginFailures(redis, 900), accounts, Sessions(redis, 60), max_per_user=3, delay_s=0.05)
    started = time.monotonic()
    for _ in range(3):
        with pytest.raises(errors.Unauthorized):
            await login.login("sam", "bad-password-x", "10.0.0.2")
    assert time.monotonic() - started >= 0.05 + 0.10 + 0.15 - 0.01
    with pytest.raises(errors.RateLimited) as info:
        await login.login("sam", "password-12345", "10.0.0.2")  # even the right password, from that address
    assert info.value.retry_after_ms and info.value.retry_after_ms > 0
    _, user = await login.login("sam", "password-12345", "10.0.0.3")  # the real agent, elsewhere: at once
    assert user["username"] == "sam"


async def test_an_account_guessed_at_from_many_addresses_hits_its_ceiling(redis, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    await accounts.create("sam", "Sam", "agent", 3, "password-12345")
    login = Login(LoginFailures(redis, 900), accounts, Sessions(redis, 60), max_per_user=3, max_per_account=6,
                  delay_s=0.0)
    for i in range(6):
        with pytest.raises(errors.Unauthorized):
            await login.login("sam", "bad-password-x", f"10.1.0.{i}")
    with pytest.raises(errors.RateLimited):
        await login.login("sam", "password-12345", "10.1.0.99")


async def test_one_ip_trying_many_usernames_is_limited(redis, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    login = Login(LoginFailures(redis, 900), accounts, Sessions(redis, 60), max_per_ip=4, delay_s=0.0)
    for i in range(4):
        with pytest.raises(errors.Unauthorized):
            await login.login(f"user{i}", "whatever-123", "10.9.9.9")
    with pytest.raises(errors.RateLimited):
        await login.login("user9", "whatever-123", "10.9.9.9")
