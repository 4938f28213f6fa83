"""`python -m scripts.migrate_keys`: rename a desk's Redis keys to the names with hash tags (once, desk stopped).

Since Redis Cluster support every key carries a hash tag (handoff/storage/keys.py): a conversation's keys its
id (`tandem:conv:<id>:log` -> `tandem:conv:{<id>}:log`, Rasa's `tandem:tracker:<id>` -> `tandem:tracker:{<id>}`)
and every desk-wide key `{desk}` (`tandem:queue` -> `tandem:{desk}:queue`). A desk whose Redis was written
before then is renamed here, on the one Redis it ran on (RENAME within the database), and its conversations
get what the split transition reads (lua.TRANSITION): `queue_rank` for the queued ones, `agents` for the
assigned ones. Safe to run again (a tagged key is left alone). Reads REDIS_URL like the gateway; without one it
uses the desk's own Redis, as `make run` leaves it. A Redis Cluster is new: it has nothing to migrate.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import redis.asyncio as aioredis

from handoff import settings as settings_mod
from handoff.storage import keys, local_redis
from handoff.storage import store as store_mod

PER_CONVERSATION = ("conv:", "tracker:", "lock:")  # their id becomes the tag


def tagged_name(key: str) -> str | None:
    """The name `key` has with hash tags; None when it has them already or is not the desk's."""
    if not key.startswith(keys.PREFIX) or "{" in key:
        return None
    rest = key[len(keys.PREFIX) :]
    for kind in PER_CONVERSATION:
        if rest.startswith(kind):
            ident, sep, tail = rest[len(kind) :].partition(":")
            return f"{keys.PREFIX}{kind}{keys.tag(ident)}{sep}{tail}"
    return keys.DESK + rest


async def migrate(client: aioredis.Redis) -> int:
    """Rename every untagged key of the database; returns how many. Then the split transition's fields."""
    renamed = 0
    async for key in client.scan_iter(match=keys.PREFIX + "*", count=1000):
        new = tagged_name(key)
        if new is None:
            continue
        if await client.renamenx(key, new):
            renamed += 1
    for cid, rank in await client.zrange(keys.QUEUE, 0, -1, withscores=True):
        await client.hsetnx(keys.conv(cid), "queue_rank", repr(rank) if rank % 1 else str(int(rank)))
    for username in await client.smembers(keys.USERS):
        for cid in await client.smembers(keys.agent_convs(username)):
            await client.hsetnx(keys.conv(cid), "agents", username)
    return renamed


async def run(redis_url: str) -> int:
    client = await store_mod.connect(redis_url)
    try:
        return await migrate(client)
    finally:
        await client.close()


def main() -> None:
    settings = settings_mod.load()
    if settings.redis_cluster:
        raise SystemExit("REDIS_CLUSTER is set: a cluster starts with tagged keys; nothing to migrate")
    url, started = settings.redis_url, None
    if not url:
        url, started = local_redis.ensure_project_redis(Path(settings.data_dir))
    try:
        renamed = asyncio.run(run(url))
    finally:
        local_redis.stop_started(started)
    print(f"renamed {renamed} key(s) to their hash-tagged names")


if __name__ == "__main__":
    main()
