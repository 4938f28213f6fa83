"""The split transition (lua.TRANSITION_BEGIN, TRANSITION, TRANSITION_DESK; docs/deploy.md): a process that dies
between its steps leaves a state the sweep (Store.finish_transitions) finishes or undoes, a desk step that runs
late never undoes a newer one, and a claim race still has one winner whose slot alone stays taken."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from handoff.accounts.auth import Accounts
from handoff.core import conversation as sm
from handoff.core import errors
from handoff.core.conversation import Snapshot
from handoff.core.protocol import State
from handoff.storage import keys
from handoff.storage.store import Store
from tests.handoff.storage.test_store import queued


class Died(Exception):
    """The instance running the transition died here (nothing after this point ran)."""


class DiesBeforeDeskStep(Store):
    """A store whose process dies right after the conversation's step decided: the desk step never runs."""

    async def _desk_step(self, conversation_id: str, version: int, *args: Any, **kwargs: Any) -> int:
        if version:
            raise Died()
        return await super()._desk_step(conversation_id, version, *args, **kwargs)


async def dies_before_deciding(store: Store) -> Store:
    """A store whose process dies after the begin step (the agent's slot reserved), before the decision."""
    crashing = Store(store.r, store.ttl)

    async def died(**_: Any) -> None:
        raise Died()

    crashing._transition = died  # type: ignore[method-assign]
    return crashing


async def members(store: Store, key: str) -> set[str]:
    return set(await store.r.smembers(key))


async def test_a_claim_decided_before_the_crash_is_finished_by_the_sweep(
    store: Store, accounts: Accounts
) -> None:
    await accounts.create("sam", "Sam", "agent", 2, "password-12345")
    cid = await queued(store)
    crashing = DiesBeforeDeskStep(store.r, store.ttl)
    with pytest.raises(Died):
        await crashing.apply(cid, sm.claim(Snapshot(State.QUEUED), "sam", "Sam"), {"state": "agent"})
    conv = await store.get(cid)
    assert conv is not None and conv["state"] is State.AGENT and conv["agent"] == "sam"  # the decision stands
    assert await store.queue_position(cid) == 1  # the desk side is behind
    assert await store.finish_transitions(older_than_ms=60_000) == 0  # not yet due: it may still be running
    assert await store.finish_transitions(older_than_ms=0) == 1
    assert await store.queue_position(cid) is None
    assert await members(store, keys.agent_convs("sam")) == {cid}
    assert await store.r.zcard(keys.TRANSITIONS) == 0
    assert await store.finish_transitions(older_than_ms=0) == 0  # nothing left to do


async def test_a_slot_reserved_by_a_claim_that_never_decided_is_given_back(
    store: Store, accounts: Accounts
) -> None:
    await accounts.create("solo", "Solo", "agent", 1, "password-12345")
    cid = await queued(store)
    crashing = await dies_before_deciding(store)
    with pytest.raises(Died):
        await crashing.apply(cid, sm.claim(Snapshot(State.QUEUED), "solo", "Solo"), {"state": "agent"})
    assert await members(store, keys.agent_convs("solo")) == {cid}  # reserved: the agent looks full
    other = await queued(store)
    with pytest.raises(errors.OverCapacity):
        await store.apply(other, sm.claim(Snapshot(State.QUEUED), "solo", "Solo"), {"state": "agent"})
    assert await store.finish_transitions(older_than_ms=0) == 1
    assert await members(store, keys.agent_convs("solo")) == set()  # given back
    assert (await store.get(cid))["state"] is State.QUEUED  # type: ignore[index]
    assert await store.queue_position(cid) is not None
    await store.apply(
        other, sm.claim(Snapshot(State.QUEUED), "solo", "Solo"), {"state": "agent"}
    )  # free again


async def test_a_late_desk_step_of_an_older_version_does_not_undo_a_newer_one(
    store: Store, accounts: Accounts
) -> None:
    await accounts.create("sam", "Sam", "agent", 3, "password-12345")
    cid, _ = await store.create_conversation({"name": "Ada"}, "en")
    crashing = DiesBeforeDeskStep(store.r, store.ttl)
    escalate = sm.escalate(Snapshot(State.BOT), {"kind": "explicit"}, 0.5, 1)
    with pytest.raises(Died):
        await crashing.apply(cid, escalate, {"state": "queued"})  # version 1: queued, not yet in the queue
    await store.apply(
        cid, sm.claim(Snapshot(State.QUEUED), "sam", "Sam"), {"state": "agent"}
    )  # version 2, whole
    assert await store.queue_position(cid) is None and await members(store, keys.agent_convs("sam")) == {cid}
    # Version 1's desk step, run late (a slow instance): it would put the conversation in the queue.
    assert await store._desk_step(cid, 1, "", "1", "", "", "") == 0
    assert await store.queue_position(cid) is None
    assert await store.finish_transitions(older_than_ms=0) == 1  # version 1's note: finished from version 2
    assert await store.queue_position(cid) is None
    assert await members(store, keys.agent_convs("sam")) == {cid}
    assert (await store.r.get(keys.applied(cid))) == "2 sam"


async def test_a_transfer_interrupted_then_closed_leaves_the_conversation_in_nobodys_set(
    store: Store, accounts: Accounts
) -> None:
    for n in ("sam", "alex"):
        await accounts.create(n, n.title(), "agent", 3, "password-12345")
    cid = await queued(store)
    await store.apply(cid, sm.claim(Snapshot(State.QUEUED), "sam", "Sam"), {"state": "agent"})
    crashing = DiesBeforeDeskStep(store.r, store.ttl)
    with pytest.raises(Died):
        await crashing.apply(
            cid, sm.transfer(Snapshot(State.AGENT, "sam"), "sam", "alex", "Alex"), {"state": "agent"}
        )
    await store.apply(cid, sm.close(Snapshot(State.AGENT, "alex"), "alex", "resolved"), {"state": "closed"})
    # The close's desk step took it out of every set it was ever in, not only the last owner's.
    assert await members(store, keys.agent_convs("sam")) == set()
    assert await members(store, keys.agent_convs("alex")) == set()
    await store.finish_transitions(older_than_ms=0)
    assert await members(store, keys.agent_convs("alex")) == set()


async def test_twenty_racing_claims_leave_only_the_winners_slot_taken(
    store: Store, accounts: Accounts
) -> None:
    names = [f"racer{i:02d}" for i in range(20)]
    await asyncio.gather(*[accounts.create(n, n.title(), "agent", 1, "password-12345") for n in names])
    cid = await queued(store)

    async def claim(name: str) -> str:
        try:
            await store.apply(cid, sm.claim(Snapshot(State.QUEUED), name, name.title()), {"state": "agent"})
            return name
        except (errors.Conflict, errors.BadState):
            return ""

    winners = [w for w in await asyncio.gather(*[claim(n) for n in names]) if w]
    assert len(winners) == 1
    held = [n for n in names if await members(store, keys.agent_convs(n))]
    assert held == winners  # every loser's reservation given back at once, not by the sweep
    assert await store.r.zcard(keys.TRANSITIONS) == 0


async def test_a_conversation_queued_before_its_desk_step_already_knows_its_position(store: Store) -> None:
    """The customer's state event comes from the conversation's step: its queue position is read in between."""
    ahead = await queued(store)
    cid, _ = await store.create_conversation({"name": "Ada"}, "en")
    with pytest.raises(Died):
        await DiesBeforeDeskStep(store.r, store.ttl).apply(
            cid, sm.escalate(Snapshot(State.BOT), {"kind": "explicit"}, 0.5, 10**13), {"state": "queued"}
        )
    assert await store.r.zscore(keys.QUEUE, cid) is None
    assert await store.queue_position(ahead) == 1 and await store.queue_position(cid) == 2
    await store.finish_transitions(older_than_ms=0)
    assert await store.queue_position(cid) == 2
