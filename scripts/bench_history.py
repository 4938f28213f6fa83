"""The history search on 100,000 closed conversations: `python -m scripts.bench --only history`.

Fills a private Redis (the same AOF settings as `make run`) with 100,000 closed conversations whose customer
messages are Banking77 questions (data/banking77/train.csv), indexed by the same key builder the desk uses
when a conversation closes (handoff.storage.history.index_keys_of), then times History.search — the call
GET /api/conversations makes after the sign-in check — for a mix of searches an agent makes.
"""

from __future__ import annotations

import asyncio
import csv
import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from handoff.storage import keys, store
from handoff.storage.history import History, HistoryQuery, index_keys_of
from handoff.storage.history_terms import document_terms
from handoff.storage.local_redis import start_redis
from scripts.bench_stats import summarize
from tests.support import free_port, stop

ROOT = Path(__file__).resolve().parents[1]
DAY_MS = 24 * 3600 * 1000
AGENTS = [f"agent{i:02d}" for i in range(40)]
KINDS = ["explicit", "negativity", "sensitive", "failure", "customer_request"]
RESOLUTIONS = ["resolved", "unresolved", "duplicate", "spam"]
REPLIES = ["I've blocked the card so nobody can use it.", "Thank you for waiting, I'm checking this now.",
           "The refund should arrive within 5 working days.", "Is there anything else I can help you with today?"]


def questions() -> list[str]:
    with open(ROOT / "data" / "banking77" / "train.csv", encoding="utf-8") as f:
        return [row["text"] for row in csv.DictReader(f)]


def conversation(i: int, rng: random.Random, texts: list[str], now_ms: int) -> tuple[dict[str, Any], list[str], list[str], int]:
    cid = f"{i:032x}"
    customer = {"name": f"Customer {rng.choice(['Morgan', 'Lee', 'Okafor', 'Nguyen', 'Rossi', 'Kowalski'])} {i % 997}",
                "customer_id": f"HB-{rng.randrange(30_000):06d}"}
    conv = {"conversation_id": cid, "customer": customer, "reason": {"kind": rng.choice(KINDS), "score": 0.8},
            "resolution": rng.choice(RESOLUTIONS), "rating": rng.choice([None, None, 1, 2, 3, 4, 5]),
            "last_agent": rng.choice(AGENTS)}
    said = [rng.choice(texts) for _ in range(rng.randint(2, 6))] + [rng.choice(REPLIES)]
    closed = now_ms - rng.randrange(29 * DAY_MS)
    return conv, said, [str(conv["last_agent"])], closed


async def fill(history: History, client: Any, n: int, seed: int = 24) -> list[tuple[dict[str, Any], list[str], int]]:
    rng, texts, now = random.Random(seed), questions(), int(time.time() * 1000)
    made, batch = [], []
    for i in range(n):
        conv, said, agents, closed = conversation(i, rng, texts, now)
        made.append((conv, said, closed))
        batch.append((conv["conversation_id"], index_keys_of(conv, said, agents), closed))
        if len(batch) == 10_000 or i == n - 1:
            await history.add_many(batch)
            async with client.pipeline(transaction=False) as p:
                for conv_, _, _ in made[-len(batch):]:
                    p.hset(keys.conv(conv_["conversation_id"]), mapping={
                        "state": "closed", "customer": json.dumps(conv_["customer"]),
                        "reason": json.dumps(conv_["reason"]), "resolution": conv_["resolution"],
                        "last_agent": conv_["last_agent"], "emotion": "neutral", "negativity": "0.2",
                        **({"rating": str(conv_["rating"])} if conv_["rating"] else {})})
                await p.execute()
            batch = []
    return made


KIND_NAMES = ("one word", "two words", "customer id", "agent, last 7 days", "word and rating",
              "reason, resolution, last 3 days", "the two commonest words")


def queries(made: list[tuple[dict[str, Any], list[str], int]], rng: random.Random, n: int) -> list[HistoryQuery]:
    now = int(time.time() * 1000)
    out = []
    for i in range(n):
        conv, said, _ = rng.choice(made)
        words = sorted(document_terms(said)) or ["card"]
        kind = i % 7
        if kind == 0:
            out.append(HistoryQuery(words=[rng.choice(words)]))
        elif kind == 1:
            out.append(HistoryQuery(words=rng.sample(words, min(2, len(words)))))
        elif kind == 2:
            out.append(HistoryQuery(customer_id=conv["customer"]["customer_id"]))
        elif kind == 3:
            out.append(HistoryQuery(agent=conv["last_agent"], from_ms=now - 7 * DAY_MS, to_ms=now))
        elif kind == 4:
            out.append(HistoryQuery(words=[rng.choice(words)], rating=rng.randint(1, 5)))
        elif kind == 5:
            out.append(HistoryQuery(reason=rng.choice(KINDS), resolution="unresolved", from_ms=now - 3 * DAY_MS))
        else:  # the worst case: the two commonest words of the corpus together
            out.append(HistoryQuery(words=["card", "account"]))
    return out


async def run(n: int = 100_000, searches: int = 700) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc = start_redis(Path(tmp), port)
        client = await store.connect(f"redis://127.0.0.1:{port}/0")
        try:
            history = History(client, 30 * 24 * 3600)
            t0 = time.perf_counter()
            made = await fill(history, client, n)
            fill_s = time.perf_counter() - t0
            rng = random.Random(7)
            plan = queries(made, rng, searches)
            for q in plan[:20]:  # warm-up: the scripts load, the connections open
                await history.search(q)
            times: list[float] = []
            matched: list[int] = []
            by_kind: dict[str, list[float]] = {}
            for i, q in enumerate(plan):
                started = time.perf_counter()
                page = await history.search(q, 0, 20)
                took = (time.perf_counter() - started) * 1000
                times.append(took)
                matched.append(page.total)
                by_kind.setdefault(KIND_NAMES[i % 7], []).append(took)
            s = summarize(times)
            memory = (await client.info("memory"))["used_memory"]
            return {"conversations": n, "searches": len(times), "p50_ms": s.p50, "p99_ms": s.p99, "max_ms": s.max,
                    "fill_s": fill_s, "median_matches": sorted(matched)[len(matched) // 2],
                    "max_matches": max(matched), "redis_mib": memory / 2**20,
                    "p99_by_kind": {k: round(summarize(v).p99, 1) for k, v in by_kind.items()}}
        finally:
            await client.close()
            stop(proc)


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run())))
