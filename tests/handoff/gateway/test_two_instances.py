"""Two gateway processes on different ports sharing one Redis serve one desk: a customer on one, the agent
on the other, and everything works (escalation alerts, claim race, replies, typing, hand back, close)."""
from __future__ import annotations

import asyncio

import pytest

from handoff.core import errors
from tests.gateway import seed_accounts
from tests.handoff.clients import BOT_WAIT, Agent, Customer, login

pytestmark = pytest.mark.model


async def test_customer_on_one_instance_agent_on_the_other(live_gateway: str, live_gateway_b: str) -> None:
    a, b = live_gateway, live_gateway_b
    sam_b = await Agent.connect(b, "sam")
    alex_a = await Agent.connect(a, "alex")
    assert sam_b.welcome["instance"] == "gw-b" and alex_a.welcome["instance"] == "gw-a"
    c = await Customer.connect(a)
    await c.say("hello")
    await c.expect("message", sender="bot", timeout=BOT_WAIT)  # the bot on instance A
    await c.send(type="request_human")
    await c.expect("state", state="queued")
    for agent in (sam_b, alex_a):  # the alert reaches agents on both instances
        alert = await agent.expect("escalation")
        while alert["item"]["conversation_id"] != c.cid:
            alert = await agent.expect("escalation")
    await sam_b.do("claim", conversation_id=c.cid)
    await sam_b.expect("claimed", conversation_id=c.cid)
    assert (await c.expect("state", state="agent"))["agent_name"] == "Sam"
    snapshot = await alex_a.expect("queue")  # A's agent sees it leave the queue
    while c.cid in [i["conversation_id"] for i in snapshot["items"]]:
        snapshot = await alex_a.expect("queue")

    await c.say("hello from instance A")
    assert (await sam_b.expect("message", conversation_id=c.cid, sender="customer"))["text"] == "hello from instance A"
    reply = await sam_b.reply(c.cid, "hello from instance B")
    assert (await c.expect("message", sender="agent"))["seq"] == reply["seq"]
    await c.send(type="typing", on=True)
    await sam_b.expect("typing", conversation_id=c.cid, on=True)
    await sam_b.do("typing", conversation_id=c.cid, on=False)
    await c.expect("typing", sender="agent", on=False)

    await sam_b.do("transfer", conversation_id=c.cid, to="alex")  # B → an agent on A
    await alex_a.expect("assigned", conversation_id=c.cid)
    await c.expect("state", state="agent", agent_name="Alex")
    await alex_a.do("handback", conversation_id=c.cid)
    await c.expect("state", state="bot")
    again = await c.say("hello")
    assert await c.expect("message", sender="bot", after_seq=again["seq"], timeout=BOT_WAIT)

    # Resume on the *other* instance: same conversation, same transcript.
    last = max(f["seq"] for f in c.seen if f.get("type") == "message")
    await c.close()
    moved = await Customer.connect(b, conversation_id=c.cid, token=c.token, last_seq=0)
    replay = [f for f in await moved.drain(1.5) if f["type"] == "message"]
    assert replay[-1]["seq"] == last and [m["seq"] for m in replay] == sorted({m["seq"] for m in replay})
    for agent in (sam_b, alex_a):
        await agent.close()


async def test_twenty_agents_on_two_instances_claim_one_conversation_exactly_one_wins(
        live_gateway: str, live_gateway_b: str) -> None:
    racers = {f"racer{i:02d}": (f"racer-password-{i:02d}", "agent", f"Racer {i}", 3) for i in range(20)}
    await asyncio.to_thread(seed_accounts, live_gateway.redis_url, racers)  # type: ignore[attr-defined]

    async def connect(i: int, name: str) -> Agent:
        gw = live_gateway if i % 2 else live_gateway_b
        return await Agent.connect(gw, name, cookie=await asyncio.to_thread(login, gw, name, racers[name][0]))

    agents = await asyncio.gather(*[connect(i, name) for i, name in enumerate(racers)])
    c = await Customer.connect(live_gateway)
    await c.send(type="request_human")
    await c.expect("state", state="queued")
    await asyncio.gather(*[agent.do("claim", conversation_id=c.cid) for agent in agents])
    outcomes = await asyncio.gather(*[_claim_outcome(agent, c.cid) for agent in agents])
    assert outcomes.count("claimed") == 1, outcomes
    assert outcomes.count(errors.CONFLICT) == 19, outcomes
    await c.expect("state", state="agent")
    await c.drain(1)
    assert len([f for f in c.seen if f.get("type") == "message" and f.get("event") == "claimed"]) == 1
    winner = agents[outcomes.index("claimed")]
    await winner.do("close", conversation_id=c.cid, resolution="resolved")
    for agent in agents:
        await agent.close()


async def _claim_outcome(agent: Agent, cid: str) -> str:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while loop.time() < deadline:
        for i, f in enumerate(agent.pending):
            if f["type"] == "claimed" and f["conversation_id"] == cid:
                agent.pending.pop(i)
                return "claimed"
            if f["type"] == "error" and f.get("frame") == "claim":
                agent.pending.pop(i)
                return f["code"]
        try:
            await agent.recv(1)
        except asyncio.TimeoutError:
            pass
    return "timeout"
