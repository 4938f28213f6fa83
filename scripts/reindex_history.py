"""`python -m scripts.reindex_history`: put every closed conversation the console's history index lacks into it.

For a desk that ran before the index existed (handoff/storage/history.py), or after an indexing failure was
logged; it skips what is indexed already, so it is safe to run again. Reads REDIS_URL like the gateway.
"""

from __future__ import annotations

import asyncio

from handoff import settings as settings_mod
from handoff.storage import store as store_mod
from handoff.storage.history import History


async def main() -> None:
    settings = settings_mod.load()
    if not settings.redis_url:
        raise SystemExit("set REDIS_URL to the desk's Redis")
    client = await store_mod.connect(settings.redis_url)
    try:
        store = store_mod.Store(client, settings.conversation_ttl_s)
        added = await History(client, settings.conversation_ttl_s).reindex(store)
        print(f"indexed {added} closed conversation(s)")
    finally:
        await client.close()


if __name__ == "__main__":
    asyncio.run(main())
