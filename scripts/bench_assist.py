"""The agent-assist rows of `make bench` (`python -m scripts.bench --only assist`): how soon an agent has the
drafts for a customer's message, with 20 agents busy at once (issue #23: p99 <= 50 ms).

Setup: chats that agents closed as resolved feed the index first (the real path: close -> index); then 20
agents each claim a chat whose customer writes a message every few seconds, and each agent answers every
message. Measured per message, on the agent's socket: the customer's `message` frame -> the `suggestions`
frame for the same seq (the drafts "within N ms of the customer message reaching the agent"), and the
customer's send -> `suggestions` (the whole way, NLU included). When the vector is ready before the parse,
the past replies come first (`partial`) and the full set follows: both are timed.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.gateway import seed_accounts
from tests.handoff.clients import Agent, Customer, login

AGENTS = 20
QUESTIONS = ["my new card still hasn't arrived", "how long does a transfer to another bank take",
             "why was I charged a fee for my card payment", "I can't remember my PIN and it's blocked now",
             "the exchange rate on my card payment looks wrong", "my top up failed but money left my account"]
REPLIES = ["Sorry about the wait: I've checked and it was posted on Monday, so it should arrive within two days.",
           "Transfers to other UK banks usually arrive within two hours, and at most by the next working day.",
           "That fee is for a payment in another currency; I've refunded it as a one-off.",
           "I've unblocked your PIN: you can view it in the app under Cards, then Show PIN.",
           "Card payments use the network's rate on the day the payment settles, so it can differ a little.",
           "I can see the top up failed and the money is on its way back; it shows within 3 working days."]


@dataclass
class AssistRun:
    to_agent_ms: list[float] = field(default_factory=list)  # message frame at the agent -> the full drafts
    first_ms: list[float] = field(default_factory=list)  # message frame at the agent -> the first drafts
    end_to_end_ms: list[float] = field(default_factory=list)  # customer's send -> suggestions frame
    sent: int = 0
    missing: int = 0  # messages whose drafts never came
    with_past: int = 0  # suggestions frames carrying a past reply
    duration_s: float = 0.0


def agent_accounts(n: int) -> dict[str, tuple[str, str, str, int]]:
    return {f"assist{i:02d}": (f"assist{i:02d}-password", "agent", f"Assist {i}", 2) for i in range(n)}


async def _claimed(url: str, agent: Agent) -> Customer:
    c = await Customer.connect(url)
    await c.send(type="request_human")
    await c.expect("state", state="queued", timeout=60)
    await agent.do("claim", conversation_id=c.cid)
    await agent.expect("claimed", conversation_id=c.cid, timeout=60)
    return c


async def seed_index(url: str, chats: int) -> None:
    """`chats` resolved chats (one agent), so drafts are searched in a real index."""
    agent = await Agent.connect(url, "sam")
    for i in range(chats):
        c = await _claimed(url, agent)
        said = uuid.uuid4().hex
        await c.send(type="message", client_id=said, text=QUESTIONS[i % len(QUESTIONS)] + f" ({i})")
        await c.expect("ack", client_id=said, timeout=60)
        await asyncio.sleep(0.25)  # the agent socket's rate limit is 5 frames/s: claim, reply, close
        client_id = uuid.uuid4().hex
        await agent.send(type="message", conversation_id=c.cid, client_id=client_id, text=REPLIES[i % len(REPLIES)])
        await agent.expect("ack", client_id=client_id, timeout=60)  # patient: a shared machine can be slow
        await asyncio.sleep(0.25)
        await agent.do("close", conversation_id=c.cid, resolution="resolved")
        await c.expect("state", state="closed", timeout=60)
        await c.close()
        await asyncio.sleep(0.25)
    await agent.close()


async def assist_run(url: str, redis_url: str, agents: int = AGENTS, duration: float = 40.0,
                     interval: float = 5.0, seed_chats: int = 30) -> AssistRun:
    accounts = agent_accounts(agents)
    await asyncio.to_thread(seed_accounts, redis_url, accounts)
    await seed_index(url, seed_chats)
    run = AssistRun()
    pairs: list[tuple[Agent, Customer]] = []
    for username, (password, *_rest) in accounts.items():
        cookie = await asyncio.to_thread(login, url, username, password)
        agent = await Agent.connect(url, username, cookie=cookie)
        pairs.append((agent, await _claimed(url, agent)))
    sent_at: dict[tuple[str, int], float] = {}
    stop = asyncio.Event()

    async def agent_side(agent: Agent, customer: Customer) -> None:
        arrived: dict[int, float] = {}
        firsts: set[int] = set()
        while not stop.is_set():
            try:
                f: dict[str, Any] = await agent.recv(timeout=1.0)
            except asyncio.TimeoutError:
                continue
            now = time.perf_counter()
            agent.pending.clear()
            if f.get("conversation_id") != customer.cid:
                continue
            if f.get("type") == "message" and f.get("sender") == "customer":
                arrived[f["seq"]] = now
            elif f.get("type") == "suggestions" and f.get("seq") in arrived:
                seq = f["seq"]
                if seq not in firsts:
                    firsts.add(seq)
                    run.first_ms.append((now - arrived[seq]) * 1000)
                if f.get("partial"):
                    continue
                run.to_agent_ms.append((now - arrived.pop(seq)) * 1000)
                if (customer.cid, seq) in sent_at:
                    run.end_to_end_ms.append((now - sent_at.pop((customer.cid, seq))) * 1000)
                run.with_past += any(d.get("kind") == "past_reply" for d in f.get("drafts") or [])
                await agent.send(type="message", conversation_id=customer.cid, client_id=uuid.uuid4().hex,
                                 text=REPLIES[seq % len(REPLIES)])  # the busy agent answers each message

    async def customer_side(k: int, customer: Customer) -> None:
        await asyncio.sleep(interval * k / agents)  # spread the agents' messages over the interval
        i = 0
        while not stop.is_set():
            client_id = uuid.uuid4().hex
            t0 = time.perf_counter()
            await customer.send(type="message", client_id=client_id, text=QUESTIONS[(k + i) % len(QUESTIONS)])
            ack = await customer.expect("ack", client_id=client_id, timeout=30)
            sent_at[(customer.cid, ack["seq"])] = t0
            customer.pending.clear()
            run.sent += 1
            i += 1
            await asyncio.sleep(interval)

    started = time.perf_counter()
    tasks = [asyncio.ensure_future(agent_side(a, c)) for a, c in pairs]
    tasks += [asyncio.ensure_future(customer_side(k, c)) for k, (_, c) in enumerate(pairs)]
    await asyncio.sleep(duration)
    await asyncio.sleep(3.0)  # the last messages' drafts
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    run.duration_s = time.perf_counter() - started
    run.missing = max(0, run.sent - len(run.to_agent_ms))
    for agent, customer in pairs:
        await agent.do("close", conversation_id=customer.cid, resolution="resolved")
        await customer.close()
        await agent.close()
    return run


def own_cost(entries: int = 20_000, messages: int = 200) -> dict[str, float]:
    """Assist's own work per customer message, apart from the parse and the network: encode the message,
    search an index of `entries` past replies, choose and redact the drafts (the gateway's code, in-process).
    Returns {"p50_ms", "p99_ms", "entries"}; the index holds random unit vectors (the cost does not depend on
    what they say)."""
    import numpy as np

    from handoff.assist import drafts
    from handoff.assist.encoder import TextEncoder
    from handoff.assist.similarity import Entry, VectorIndex
    from scripts.bench_stats import percentile

    encoder = TextEncoder.configured()
    rng = np.random.default_rng(23)
    index = VectorIndex(dim=encoder.dim)
    index.add([Entry(str(i), "c", REPLIES[i % len(REPLIES)] + f" ({i})") for i in range(entries)],
              rng.standard_normal((entries, encoder.dim)).astype(np.float32))
    ranking = [{"name": "card_arrival", "confidence": 0.8}, {"name": "pin_blocked", "confidence": 0.1}]
    answers = {"card_arrival": ["Cards arrive within 3-5 working days."], "pin_blocked": ["Unblock it in the app."]}
    encoder.encode(["warm up"])
    times = []
    for i in range(messages):
        t0 = time.perf_counter()
        vector = encoder.encode([QUESTIONS[i % len(QUESTIONS)]])[0]
        drafts.suggest(ranking, answers, index.search(vector, k=3, min_similarity=-1.0), ["Ana Jones"])
        times.append((time.perf_counter() - t0) * 1000)
    return {"p50_ms": percentile(times, 50), "p99_ms": percentile(times, 99), "entries": entries}
