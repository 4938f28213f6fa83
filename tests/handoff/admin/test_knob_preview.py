"""The threshold preview: what proposed escalation values would have done to stored conversations, checked
against a replay worked out by hand (handoff/admin/knob_preview.py)."""
from __future__ import annotations

from typing import Any

from bot.escalation.signals import Thresholds
from handoff.admin.knob_preview import first_bot_phase, preview
from handoff.reporting.analytics import ConversationRecord


def customer(seq: int, text: str, intent: str, negativity: float, confidence: float = 0.9) -> dict[str, Any]:
    return {"seq": seq, "ts": seq * 1000, "sender": "customer", "text": text, "intent": intent,
            "confidence": confidence, "negativity": negativity, "emotions": {"neutral": 1 - negativity}}


def record(cid: str, *messages: dict[str, Any]) -> ConversationRecord:
    return ConversationRecord(cid, 1000, "bot", tuple(messages))


CALM = record("a" * 32, customer(1, "what is the exchange rate for euros", "exchange_rate", 0.02),
              {"seq": 2, "ts": 2000, "sender": "bot", "text": "Our rates are ..."})
# "annoying": milder words of frustration, turn negativity 0.5 (signals.turn_negativity). The rolling figure
# after one turn is 0.6 * 0.5 = 0.3, under 0.5, and 0.5 is under the spike level 0.85: no hand-over today.
# With spike_level 0.45 the one message is a spike.
ANNOYED = record("b" * 32, customer(1, "this app is annoying, where is my card", "card_arrival", 0.3))
# Asked for a person: handed over whatever the negativity thresholds say; the agent's part is not replayed.
ASKED = record("c" * 32, customer(1, "I want to speak to a human", "request_human", 0.1),
               {"seq": 2, "ts": 2000, "sender": "system", "event": "queued"},
               customer(3, "this is annoying", "complain", 0.6))
EMPTY = record("d" * 32, {"seq": 1, "ts": 1000, "sender": "bot", "text": "Hello!"})


def test_only_the_first_bot_phase_is_replayed() -> None:
    assert [t.text for t in first_bot_phase(ASKED)] == ["I want to speak to a human"]
    assert first_bot_phase(EMPTY) == []


def test_preview_counts_match_the_replay_worked_out_by_hand() -> None:
    result = preview([CALM, ANNOYED, ASKED, EMPTY], Thresholds(), Thresholds(spike_level=0.45))
    assert {k: result[k] for k in ("conversations", "handovers_now", "handovers_proposed", "more", "fewer")} == {
        "conversations": 3, "handovers_now": 1, "handovers_proposed": 2, "more": 1, "fewer": 0}
    [example] = result["more_examples"]
    assert (example["conversation_id"], example["kind"], example["turn"]) == ("b" * 32, "negativity", 1)
    back = preview([CALM, ANNOYED, ASKED], Thresholds(spike_level=0.45), Thresholds())
    assert (back["fewer"], back["more"], back["fewer_examples"][0]["conversation_id"]) == (1, 0, "b" * 32)
