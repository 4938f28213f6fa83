"""scripts.migrate_keys: a desk written before the hash tags is renamed to the tagged schema and carries on."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from handoff.accounts.auth import Accounts
from handoff.core import conversation as sm
from handoff.core.conversation import Snapshot
from handoff.core.protocol import State
from handoff.storage import keys
from handoff.storage import store as store_mod
from handoff.storage.accounts import AccountRecords
from scripts.migrate_keys import migrate, tagged_name

MIGRATE_DB = 3  # the unit tests' database (tests/handoff/conftest.py UNIT_DB), flushed here first


@pytest.fixture
async def old_desk(redis_url: str) -> AsyncIterator:
    client = await store_mod.connect(redis_url.rsplit("/", 1)[0] + f"/{MIGRATE_DB}")
    await client.flushdb()
    try:
        yield client
    finally:
        await client.flushdb()
        await client.close()


def test_each_kind_of_key_gets_its_tag() -> None:
    cid = "a" * 32
    assert tagged_name(f"tandem:conv:{cid}") == keys.conv(cid)
    assert tagged_name(f"tandem:conv:{cid}:log") == keys.log(cid)
    assert tagged_name(f"tandem:conv:{cid}:sent:r1") == keys.sent(cid, "r1")
    assert tagged_name(f"tandem:tracker:{cid}") == f"tandem:tracker:{{{cid}}}"
    assert tagged_name("tandem:queue") == keys.QUEUE
    assert tagged_name("tandem:user:sam") == keys.user("sam")
    assert tagged_name("tandem:agent:sam:convs") == keys.agent_convs("sam")
    assert tagged_name("tandem:hist:term:card") == keys.hist("term", "card")
    assert tagged_name(keys.QUEUE) is None and tagged_name(keys.conv(cid)) is None  # already tagged
    assert tagged_name("other:key") is None


async def test_an_old_desk_is_renamed_and_its_queued_and_assigned_chats_go_on(old_desk) -> None:  # type: ignore[no-untyped-def]
    r = old_desk
    queued, assigned = "q" * 32, "s" * 32
    # As the gateway wrote them before the tags.
    await r.hset(
        f"tandem:conv:{queued}", mapping={"state": "queued", "seq": 1, "token_hash": "x", "queued_at": 5}
    )
    await r.xadd(f"tandem:conv:{queued}:log", {"m": '{"sender":"customer","text":"hi"}'}, id="1-0")
    await r.zadd("tandem:queue", {queued: 1500})
    await r.hset(
        f"tandem:conv:{assigned}", mapping={"state": "agent", "agent": "sam", "seq": 0, "token_hash": "x"}
    )
    await r.sadd("tandem:agent:sam:convs", assigned)
    await r.set(f"tandem:tracker:{assigned}", "{}")
    await Accounts(AccountRecords(r)).create("sam", "Sam", "agent", 3, "password-12345")  # new names already
    await r.rename(keys.user("sam"), "tandem:user:sam")
    await r.rename(keys.USERS, "tandem:users")

    assert await migrate(r) == 8
    assert await migrate(r) == 0  # a second run changes nothing
    assert not [k async for k in r.scan_iter(match="tandem:*") if "{" not in k]
    store = store_mod.Store(r, 3600)
    assert [m["text"] for m in await store.read_log(queued)] == ["hi"]
    assert await store.queue_position(queued) == 1
    await store.apply(queued, sm.claim(Snapshot(State.QUEUED), "sam", "Sam"), {"state": "agent"})
    assert await store.queue_position(queued) is None
    assert await store.assigned_ids("sam") == {queued, assigned}
    await store.apply(
        assigned, sm.close(Snapshot(State.AGENT, "sam"), "sam", "resolved"), {"state": "closed"}
    )
    assert await store.assigned_ids("sam") == {queued}  # the old assignment was known to the desk step
    assert await r.exists(f"tandem:tracker:{{{assigned}}}") == 1
