"""The conversation state machine, pure: bot → queued → agent → bot | closed.

Each function takes a snapshot of the conversation and a command and returns a `Transition` that says what
must change (state, owner, queue, Rasa pause/resume, the system message the customer sees), or raises the
TandemError that explains why the command is not allowed. The store applies a Transition atomically in one
Lua script that re-checks `from_states` and `require_agent`, so a stale snapshot can never win a race: the
snapshot only makes the error message friendlier.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from bot.escalation.kinds import Kind, parse_kind
from handoff.core import errors
from handoff.core.protocol import ACTION_LEAVE_MESSAGE, ACTION_REQUEST_HUMAN, ACTION_STAY, State

ANY_AGENT = "*"
PRIORITY_MINUTE_MS = 60_000
PRIORITY_UNIT_MS = 10 * PRIORITY_MINUTE_MS  # one unit of priority counts as ten minutes of waiting

# Base urgency by escalation kind (bot/escalation/kinds.py); the rest comes from how negative the customer is.
KIND_BASE = {
    Kind.SENSITIVE: 0.5,
    Kind.NEGATIVITY: 0.3,
    Kind.EXPLICIT: 0.2,
    Kind.CUSTOMER_REQUEST: 0.2,
    Kind.FAILURE: 0.1,
}
DEFAULT_BASE = 0.2  # a kind without its own urgency (unspecified)
NEGATIVITY_KINDS = (Kind.NEGATIVITY,)

# Allowed transitions, the whole machine at a glance.
TRANSITIONS: dict[str, tuple[tuple[State, ...], State]] = {
    "escalate": ((State.BOT,), State.QUEUED),
    "claim": ((State.QUEUED,), State.AGENT),
    "transfer": ((State.AGENT,), State.AGENT),
    "handback": ((State.AGENT,), State.BOT),
    "close": ((State.BOT, State.QUEUED, State.AGENT), State.CLOSED),
    "callback": ((State.QUEUED,), State.CLOSED),
    "requeue": ((State.AGENT,), State.QUEUED),
    "takeback": ((State.BOT,), State.AGENT),  # the agent who handed back, within the watch window (issue #24)
    "merge": ((State.BOT, State.QUEUED), State.CLOSED),  # a customer's second live chat, into the first (#24)
}


@dataclass(frozen=True)
class Snapshot:
    """What the gateway last read of a conversation (may be stale; the store re-checks)."""

    state: State
    agent: str | None = None
    agent_name: str | None = None
    rated: bool = False


@dataclass(frozen=True)
class SystemNote:
    text: str
    event: str
    actions: tuple[dict[str, str], ...] = ()
    agent_text: str = ""  # the same event in agents' words (protocol.agent_view keeps it, customers never see it)

    def message(self) -> dict[str, Any]:
        msg: dict[str, Any] = {"sender": "system", "text": self.text, "event": self.event}
        if self.actions:
            msg["actions"] = [dict(a) for a in self.actions]
        if self.agent_text:
            msg["agent_text"] = self.agent_text
        return msg


@dataclass(frozen=True)
class Transition:
    action: str
    from_states: tuple[State, ...]
    to: State
    require_agent: str | None = None  # the conversation must currently belong to this agent (ANY_AGENT: anyone)
    new_agent: str | None = None  # set owner; "" clears it
    new_agent_name: str | None = None
    check_capacity: bool = False  # new_agent must have a free slot
    queue: str | None = None  # "add" | "remove"
    rank: float | None = None
    fields: dict[str, str] = field(default_factory=dict)
    note: SystemNote | None = None
    rasa: str | None = None  # "pause" | "resume"
    rating_request: bool = False


def _allowed(action: str, snap: Snapshot) -> tuple[tuple[State, ...], State]:
    from_states, to = TRANSITIONS[action]
    if snap.state not in from_states:
        raise errors.BadState(f"cannot {action} a conversation that is {snap.state.value}")
    return from_states, to


def priority_for(kind: str, score: float = 0.0, negativity: float = 0.0) -> float:
    """Urgency in [0, 1]: the kind's base plus half of the customer's negativity (or the policy score)."""
    known = parse_kind(kind)
    signal = max(_unit(negativity), _unit(score) if known in NEGATIVITY_KINDS else 0.0)
    base = KIND_BASE.get(known, DEFAULT_BASE) if known is not None else DEFAULT_BASE
    return round(min(1.0, base + 0.5 * signal), 4)


def queue_rank(priority: float, queued_at_ms: int) -> float:
    """Sorted-set score: earlier is sooner, and each unit of priority is worth ten minutes of waiting."""
    return float(queued_at_ms) - priority * PRIORITY_UNIT_MS


def _unit(x: float) -> float:
    return 0.0 if x is None or math.isnan(x) else min(1.0, max(0.0, float(x)))


def escalate(snap: Snapshot, reason: dict[str, Any], priority: float, now_ms: int,
             note: SystemNote | None = None) -> Transition:
    """Bot → queued. `note` (queued_note) is stored in the same step, so the transcript has it before the
    chat can be claimed (docs/protocol.md: the queued notice comes before `state queued`)."""
    from_states, to = _allowed("escalate", snap)
    return Transition(
        "escalate", from_states, to, queue="add", rank=queue_rank(priority, now_ms),
        fields={"priority": str(priority), "queued_at": str(now_ms), "reason_kind": str(reason.get("kind", ""))},
        note=note, rasa="pause",
    )


def end_by_customer(snap: Snapshot) -> Transition:
    """The customer ends the chat themselves (bot, queued or with an adviser); they are then asked to rate it."""
    from_states, to = _allowed("close", snap)
    return Transition(
        "close", from_states, to, new_agent="", queue="remove",
        fields={"resolution": "ended_by_customer", "closed_by": "customer"},
        note=SystemNote("You ended the chat. Thank you for contacting Harbour Bank.", "ended"),
        rating_request=True,
    )


def claim(snap: Snapshot, agent: str, display_name: str) -> Transition:
    if snap.state is State.AGENT:
        raise errors.Conflict("another agent has already claimed this conversation")
    from_states, to = _allowed("claim", snap)
    return Transition(
        "claim", from_states, to, new_agent=agent, new_agent_name=display_name, check_capacity=True,
        queue="remove", note=SystemNote(f"{display_name} has joined the chat.", "claimed"),
    )


def _owner_check(snap: Snapshot, agent: str, is_admin: bool) -> str:
    if snap.agent != agent and not is_admin:
        raise errors.Forbidden("this conversation is assigned to another agent")
    return agent if not is_admin else ANY_AGENT


def transfer(snap: Snapshot, agent: str, to: str, to_name: str, is_admin: bool = False,
             from_name: str = "") -> Transition:
    from_states, to_state = _allowed("transfer", snap)
    require = _owner_check(snap, agent, is_admin)
    if to == snap.agent:
        raise errors.BadState("the conversation is already assigned to that agent")
    return Transition(
        "transfer", from_states, to_state, require_agent=snap.agent if require == ANY_AGENT else agent,
        new_agent=to, new_agent_name=to_name, check_capacity=True,
        note=SystemNote(f"You're now chatting with {to_name}.", "transferred",
                        agent_text=f"{from_name or agent} transferred the chat to {to_name}."),
    )


def handback(snap: Snapshot, agent: str, is_admin: bool = False) -> Transition:
    from_states, to = _allowed("handback", snap)
    require = _owner_check(snap, agent, is_admin)
    return Transition(
        "handback", from_states, to, require_agent=require, new_agent="", new_agent_name="",
        note=SystemNote("You're back with Harbour Bank's virtual assistant. Ask me anything, "
                        "or ask for a person again at any time.", "handback"),
        rasa="resume",
    )


def handback_fields(agent: str, now_ms: int, watch_ms: int) -> dict[str, str]:
    """What a hand-back records so its agent may watch the chat and take it back until `watch_until`."""
    return {"handed_back_by": agent, "handed_back_at": str(now_ms), "watch_until": str(now_ms + watch_ms)}


def takeback(snap: Snapshot, agent: str, display_name: str, handed_back_by: str, watch_until: int, now_ms: int,
             is_admin: bool = False) -> Transition:
    """Bot → agent again, straight to the agent who handed it back (or an admin), while the watch lasts."""
    from_states, to = _allowed("takeback", snap)
    if handed_back_by != agent and not is_admin:
        raise errors.Forbidden("only the agent who handed this chat back can take it back")
    if now_ms > watch_until:
        raise errors.BadState("the time to take this chat back has passed; the customer can ask for a person")
    return Transition(
        "takeback", from_states, to, new_agent=agent, new_agent_name=display_name, check_capacity=True,
        fields={"watch_until": "0"}, rasa="pause",
        note=SystemNote(f"{display_name} has joined the chat again.", "taken_back",
                        agent_text=f"{display_name} took the chat back from the assistant."),
    )


def merge(snap: Snapshot, into: str, agent: str, agent_name: str) -> Transition:
    """A customer's second live chat (with the assistant or queued) closes as a duplicate of `into`, the chat
    an agent already has with them; the customer is told where the conversation goes on."""
    from_states, to = _allowed("merge", snap)
    return Transition(
        "merge", from_states, to, new_agent="", queue="remove",
        fields={"resolution": "duplicate", "closed_by": agent, "merged_into": into},
        note=SystemNote(f"This chat continues in your other chat window, where {agent_name} is helping you.",
                        "merged", agent_text=f"{agent_name} merged this chat into conversation {into}."),
    )


def close(snap: Snapshot, agent: str, resolution: str, is_admin: bool = False) -> Transition:
    from_states, to = _allowed("close", snap)
    if snap.state is State.AGENT:
        require: str | None = _owner_check(snap, agent, is_admin)
        text = f"{snap.agent_name or 'The adviser'} has closed the chat. Thank you for contacting Harbour Bank."
    elif snap.state is State.BOT and not is_admin:
        raise errors.Forbidden("only an admin can close a conversation the bot is handling")
    else:
        require, text = None, "This chat has been closed. Thank you for contacting Harbour Bank."
    return Transition(
        "close", from_states, to, require_agent=require, new_agent="",
        queue="remove", fields={"resolution": resolution, "closed_by": agent},
        note=SystemNote(text, "closed"), rating_request=True,
    )


def callback(snap: Snapshot) -> Transition:
    from_states, to = _allowed("callback", snap)
    return Transition(
        "callback", from_states, to, queue="remove", fields={"resolution": "callback"},
        note=SystemNote("Thank you. An adviser will call you back within one working day "
                        "about the message you left.", "callback"),
    )


def requeue(snap: Snapshot, agent: str, priority: float, now_ms: int) -> Transition:
    """The owner vanished (no socket for the grace period): back to the queue, ahead of newer arrivals."""
    from_states, to = _allowed("requeue", snap)
    return Transition(
        "requeue", from_states, to, require_agent=agent, new_agent="", new_agent_name="", queue="add",
        rank=queue_rank(min(1.0, priority + 0.2), now_ms), fields={"queued_at": str(now_ms)},
        note=SystemNote("Your adviser was disconnected. You're back in the queue and the next "
                        "available person will continue the chat.", "requeued"),
    )


def check_rating(snap: Snapshot) -> SystemNote:
    if snap.state is not State.CLOSED:
        raise errors.BadState("a rating is accepted only after the chat is closed")
    if snap.rated:
        raise errors.Conflict("this conversation has already been rated")
    return SystemNote("Thank you for your feedback.", "rated")


# ---------------------------------------------------------------- what the customer is told while queued


def estimate_wait_s(position: int, recent_waits_ms: list[int], agents_online: int, default_s: int) -> int:
    """A rough, honest estimate: the median recent wait, longer the further back in the queue."""
    if recent_waits_ms:
        ordered = sorted(recent_waits_ms)
        base = ordered[len(ordered) // 2] / 1000.0
    else:
        base = float(default_s)
    base = max(30.0, base)
    factor = 1.0 + max(0, position - 1) / max(1, agents_online)
    return int(round(base * factor / 30.0) * 30) or 30


def _minutes(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return "about a minute" if minutes == 1 else f"about {minutes} minutes"


def queued_note(position: int, wait_s: int, agents_online: int, back: str | None = None) -> SystemNote:
    """The notice stored with the move to the queue. With nobody online there is no wait to promise: it says
    when advisers are `back` ("tomorrow at 08:00", from the opening hours) when the desk is closed."""
    place = "next" if position <= 1 else f"number {position}"
    if agents_online <= 0:
        when = (f"Our advisers are back {back}." if back else "No advisers are online right now.")
        return SystemNote(
            f"{when} You're {place} in the queue: you can stay and someone will reply here as soon as they "
            "are back, or leave a message and we'll call you back.",
            "no_agents", (ACTION_STAY, ACTION_LEAVE_MESSAGE),
        )
    return SystemNote(
        f"I'm passing you to a person. You're {place} in the queue; a typical wait is {_minutes(wait_s)}.",
        "queued",
    )


STILL_QUEUED_TEXT = ("You're still in the queue and a person will be with you soon. Meanwhile I can answer "
                     "other questions.")


def bot_unavailable_note() -> SystemNote:
    return SystemNote(
        "Sorry, our virtual assistant isn't available right now. You can talk to a person instead.",
        "bot_unavailable", (ACTION_REQUEST_HUMAN,),
    )
