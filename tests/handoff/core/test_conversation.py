"""handoff.core.conversation: the pure state machine, with plain calls."""
from __future__ import annotations

import pytest

from handoff.core import conversation as sm
from handoff.core import errors
from handoff.core.conversation import Snapshot
from handoff.core.protocol import State

BOT, QUEUED, AGENT, CLOSED = (Snapshot(State.BOT), Snapshot(State.QUEUED), Snapshot(State.AGENT, "sam", "Sam"),
                              Snapshot(State.CLOSED))


def test_escalation_moves_bot_to_queued_and_pauses_rasa() -> None:
    t = sm.escalate(BOT, {"kind": "negativity"}, 0.6, now_ms=1_000)
    assert (t.to, t.queue, t.rasa) == (State.QUEUED, "add", "pause")
    assert t.from_states == (State.BOT,)


@pytest.mark.parametrize("snap", [QUEUED, AGENT, CLOSED])
def test_escalation_is_refused_outside_bot_mode(snap: Snapshot) -> None:
    with pytest.raises(errors.BadState):
        sm.escalate(snap, {}, 0.5, 0)


def test_claim_takes_a_queued_conversation_with_a_capacity_check() -> None:
    t = sm.claim(QUEUED, "sam", "Sam")
    assert (t.to, t.new_agent, t.check_capacity, t.queue) == (State.AGENT, "sam", True, "remove")
    assert t.note is not None and t.note.text == "Sam has joined the chat."


def test_claiming_a_claimed_conversation_is_a_conflict() -> None:
    with pytest.raises(errors.Conflict):
        sm.claim(AGENT, "alex", "Alex")


def test_only_the_owner_or_an_admin_may_hand_back_transfer_or_close() -> None:
    with pytest.raises(errors.Forbidden):
        sm.handback(AGENT, "alex")
    with pytest.raises(errors.Forbidden):
        sm.transfer(AGENT, "alex", "ada", "Ada")
    with pytest.raises(errors.Forbidden):
        sm.close(AGENT, "alex", "resolved")
    assert sm.handback(AGENT, "ada", is_admin=True).require_agent == sm.ANY_AGENT


def test_handback_returns_to_the_bot_and_resumes_rasa() -> None:
    t = sm.handback(AGENT, "sam")
    assert (t.to, t.new_agent, t.rasa, t.require_agent) == (State.BOT, "", "resume", "sam")


def test_transfer_keeps_agent_mode_and_names_the_new_agent() -> None:
    t = sm.transfer(AGENT, "sam", "alex", "Alex")
    assert (t.to, t.new_agent, t.require_agent, t.check_capacity) == (State.AGENT, "alex", "sam", True)
    assert "Alex" in t.note.text  # type: ignore[union-attr]
    with pytest.raises(errors.BadState):
        sm.transfer(AGENT, "sam", "sam", "Sam")


def test_close_asks_for_a_rating_and_leaves_the_queue() -> None:
    t = sm.close(AGENT, "sam", "resolved")
    assert (t.to, t.rating_request, t.queue) == (State.CLOSED, True, "remove")
    assert t.fields["resolution"] == "resolved"
    assert sm.close(QUEUED, "alex", "spam").require_agent is None


def test_an_agent_cannot_close_a_conversation_the_bot_is_handling_but_an_admin_can() -> None:
    with pytest.raises(errors.Forbidden):
        sm.close(BOT, "sam", "spam")
    assert sm.close(BOT, "ada", "spam", is_admin=True).to is State.CLOSED


def test_nothing_leaves_closed() -> None:
    for action in (lambda: sm.claim(CLOSED, "a", "A"), lambda: sm.handback(CLOSED, "a"),
                   lambda: sm.callback(CLOSED), lambda: sm.escalate(CLOSED, {}, 0, 0)):
        with pytest.raises(errors.BadState):
            action()


def test_rating_only_once_and_only_when_closed() -> None:
    assert sm.check_rating(CLOSED).event == "rated"
    with pytest.raises(errors.BadState):
        sm.check_rating(AGENT)
    with pytest.raises(errors.Conflict):
        sm.check_rating(Snapshot(State.CLOSED, rated=True))


def test_requeue_puts_an_orphaned_chat_back_ahead_of_its_old_priority() -> None:
    t = sm.requeue(AGENT, "sam", 0.3, now_ms=10_000)
    assert (t.to, t.queue, t.require_agent, t.new_agent) == (State.QUEUED, "add", "sam", "")
    assert t.rank == sm.queue_rank(0.5, 10_000)


def test_priority_rises_with_negativity_and_sensitive_topics() -> None:
    calm = sm.priority_for("explicit", 1.0, negativity=0.0)
    upset = sm.priority_for("explicit", 1.0, negativity=0.9)
    fraud = sm.priority_for("sensitive", 0.0, negativity=0.0)
    assert calm < upset and calm < fraud
    assert 0.0 <= sm.priority_for("negativity", 5.0, 5.0) <= 1.0


def test_queue_rank_trades_ten_minutes_of_waiting_for_one_unit_of_priority() -> None:
    older_calm = sm.queue_rank(0.0, queued_at_ms=0)
    newer_upset = sm.queue_rank(1.0, queued_at_ms=9 * 60_000)
    newest_upset = sm.queue_rank(1.0, queued_at_ms=11 * 60_000)
    assert newer_upset < older_calm < newest_upset


def test_queued_note_is_honest_when_nobody_is_online() -> None:
    note = sm.queued_note(position=1, wait_s=120, agents_online=0)
    assert note.event == "no_agents"
    assert [a["id"] for a in note.actions] == ["stay_in_queue", "leave_message"]
    online = sm.queued_note(position=3, wait_s=300, agents_online=2)
    assert "number 3" in online.text and "5 minutes" in online.text


def test_wait_estimate_uses_recent_waits_and_grows_with_position() -> None:
    assert sm.estimate_wait_s(1, [], 2, default_s=120) == 120
    assert sm.estimate_wait_s(1, [60_000, 90_000, 600_000], 2, 120) == 90
    assert sm.estimate_wait_s(5, [60_000], 1, 120) > sm.estimate_wait_s(1, [60_000], 1, 120)


def test_takeback_is_for_the_agent_who_handed_back_and_only_while_the_watch_lasts() -> None:
    from handoff.core import conversation as sm
    from handoff.core import errors as errs

    snap = sm.Snapshot(sm.State.BOT)
    watch = sm.handback_fields("sam", 1_000, 600_000)
    until = int(watch["watch_until"])
    t = sm.takeback(snap, "sam", "Sam", watch["handed_back_by"], until, 2_000)
    assert (t.to, t.new_agent, t.check_capacity, t.rasa) == (sm.State.AGENT, "sam", True, "pause")
    assert t.note is not None and t.note.message()["agent_text"] == "Sam took the chat back from the assistant."
    for who, now, error in (("alex", 2_000, errs.Forbidden), ("sam", until + 1, errs.BadState)):
        try:
            sm.takeback(snap, who, who.title(), "sam", until, now)
        except error:
            continue
        raise AssertionError(f"{who} at {now} should have been refused")
    assert sm.takeback(snap, "ada", "Ada", "sam", until, 2_000, is_admin=True).new_agent == "ada"


def test_merge_closes_a_second_chat_with_the_bot_or_queued_as_a_duplicate() -> None:
    from handoff.core import conversation as sm
    from handoff.core import errors as errs

    for state in (sm.State.BOT, sm.State.QUEUED):
        t = sm.merge(sm.Snapshot(state), "a" * 32, "kim", "Kim")
        assert (t.to, t.queue, t.fields["resolution"], t.fields["merged_into"]) == (sm.State.CLOSED, "remove",
                                                                                    "duplicate", "a" * 32)
    try:
        sm.merge(sm.Snapshot(sm.State.AGENT, "lee", "Lee"), "a" * 32, "kim", "Kim")
    except errs.BadState:
        return
    raise AssertionError("a chat with another agent must not be merged away")
