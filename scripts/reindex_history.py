"""`python -m scripts.reindex_history`: put every closed conversation the console's history index lacks into it.

For a desk that ran before the index existed (handoff/storage/history.py), or after an indexing failure was
logged; it skips what is indexed already, so it is safe to run again. Reads REDIS_URL like the gateway;
without one it uses the desk's own Redis, as `make run` leaves it (started on its saved data if the desk is
stopped, and stopped again after).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from handoff import settings as settings_mod
from handoff.storage import local_redis
from handoff.storage import store as store_mod
from handoff.storage.history import History


async def reindex(redis_url: str, ttl_s: int) -> int:
    client = await store_mod.connect(redis_url)
    try:
        return await History(client, ttl_s).reindex(store_mod.Store(client, ttl_s))
    finally:
        await client.close()


def main() -> None:
    settings = settings_mod.load()
    url, started = settings.redis_url, None
    if not url:
        url, started = local_redis.ensure_project_redis(Path(settings.data_dir))
    try:
        added = asyncio.run(reindex(url, settings.conversation_ttl_s))
    finally:
        local_redis.stop_started(started)
    print(f"indexed {added} closed conversation(s)")


if __name__ == "__main__":
    main()
