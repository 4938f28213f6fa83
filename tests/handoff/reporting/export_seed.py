"""`python -m tests.handoff.reporting.export_seed`: one conversation, with a card number in it, written to the
desk's own Redis (TANDEM_LOCAL_REDIS_PORT) through the gateway's Store; prints its id. For
tests/handoff/test_readme_commands.py, which then exports it as a user would."""
from __future__ import annotations

import asyncio

from handoff.storage import local_redis
from handoff.storage import store as store_mod


async def seed() -> str:
    client = await store_mod.connect(f"redis://127.0.0.1:{local_redis.local_redis_port()}/0")
    try:
        store = store_mod.Store(client)
        cid, _ = await store.create_conversation({"name": "Chidinma Okafor"}, "en")
        seq, _, _ = await store.append(cid, {"sender": "customer", "text": "my card 4539 1488 0343 6467 is lost"})
        await store.annotate(cid, seq, {"intent": "lost_or_stolen_card", "confidence": 0.9, "negativity": 0.5})
        await store.append(cid, {"sender": "bot", "text": "I'm sorry to hear that."})
        return cid
    finally:
        await client.close()


if __name__ == "__main__":
    print(asyncio.run(seed()))
