"""The move to the queue is one step: its notice is stored and the agents' `escalation` published before the
chat can be claimed (docs/protocol.md "Order of a hand-over"). Real gateway process and Redis, no bot."""
from __future__ import annotations

import asyncio
import json
import time

import redis.asyncio as aioredis

from handoff.core import protocol
from handoff.storage import keys
from tests.handoff.clients import WAIT, Agent, Customer

HANDOVER_EVENTS = ("queued", "no_agents")


async def test_claims_within_1_ms_of_state_queued_50_times_keep_the_transcript_in_order(bare_gateway: str) -> None:
    sam = await Agent.connect(bare_gateway, "sam")
    await sam.do("presence", status="online")
    await sam.expect("presence", status="online")
    client = aioredis.from_url(bare_gateway.redis_url, decode_responses=True)  # type: ignore[attr-defined]
    try:
        for _ in range(50):
            c = await Customer.connect(bare_gateway)
            watch = client.pubsub()
            await watch.subscribe(keys.ch_conv(c.cid))
            await c.send(type="request_human")
            # The earliest moment anyone can know the chat is queued: the state event on its channel.
            deadline = time.monotonic() + WAIT
            while time.monotonic() < deadline:
                event = await watch.get_message(ignore_subscribe_messages=True, timeout=WAIT)
                if event and json.loads(event["data"]).get("kind") == "state":
                    break
            else:
                raise AssertionError("the conversation never reached the queue")
            await sam.do("claim", conversation_id=c.cid)  # at once: well within 1 ms of the event
            await watch.close()
            await sam.expect("claimed", conversation_id=c.cid)
            claimed = await c.expect("message", event="claimed")
            notice = next(m for m in c.messages() if m.get("event") in HANDOVER_EVENTS)
            assert notice["seq"] < claimed["seq"], c.messages()
            order = [f["type"] for f in sam.seen if f.get("conversation_id") == c.cid or
                     f.get("item", {}).get("conversation_id") == c.cid]
            assert order.index("escalation") < order.index("claimed"), order
            await sam.do("close", conversation_id=c.cid, resolution="resolved")
            await sam.expect("state", conversation_id=c.cid, state="closed")
            await c.close()
            await asyncio.sleep(1 / protocol.RATE_PER_S * 2)  # the agent's two frames, within its rate limit
    finally:
        await client.close()


async def test_the_queued_notice_comes_before_state_queued_and_the_state_carries_the_real_position(
        bare_gateway: str) -> None:
    c = await Customer.connect(bare_gateway)
    await c.send(type="request_human")
    state = await c.expect("state", state="queued")
    frames = [f for f in c.seen if f["type"] in ("message", "state")]
    notice_at = next(i for i, f in enumerate(frames) if f.get("event") in HANDOVER_EVENTS)
    assert notice_at < frames.index(state)
    assert state["queue_position"] >= 1


async def test_nobody_online_gets_no_wait_estimate(bare_gateway: str) -> None:
    from tests.handoff.clients import reset_desk

    await reset_desk(bare_gateway.redis_url, bare_gateway)  # type: ignore[attr-defined]
    c = await Customer.connect(bare_gateway)
    await c.send(type="request_human")
    state = await c.expect("state", state="queued")
    assert state["agents_online"] == 0 and "estimated_wait_s" not in state
    notice = await c.expect("message", event="no_agents")
    assert "typical wait" not in notice["text"] and "in the queue" in notice["text"]


async def test_someone_online_gets_a_wait_estimate(bare_gateway: str) -> None:
    sam = await Agent.connect(bare_gateway, "sam")
    await sam.do("presence", status="online")
    await sam.expect("presence", status="online")
    c = await Customer.connect(bare_gateway)
    await c.send(type="request_human")
    state = await c.expect("state", state="queued")
    assert state["agents_online"] >= 1 and state["estimated_wait_s"] > 0
    assert "typical wait" in (await c.expect("message", event="queued"))["text"]
