"""The typed builders of the Lua scripts' KEYS and ARGV (handoff/storage/lua.py): each one gives its script
exactly the keys and arguments the script reads, named from handoff/storage/keys.py, in the documented order."""
from __future__ import annotations

import re

import pytest

from handoff.storage import keys, lua

CID = "c" * 32


def highest(script: str, name: str) -> int:
    """The highest KEYS[n] / ARGV[n] the script reads."""
    return max((int(n) for n in re.findall(rf"{name}\[(\d+)\]", script)), default=0)


CALLS = {
    "APPEND": lua.append_call(CID, message='{"sender":"customer"}', dedupe="c:1", states=["bot", "queued"],
                              agent=None, ttl_s=60, now=5, needs_turn=True),
    "END_TURN": lua.end_turn_call(CID, seq=3, event='{"kind":"typing"}'),
    "TAKE_STALE_TURN": lua.take_stale_turn_call(CID, now=5, grace_ms=1000),
    "RATE": lua.rate_call(CID, score=5, comment="", now=5),
    "INBOX_ADD": lua.inbox_add_call("a" * 16, text="hi", intent="greet", confidence=0.3, ranking="[]",
                                    reason="low_confidence", conversation_id=CID, seq=1, now=5, ttl_s=60, max_open=10,
                                    suggested="", suggested_by=""),
    "TRANSITION_BEGIN": lua.transition_begin_call(CID, token="t1", now=5, reserve_for="sam"),
    "TRANSITION_DESK": lua.transition_desk_call(CID, version=3, agent="sam", queue_rank="", agents="ann,sam",
                                                member=f"{CID} t1 sam", reserved="sam", ttl_s=60,
                                                also_publish=(keys.CH_AGENTS, '{"position":"{position}"}')),
    "ACTIVATE_MODEL": lua.activate_model_call(version="v2", by="ada", now=5, entry="{}", base="base", expect="",
                                              event="{}", history_kept=100),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_each_builder_gives_its_script_every_key_and_argument_it_reads(name: str) -> None:
    script, call = getattr(lua, name), CALLS[name]
    assert len(call.keys) == highest(script, "KEYS")
    assert len(call.args) == highest(script, "ARGV")
    assert call.kwargs() == {"keys": call.keys, "args": call.args}


def test_the_conversation_scripts_use_the_key_and_channel_names_of_keys_py() -> None:
    append = CALLS["APPEND"]
    assert append.keys == [keys.conv(CID), keys.log(CID), keys.client_ids(CID)]
    assert append.args == ["c:1", '{"sender":"customer"}', "bot,queued", "", 60, keys.ch_conv(CID),
                           keys.CLIENT_IDS_KEPT_S, 5, "1"]
    assert CALLS["RATE"].keys == [keys.conv(CID)]  # the desk's ratings stream is written after it
    assert CALLS["INBOX_ADD"].keys == [keys.inbox_item("a" * 16), keys.INBOX_OPEN]
    assert CALLS["INBOX_ADD"].args[-1] == keys.INBOX_ITEM_PREFIX
    assert CALLS["ACTIVATE_MODEL"].keys == [keys.MODELS_ACTIVE, keys.MODELS_HISTORY]
    assert CALLS["ACTIVATE_MODEL"].args[6] == keys.CH_MODELS


def test_ending_a_turn_without_an_event_publishes_nothing() -> None:
    assert lua.end_turn_call(CID, seq=3, event=None).args == [3, "", "{}"]
    assert lua.end_turn_call(CID, seq=3, event="{}").args == [3, keys.ch_conv(CID), "{}"]


def test_the_transition_builder_puts_each_named_argument_where_the_script_reads_it() -> None:
    call = lua.transition_call(CID, action="claim", from_states=["queued"], to_state="agent", require_agent=None,
                               new_agent="sam", new_agent_name="Sam", queue_op="remove", rank=None,
                               note='{"sender":"system"}', now=7, ttl_s=60, state_event='{"kind":"state"}',
                               fields={"claimed_at": "7", "wait_ms": "3"})
    assert call.keys == [keys.conv(CID), keys.log(CID)]  # the conversation's slot only
    argv = dict(enumerate(call.args, start=1))  # ARGV is 1-based, as the script's comment numbers it
    assert (argv[1], argv[2], argv[3], argv[4], argv[5], argv[6]) == ("claim", "queued", "agent", "", "sam", "Sam")
    assert (argv[7], argv[8], argv[9], argv[10], argv[11]) == ("remove", 0, '{"sender":"system"}', 7, 60)
    assert (argv[12], argv[13], argv[14]) == (keys.ch_conv(CID), '{"kind":"state"}', 2)
    assert call.args[14:] == ["claimed_at", "7", "wait_ms", "3"]
    assert highest(lua.TRANSITION, "ARGV") == 14  # the field count; the pairs after it are read in a loop


def test_the_desk_steps_of_a_transition_touch_desk_keys_only_and_the_conversation_step_its_own() -> None:
    from redis.crc import key_slot

    def slots(call: lua.ScriptCall) -> set[int]:
        return {key_slot(k.encode()) for k in call.keys}

    begin, desk = CALLS["TRANSITION_BEGIN"], CALLS["TRANSITION_DESK"]
    assert begin.keys == [keys.TRANSITIONS, keys.user("sam"), keys.agent_convs("sam")]
    assert desk.keys == [keys.TRANSITIONS, keys.QUEUE, keys.applied(CID)]
    desk_slot = key_slot(keys.QUEUE.encode())
    assert slots(begin) == slots(desk) == {desk_slot}
    # The agents' sets the desk step derives from a name share the desk's slot too.
    assert desk.args[7].replace(lua.AGENT_SLOT, "sam") == keys.agent_convs("sam")
    assert key_slot(keys.agent_convs("anyone").encode()) == desk_slot
    assert slots(lua.transition_begin_call(CID, token="t", now=1, reserve_for=None)) == {desk_slot}
    conv_call = lua.transition_call(CID, action="close", from_states=["agent"], to_state="closed",
                                    require_agent=None, new_agent="", new_agent_name=None, queue_op=None, rank=None,
                                    note=None, now=1, ttl_s=1, state_event="{}", fields={})
    assert slots(conv_call) == {key_slot(keys.conv(CID).encode())} == {key_slot(keys.ch_conv(CID).encode())}


def test_on_a_cluster_every_script_publishes_with_spublish() -> None:
    for name in ("APPEND", "END_TURN", "TRANSITION", "TRANSITION_DESK", "ACTIVATE_MODEL"):
        sharded = lua.sharded(getattr(lua, name))
        assert "redis.call('PUBLISH'" not in sharded and "redis.call('SPUBLISH'" in sharded, name


def test_keeping_clearing_and_requiring_any_agent_are_spelled_as_the_transition_script_expects() -> None:
    def argv(**changes: object) -> list:
        named = {"action": "close", "from_states": ["agent"], "to_state": "closed", "require_agent": None,
                 "new_agent": None, "new_agent_name": None, "queue_op": None, "rank": None,
                 "note": None, "now": 1, "ttl_s": 1, "state_event": "{}", "fields": {}}
        return lua.transition_call(CID, **{**named, **changes}).args  # type: ignore[arg-type]

    assert argv()[3:8] == ["", "-", "", "", 0]  # no agent check, keep the agent, no queue change
    assert argv(new_agent="")[4] == ""  # clear the agent
    assert argv(require_agent="*")[3] == "*"  # any agent
    assert argv(note=None)[8] == ""
