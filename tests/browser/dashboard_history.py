"""A fortnight of desk history, written through the gateway's Store in its own transcript format, for the
dashboard's browser test and screenshot. Deterministic (seeded), and it keeps its own tally of what it
wrote, so the test can check the page against numbers it did not get from the dashboard."""
from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bot.escalation.kinds import Kind
from handoff.storage.store import Store

DAY_MS = 86_400_000
S = 1000
FAQ = [("card_arrival", "when will my new card arrive?"), ("top_up_failed", "my top up failed again"),
       ("exchange_rate", "what rate do you use for euros"), ("change_pin", "how do I change my pin"),
       ("card_payment_fee_charged", "why was I charged a fee for paying by card"),
       ("pending_transfer", "my transfer to my landlord is still pending"),
       ("activate_my_card", "how do I activate the card"), ("balance_not_updated_after_bank_transfer",
                                                             "I sent 250 GBP yesterday and my balance is the same")]
FALLBACKS = ["can u do the thing with the other thing", "blorp", "hello?? anyone", "my card 4539 1488 0343 6467 help",
             "is it ok to buy a horse", "can u do the thing with the other thing"]
REASONS = [(Kind.NEGATIVITY.value, 4), (Kind.SENSITIVE.value, 3), (Kind.FAILURE.value, 2), (Kind.EXPLICIT.value, 3)]
XSS_FALLBACK = '<img src=x onerror="window.__pwned = 1">'


@dataclass
class Tally:
    conversations: int = 0
    contained: int = 0
    escalated: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    ratings: dict[str, list[int]] = field(default_factory=lambda: {"bot": [], "agent": []})


def _msg(sender: str, text: str, ts: int, **extra: Any) -> dict[str, Any]:
    return {"sender": sender, "text": text, "ts": ts, **extra}


async def _write(store: Store, created: int, messages: list[dict[str, Any]], nlu: dict[int, dict[str, Any]],
                 fields: dict[str, Any]) -> None:
    cid, _ = await store.create_conversation({"name": "Demo Customer"}, "en")
    for i, m in enumerate(messages, start=1):
        await store.append(cid, m)  # type: ignore[arg-type]
        if i in nlu:
            await store.annotate(cid, i, nlu[i])
    await store.update_fields(cid, {"created": str(created), **fields})


class _Draft:
    """One conversation being written: a clock and the messages so far."""

    def __init__(self, rnd: random.Random, t: int) -> None:
        self.rnd, self.t, self.created = rnd, t, t
        self.messages: list[dict[str, Any]] = []
        self.nlu: dict[int, dict[str, Any]] = {}
        self.fields: dict[str, Any] = {"state": "bot"}

    def customer(self, text: str, intent: str, negativity: float) -> None:
        self.t += self.rnd.randint(5, 40) * S
        self.messages.append(_msg("customer", text, self.t))
        self.nlu[len(self.messages)] = {"intent": intent, "confidence": round(self.rnd.uniform(0.4, 0.98), 3),
                                        "negativity": round(negativity, 3), "emotions": {}}

    def say(self, sender: str, text: str, delay_s: tuple[float, float], **extra: Any) -> None:
        self.t += int(self.rnd.uniform(*delay_s) * S)
        self.messages.append(_msg(sender, text, self.t, **extra))

    async def write(self, store: Store) -> None:
        await _write(store, self.created, self.messages, self.nlu, self.fields)


async def seed(store: Store, first_day_ms: int, days: int = 14, seed: int = 7) -> Tally:
    rnd = random.Random(seed)
    tally = Tally()
    for day in range(days):
        weekend = day % 7 in (5, 6)
        for _ in range(rnd.randint(10, 16) if weekend else rnd.randint(22, 34)):
            c = _Draft(rnd, first_day_ms + day * DAY_MS + int(rnd.triangular(7, 21, 13) * 3_600_000)
                       + rnd.randint(0, 59) * S)
            escalate = rnd.random() < 0.22 + 0.08 * (day / days)  # a slowly worsening fortnight
            for _turn in range(rnd.randint(1, 3)):
                if rnd.random() < 0.1:
                    c.customer(rnd.choice(FALLBACKS), "nlu_fallback", rnd.uniform(0.2, 0.6))
                else:
                    intent, text = rnd.choice(FAQ)
                    c.customer(text, intent, rnd.uniform(0.6, 0.95) if escalate else rnd.uniform(0.02, 0.35))
                c.say("bot", "Here is how that works…", (0.4, 1.8))
            tally.conversations += 1
            if not escalate:
                tally.contained += 1
                if rnd.random() < 0.25:
                    c.say("system", "This chat has been closed.", (60, 300), event="closed")
                    score = rnd.choices([2, 3, 4, 5], [2, 3, 4, 3])[0]
                    tally.ratings["bot"].append(score)
                    c.fields.update(state="closed", rating=str(score))
                await c.write(store)
                continue
            kind = rnd.choices([k for k, _ in REASONS], [w for _, w in REASONS])[0]
            tally.escalated += 1
            tally.reasons[kind] += 1
            c.say("system", "I'm passing you to a person.", (0.2, 0.5), event="queued", reason=kind)
            c.fields.update(state="queued", reason=json.dumps({"kind": kind}))
            if rnd.random() < 0.12:
                c.customer("please call me back", "request_human", rnd.uniform(0.5, 0.8))
                c.say("system", "An adviser will call you back.", (1, 3), event="callback")
                c.fields.update(state="closed", resolution="callback")
                await c.write(store)
                continue
            username, name = rnd.choice([("sam", "Sam"), ("alex", "Alex"), ("kim", "Kim")])
            c.say("system", f"{name} has joined the chat.", (15, 240 + 60 * (day / days)), event="claimed")
            c.say("agent", "Hi, I can help with that.", (8, 70), agent=username, agent_name=name)
            for _turn in range(rnd.randint(1, 3)):
                c.customer("ok, thank you", "thank_you", rnd.uniform(0.05, 0.45))
                c.say("agent", "Done — anything else?", (20, 120), agent=username, agent_name=name)
            if rnd.random() < 0.12:
                c.say("system", "You're back with the assistant.", (5, 20), event="handback")
                c.fields.update(state="bot")
            else:
                c.say("system", f"{name} has closed the chat.", (10, 60), event="closed")
                c.fields.update(state="closed", resolution="resolved", last_agent=username)
                if rnd.random() < 0.6:
                    score = rnd.choices([3, 4, 5], [1, 3, 5])[0]
                    tally.ratings["agent"].append(score)
                    c.fields["rating"] = str(score)
            await c.write(store)
    # One more contained conversation whose fallback text is markup: the page must show it as text.
    t = first_day_ms + 3 * DAY_MS + 10 * 3_600_000
    await _write(store, t, [_msg("customer", XSS_FALLBACK, t + S), _msg("bot", "Sorry?", t + 2 * S)],
                 {1: {"intent": "nlu_fallback", "confidence": 0.2, "negativity": 0.1, "emotions": {}}}, {})
    tally.conversations += 1
    tally.contained += 1
    return tally
