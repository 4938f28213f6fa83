"""The hub's local echo: an event this instance published reaches its own listeners once, whichever comes
first — the echo or the pub/sub copy — and events from elsewhere are never lost to it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from handoff.storage.hub import Hub

CHANNEL = "tandem:test:hub:conv"
TYPING_OFF = json.dumps({"kind": "typing", "sender": "bot", "on": False})


@pytest.fixture
async def hub(redis) -> AsyncIterator[tuple[Hub, list[dict[str, Any]]]]:  # type: ignore[no-untyped-def]
    h = Hub(redis)
    await h.start()
    heard: list[dict[str, Any]] = []
    await h.subscribe(CHANNEL, lambda channel, event: heard.append(event))
    try:
        yield h, heard
    finally:
        await h.stop()


async def settle() -> None:
    await asyncio.sleep(0.3)  # time for a pub/sub copy to arrive


async def test_echo_first_then_the_pub_sub_copy_is_heard_once(redis, hub) -> None:  # type: ignore[no-untyped-def]
    h, heard = hub
    h.echo(CHANNEL, TYPING_OFF)
    assert heard == [json.loads(TYPING_OFF)]  # at once, before Redis answered
    await redis.publish(CHANNEL, TYPING_OFF)
    await settle()
    assert len(heard) == 1


async def test_pub_sub_copy_first_then_the_echo_is_heard_once(redis, hub) -> None:  # type: ignore[no-untyped-def]
    h, heard = hub
    await redis.publish(CHANNEL, TYPING_OFF)
    await settle()
    h.echo(CHANNEL, TYPING_OFF)
    assert len(heard) == 1


async def test_each_of_two_identical_events_is_heard(redis, hub) -> None:  # type: ignore[no-untyped-def]
    h, heard = hub
    for _ in range(2):  # two turns ending the same way, each echoed and published
        h.echo(CHANNEL, TYPING_OFF)
        await redis.publish(CHANNEL, TYPING_OFF)
        await settle()
    assert len(heard) == 2


async def test_an_event_from_another_instance_is_not_swallowed_by_a_later_echo(redis, hub) -> None:  # type: ignore[no-untyped-def]
    h, heard = hub
    await redis.publish(CHANNEL, TYPING_OFF)  # another instance's turn ended
    await settle()
    h.echo(CHANNEL, TYPING_OFF)  # ours ends the same way: skipped here ...
    await redis.publish(CHANNEL, TYPING_OFF)  # ... and delivered when its own copy comes
    await settle()
    assert len(heard) == 2
