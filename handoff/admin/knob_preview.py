"""What new escalation thresholds would have done to the last conversations, before an admin saves them.

Each conversation's first bot phase (its customer messages up to the first escalation or claim) is replayed
through the policy's own decision (`bot.escalation.signals.first_decision`) twice: with the thresholds in force
now (the active model's, with the saved live values on top) and with the proposed ones. The turns are rebuilt
from what the transcript stored of each message: text, intent and confidence, emotions, negativity, and the
dialogue acts where they were stored. No model runs, so a preview of hundreds of conversations takes
milliseconds; a message the button sent to a person ("talk to a person") is not the policy's, and is not
counted either way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bot.escalation.signals import Decision, Thresholds, Turn, first_decision
from handoff.reporting import redaction
from handoff.reporting.analytics import ConversationRecord

DEFAULT_LAST = 200
MAX_LAST = 1000
EXAMPLES = 5
PHASE_ENDS = ("queued", "no_agents", "claimed", "closed")


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _probabilities(value: Any) -> Mapping[str, float] | None:
    if not isinstance(value, Mapping):
        return None
    return {str(k): float(v) for k, v in value.items() if _number(v) is not None}


def first_bot_phase(record: ConversationRecord) -> list[Turn]:
    """The customer's messages the policy judged before anyone else took the conversation."""
    turns = []
    for m in record.messages:
        if m.get("sender") == "system" and m.get("event") in PHASE_ENDS:
            break
        if m.get("sender") == "customer" and m.get("text"):
            turns.append(Turn(text=str(m["text"]), intent=m.get("intent") or None,
                              confidence=_number(m.get("confidence")) or 0.0,
                              emotions=_probabilities(m.get("emotions")), negativity=_number(m.get("negativity")),
                              acts=_probabilities(m.get("acts"))))
    return turns


def _example(record: ConversationRecord, decision: Decision) -> dict[str, Any]:
    """What the admin reads: where it would have handed over and why, customer text redacted."""
    return {"conversation_id": record.conversation_id, "kind": decision.kind, "detail": decision.detail,
            "turn": decision.turn + 1,
            "messages": [redaction.redact(t, names=record.names) for t in decision.messages][:3]}


def preview(records: Iterable[ConversationRecord], current: Thresholds, proposed: Thresholds) -> dict[str, Any]:
    """Counts and examples: conversations replayed, policy hand-overs now and with the proposed values, and
    the conversations that would be handed over in addition (`more`) or no longer (`fewer`)."""
    out: dict[str, Any] = {"conversations": 0, "handovers_now": 0, "handovers_proposed": 0,
                           "more": 0, "fewer": 0, "earlier": 0, "later": 0,
                           "more_examples": [], "fewer_examples": []}
    for record in records:
        turns = first_bot_phase(record)
        if not turns:
            continue
        out["conversations"] += 1
        now, new = first_decision(turns, current), first_decision(turns, proposed)
        out["handovers_now"] += now is not None
        out["handovers_proposed"] += new is not None
        if new is not None and now is None:
            out["more"] += 1
            if len(out["more_examples"]) < EXAMPLES:
                out["more_examples"].append(_example(record, new))
        elif now is not None and new is None:
            out["fewer"] += 1
            if len(out["fewer_examples"]) < EXAMPLES:
                out["fewer_examples"].append(_example(record, now))
        elif now is not None and new is not None and new.turn != now.turn:
            out["earlier" if new.turn < now.turn else "later"] += 1
    return out
