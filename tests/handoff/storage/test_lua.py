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
    assert CALLS["RATE"].keys == [keys.conv(CID), keys.RATINGS]
    assert CALLS["INBOX_ADD"].keys == [keys.inbox_item("a" * 16), keys.INBOX_OPEN]
    assert CALLS["INBOX_ADD"].args[-1] == keys.INBOX_ITEM_PREFIX
    assert CALLS["ACTIVATE_MODEL"].keys == [keys.MODELS_ACTIVE, keys.MODELS_HISTORY]
    assert CALLS["ACTIVATE_MODEL"].args[6] == keys.CH_MODELS


def test_ending_a_turn_without_an_event_publishes_nothing() -> None:
    assert lua.end_turn_call(CID, seq=3, event=None).args == [3, "", "{}"]
    assert lua.end_turn_call(CID, seq=3, event="{}").args == [3, keys.ch_conv(CID), "{}"]


def test_the_transition_builder_puts_each_named_argument_where_the_script_reads_it() -> None:
    call = lua.transition_call(CID, action="claim", from_states=["queued"], to_state="agent", require_agent=None,
                               new_agent="sam", new_agent_name="Sam", check_capacity=True, queue_op="remove",
                               rank=None, note='{"sender":"system"}', now=7, ttl_s=60,
                               state_event='{"kind":"state"}', fields={"claimed_at": "7", "wait_ms": "3"})
    assert call.keys == [keys.conv(CID), keys.log(CID), keys.QUEUE]
    argv = dict(enumerate(call.args, start=1))  # ARGV is 1-based, as the script's comment numbers it
    assert (argv[1], argv[2], argv[3], argv[4], argv[5], argv[6], argv[7]) == (
        "claim", "queued", "agent", "", "sam", "Sam", "1")
    assert (argv[8], argv[9], argv[10], argv[11], argv[12], argv[13]) == (
        "remove", 0, '{"sender":"system"}', CID, 7, 60)
    assert (argv[14], argv[15], argv[18]) == (keys.ch_conv(CID), '{"kind":"state"}', 2)
    # The agents' key shapes are keys.py's, with the name left to the script (it reads the previous agent).
    assert argv[16].replace(lua.AGENT_SLOT, "sam") == keys.user("sam")
    assert argv[17].replace(lua.AGENT_SLOT, "sam") == keys.agent_convs("sam")
    assert call.args[18:] == ["claimed_at", "7", "wait_ms", "3"]
    assert highest(lua.TRANSITION, "ARGV") == 18  # then the field/value pairs, read in a loop
    assert "'user:'" not in lua.TRANSITION and "':convs'" not in lua.TRANSITION


def test_keeping_clearing_and_requiring_any_agent_are_spelled_as_the_transition_script_expects() -> None:
    def argv(**changes: object) -> list:
        named = {"action": "close", "from_states": ["agent"], "to_state": "closed", "require_agent": None,
                 "new_agent": None, "new_agent_name": None, "check_capacity": False, "queue_op": None, "rank": None,
                 "note": None, "now": 1, "ttl_s": 1, "state_event": "{}", "fields": {}}
        return lua.transition_call(CID, **{**named, **changes}).args  # type: ignore[arg-type]

    assert argv()[3:9] == ["", "-", "", "0", "", 0]  # no agent check, keep the agent, no queue change
    assert argv(new_agent="")[4] == ""  # clear the agent
    assert argv(require_agent="*")[3] == "*"  # any agent
    assert argv(note=None)[9] == ""
