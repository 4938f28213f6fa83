"""The dashboard's figures, computed from stored conversations: no I/O, plain data in, plain data out.

The bot and the agents are judged by the same numbers, so each figure has one definition, here:

- A conversation *counts* once the customer has written at least one message or asked for a person (an
  opened widget where nothing happened is not a conversation).
- *Escalation*: the gateway's system message `queued` or `no_agents` (from the bot's policy or the
  "talk to a person" button). A `requeued` (the agent vanished) is not a new escalation.
- *Contained*: a counted conversation that never escalated — the bot resolved it without a person.
- *Queue wait*: escalation (or requeue) → `claimed`. *First response*: escalation → the first agent
  message after the claim. *Handle time*: `claimed` → `handback`, `closed` or `requeued`.
- *Negativity before/after the handover*: for each claim, the mean negativity of the customer's messages
  from the start of that bot phase (after a requeue: of the vanished agent's phase) up to the claim, and of
  those while the agent owned the chat. Did the human help? "after" below "before".
- *Ratings*: a conversation that had a person in it is the agents'; one that never did is the bot's.
- *Fallbacks*: customer messages whose intent is `nlu_fallback`; their text is shown redacted.
- *Top intents*, *fallbacks* and *the intent before an escalation* count only the messages the bot had to
  understand: sent while the bot had the conversation (not queued, not with an agent), not a form's slot
  answer and not a button (`bot_judged`). An escalation keeps its own reason kind (the `reason` of its
  `queued` note); only notes stored before that field existed fall back to the hash's latest reason.

Conversations are placed in the hour or day (UTC) they were created in, and every figure of a bucket is
about the conversations created in it, so ratios never mix populations.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from handoff.reporting import redaction

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
BUCKETS = {"hour": HOUR_MS, "day": DAY_MS}
ESCALATION_EVENTS = ("queued", "no_agents")
FALLBACK_INTENT = "nlu_fallback"
TOP_N = 10
MAX_BUCKETS = {"hour": 24 * 31, "day": 400}
DEFAULT_SPAN_MS = {"hour": 2 * DAY_MS, "day": 14 * DAY_MS}


@dataclass(frozen=True)
class ConversationRecord:
    """One stored conversation: the fields of its hash that matter here and its transcript in seq order."""

    conversation_id: str
    created_ms: int
    state: str
    messages: tuple[dict[str, Any], ...]
    reason_kind: str = ""  # the latest escalation's reason (the hash keeps only the latest)
    rating: int | None = None
    rating_comment: str = ""
    resolution: str = ""
    names: tuple[str, ...] = ()  # names this conversation knows (customer, agents): redacted from any text
    feedback: tuple[dict[str, Any], ...] = ()  # verdicts on bot answers (handoff/storage/feedback.py)

    @classmethod
    def from_store(cls, conv: dict[str, Any], messages: Sequence[dict[str, Any]],
                   feedback: Sequence[dict[str, Any]] = ()) -> ConversationRecord:
        """From `Store.get` (decoded hash) and `Store.read_log(..., with_nlu=True)`."""
        reason = conv.get("reason") or {}
        if isinstance(reason, str):
            reason = json.loads(reason) if reason else {}
        customer = conv.get("customer") or {}
        names = {str(customer.get("name") or "")}
        names.update(str(m.get("agent_name") or "") for m in messages)
        rating = conv.get("rating")
        state = conv.get("state", "bot")
        return cls(
            conversation_id=str(conv["conversation_id"]),
            created_ms=int(conv.get("created") or (messages[0]["ts"] if messages else 0)),
            state=getattr(state, "value", state),
            messages=tuple(sorted(messages, key=lambda m: m.get("seq", 0))),
            reason_kind=str(reason.get("kind") or conv.get("reason_kind") or ""),
            rating=int(rating) if rating not in (None, "") else None,
            rating_comment=str(conv.get("rating_comment") or ""),
            resolution=str(conv.get("resolution") or ""),
            names=tuple(sorted(n for n in names if n)),
            feedback=tuple(feedback),
        )


@dataclass
class Handover:
    """One claim of the conversation by a person and what surrounded it."""

    claimed_ms: int
    queue_wait_s: float | None
    agent: str = ""  # who claimed it (the claim note's `agent`; else the first agent to write after it)
    first_response_s: float | None = None
    handle_s: float | None = None
    negativity_before: float | None = None
    negativity_after: float | None = None


@dataclass
class Facts:
    """What one conversation contributes to the dashboard."""

    conversation_id: str
    created_ms: int
    customer_messages: int = 0
    escalations: list[str] = field(default_factory=list)  # reason kind of each escalation, in order
    escalation_intents: list[str] = field(default_factory=list)  # intent of the message that preceded it
    handovers: list[Handover] = field(default_factory=list)
    intents: list[str] = field(default_factory=list)
    fallbacks: list[str] = field(default_factory=list)  # redacted texts
    rating: int | None = None
    agents: list[str] = field(default_factory=list)  # everyone who had the chat, in order (claims, transfers)
    thumbs_up: int = 0  # bot answers the customer rated up / down (the latest verdict on each answer)
    thumbs_down: int = 0
    flagged: int = 0  # bot answers an agent marked "the bot got this wrong"

    @property
    def counted(self) -> bool:
        return self.customer_messages > 0 or bool(self.escalations)

    @property
    def escalated(self) -> bool:
        return bool(self.escalations)

    @property
    def contained(self) -> bool:
        return self.counted and not self.escalations and not self.handovers

    @property
    def handled_by(self) -> str:
        return "agent" if self.handovers else "bot"


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def percentile(values: Iterable[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None for no data."""
    ordered = sorted(values)
    if not ordered:
        return None
    pos = (len(ordered) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _joined(out: Facts, agent: str) -> None:
    if not out.agents or out.agents[-1] != agent:
        out.agents.append(agent)


def bot_judged(message: dict[str, Any]) -> bool:
    """A customer message the bot had to understand: not a form's slot answer ("1234", "£950": the form
    asked for exactly that) and not a button's payload. Only these count as top intents or fallbacks."""
    return not message.get("form") and not message.get("button")


def facts(record: ConversationRecord) -> Facts:
    """Walk the transcript once, following the conversation's phases (bot → queued → agent → ...)."""
    out = Facts(record.conversation_id, record.created_ms, rating=record.rating)
    for verdict in record.feedback:
        if verdict.get("kind") == "thumbs":
            out.thumbs_up += verdict.get("value") == "up"
            out.thumbs_down += verdict.get("value") == "down"
        elif verdict.get("kind") == "flag":
            out.flagged += 1
    escalation_events = [m for m in record.messages
                         if m.get("sender") == "system" and m.get("event") in ESCALATION_EVENTS]
    phase = "bot"
    waiting_since: int | None = None  # escalation or requeue time while queued
    escalated_at: int | None = None  # time of the escalation the next claim answers (None after a requeue)
    phase_negativity: list[float] = []  # customer messages since the bot phase began
    agent_negativity: list[float] = []
    current: Handover | None = None
    awaiting_reply_since: int | None = None
    last_intent = ""

    def end_agent_phase(ts: int) -> None:
        nonlocal current
        if current is not None:
            current.handle_s = max(0.0, (ts - current.claimed_ms) / 1000)
            current.negativity_after = _mean(agent_negativity)
            current = None

    for m in record.messages:
        sender, ts = m.get("sender"), int(m.get("ts") or 0)
        if sender == "customer":
            out.customer_messages += 1
            negativity = m.get("negativity")
            if isinstance(negativity, (int, float)):
                (agent_negativity if phase == "agent" else phase_negativity).append(float(negativity))
            intent = m.get("intent")
            if intent and phase == "bot" and bot_judged(m):
                last_intent = str(intent)
                if intent == FALLBACK_INTENT:
                    out.fallbacks.append(redaction.redact(str(m.get("text") or ""), names=record.names))
                else:
                    out.intents.append(str(intent))
        elif sender == "agent":
            if current is not None and not current.agent and m.get("agent"):
                current.agent = str(m["agent"])
                _joined(out, current.agent)
            if current is not None and awaiting_reply_since is not None:
                current.first_response_s = max(0.0, (ts - awaiting_reply_since) / 1000)
                awaiting_reply_since = None
        elif sender == "system":
            event = m.get("event")
            if event in ESCALATION_EVENTS:
                end_agent_phase(ts)  # cannot happen in a valid transcript; keeps bad data from lingering
                is_last = escalation_events and m is escalation_events[-1]
                kind = m.get("reason") or (record.reason_kind if is_last else "") or "unknown"
                out.escalations.append(str(kind))
                out.escalation_intents.append(last_intent or "none")
                phase, waiting_since, escalated_at = "queued", ts, ts
            elif event == "requeued":
                # The next person takes over from the vanished one: "before" starts with that agent's phase.
                phase_negativity = list(agent_negativity)
                end_agent_phase(ts)
                phase, waiting_since, escalated_at = "queued", ts, None
            elif event == "claimed":
                wait = (ts - waiting_since) / 1000 if waiting_since is not None else None
                current = Handover(ts, max(0.0, wait) if wait is not None else None, agent=str(m.get("agent") or ""))
                if current.agent:
                    _joined(out, current.agent)
                current.negativity_before = _mean(phase_negativity)
                out.handovers.append(current)
                agent_negativity = []
                awaiting_reply_since = escalated_at
                phase = "agent"
            elif event == "handback":
                end_agent_phase(ts)
                phase, phase_negativity, waiting_since, escalated_at = "bot", [], None, None
            elif event == "transferred" and m.get("agent"):
                _joined(out, str(m["agent"]))
            elif event in ("closed", "callback"):
                end_agent_phase(ts)
                phase = "closed"
    if current is not None:  # still with the agent: no handle time yet, but "after" so far is known
        current.negativity_after = _mean(agent_negativity)
    return out


# ---------------------------------------------------------------- aggregation


def bucket_start(ts_ms: int, bucket: str) -> int:
    size = BUCKETS[bucket]
    return ts_ms - ts_ms % size


def _summary(values: Sequence[float]) -> dict[str, Any]:
    return {"n": len(values), "median": _round(percentile(values, 0.5)), "p90": _round(percentile(values, 0.9)),
            "mean": _round(_mean(values))}


def _round(x: float | None, digits: int = 3) -> float | None:
    return None if x is None else round(x, digits)


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def _ratings(group: Sequence[Facts]) -> dict[str, Any]:
    out = {}
    for who in ("bot", "agent"):
        scores = [f.rating for f in group if f.rating is not None and f.handled_by == who]
        out[who] = {"n": len(scores), "mean": _round(_mean([float(s) for s in scores])),
                    "distribution": {str(s): scores.count(s) for s in range(1, 6)}}
    return out


def _negativity(group: Sequence[Facts]) -> dict[str, Any]:
    pairs = [(h.negativity_before, h.negativity_after) for f in group for h in f.handovers
             if h.negativity_before is not None and h.negativity_after is not None]
    before = _mean([b for b, _ in pairs])  # type: ignore[misc]
    after = _mean([a for _, a in pairs])  # type: ignore[misc]
    return {"n": len(pairs), "before": _round(before), "after": _round(after),
            "improved": sum(1 for b, a in pairs if a < b)}  # type: ignore[operator]


def _figures(group: Sequence[Facts]) -> dict[str, Any]:
    """The figures shared by each bucket and the whole range."""
    counted = [f for f in group if f.counted]
    contained = sum(1 for f in counted if f.contained)
    escalated = sum(1 for f in counted if f.escalated)
    handovers = [h for f in counted for h in f.handovers]
    reasons = Counter(k for f in counted for k in f.escalations)
    return {
        "conversations": len(counted),
        "contained": contained,
        "containment": _ratio(contained, len(counted)),
        "escalated": escalated,
        "escalation_rate": _ratio(escalated, len(counted)),
        "escalations": sum(reasons.values()),
        "reasons": dict(sorted(reasons.items())),
        "handovers": len(handovers),
        "queue_wait_s": _summary([h.queue_wait_s for h in handovers if h.queue_wait_s is not None]),
        "first_response_s": _summary([h.first_response_s for h in handovers if h.first_response_s is not None]),
        "handle_s": _summary([h.handle_s for h in handovers if h.handle_s is not None]),
        "ratings": _ratings(counted),
        "negativity": _negativity(counted),
        "answers": _answers(counted),
    }


def _answers(group: Sequence[Facts]) -> dict[str, Any]:
    """The customers' thumbs on single bot answers and the agents' flags: the bot's rating per answer."""
    up, down = sum(f.thumbs_up for f in group), sum(f.thumbs_down for f in group)
    return {"up": up, "down": down, "approval": _ratio(up, up + down), "flagged": sum(f.flagged for f in group)}


def per_agent(group: Sequence[Facts]) -> list[dict[str, Any]]:
    """One row per agent: the handovers they claimed (times and negativity measured as for the desk), the
    conversations they had a part in, and the ratings of those they had last (the person the customer rated)."""
    counted = [f for f in group if f.counted]
    names = sorted({a for f in counted for a in f.agents} | {h.agent for f in counted for h in f.handovers if h.agent})
    rows = []
    for name in names:
        mine = [h for f in counted for h in f.handovers if h.agent == name]
        pairs = [(h.negativity_before, h.negativity_after) for h in mine
                 if h.negativity_before is not None and h.negativity_after is not None]
        scores = [float(f.rating) for f in counted if f.rating is not None and f.agents and f.agents[-1] == name]
        rows.append({
            "agent": name,
            "conversations": sum(1 for f in counted if name in f.agents),
            "handovers": len(mine),
            "first_response_s": _summary([h.first_response_s for h in mine if h.first_response_s is not None]),
            "handle_s": _summary([h.handle_s for h in mine if h.handle_s is not None]),
            "negativity": {"n": len(pairs), "before": _round(_mean([b for b, _ in pairs])),  # type: ignore[misc]
                           "after": _round(_mean([a for _, a in pairs]))},  # type: ignore[misc]
            "ratings": {"n": len(scores), "mean": _round(_mean(scores))},
        })
    return rows


# ---------------------------------------------------------------- the conversations behind a figure

# figure -> (needs a value, does this conversation count toward it?). Each is the population of the figure of
# the same name in `_figures`, `per_agent` or the top lists, so a list always adds up to the figure.
FIGURES: dict[str, tuple[bool, Any]] = {
    "conversations": (False, lambda f, v: True),
    "contained": (False, lambda f, v: f.contained),
    "escalated": (False, lambda f, v: f.escalated),
    "reason": (True, lambda f, v: v in f.escalations),
    "handovers": (False, lambda f, v: bool(f.handovers)),
    "queue_wait": (False, lambda f, v: any(h.queue_wait_s is not None for h in f.handovers)),
    "first_response": (False, lambda f, v: any(h.first_response_s is not None for h in f.handovers)),
    "handle": (False, lambda f, v: any(h.handle_s is not None for h in f.handovers)),
    "negativity": (False, lambda f, v: any(h.negativity_before is not None and h.negativity_after is not None
                                           for h in f.handovers)),
    "rated_bot": (False, lambda f, v: f.rating is not None and f.handled_by == "bot"),
    "rated_agent": (False, lambda f, v: f.rating is not None and f.handled_by == "agent"),
    "thumbs_up": (False, lambda f, v: f.thumbs_up > 0),
    "thumbs_down": (False, lambda f, v: f.thumbs_down > 0),
    "flagged": (False, lambda f, v: f.flagged > 0),
    "fallback": (True, lambda f, v: v in {_fallback_key(t) for t in f.fallbacks}),
    "intent": (True, lambda f, v: v in f.intents),
    "escalation_intent": (True, lambda f, v: v in f.escalation_intents),
    "agent": (True, lambda f, v: v in f.agents),
}
MAX_LISTED = 1000


def _row(f: Facts) -> dict[str, Any]:
    return {"conversation_id": f.conversation_id, "created": f.created_ms, "handled_by": f.handled_by,
            "contained": f.contained, "customer_messages": f.customer_messages, "escalations": list(f.escalations),
            "agents": list(f.agents), "rating": f.rating, "thumbs_up": f.thumbs_up, "thumbs_down": f.thumbs_down,
            "flagged": f.flagged, "view": f"/console/?view={f.conversation_id}"}


def conversations_behind(records: Iterable[ConversationRecord], since_ms: int, until_ms: int, figure: str,
                         value: str = "") -> dict[str, Any]:
    """The counted conversations created in [since_ms, until_ms) that make up `figure` (one of FIGURES; some
    take a `value`: the reason kind, the intent, the agent, the fallback text), oldest first."""
    if figure not in FIGURES:
        raise ValueError(f"figure must be one of {', '.join(FIGURES)}")
    needs_value, member = FIGURES[figure]
    if needs_value and not value:
        raise ValueError(f"figure {figure} needs a value")
    if figure == "fallback":
        value = _fallback_key(value)
    if until_ms <= since_ms:
        raise ValueError("until must be after since")
    found = [f for f in (facts(r) for r in records if since_ms <= r.created_ms < until_ms)
             if f.counted and member(f, value)]
    found.sort(key=lambda f: (f.created_ms, f.conversation_id))
    return {"figure": figure, "value": value or None, "since": since_ms, "until": until_ms, "total": len(found),
            "conversations": [_row(f) for f in found[:MAX_LISTED]]}


def _top(counter: Counter[str], key: str) -> list[dict[str, Any]]:
    return [{key: k, "count": n} for k, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_N]]


def _fallback_key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower()).strip(" .!?")


def dashboard(records: Iterable[ConversationRecord], since_ms: int, until_ms: int, bucket: str = "day") -> dict:
    """Every figure of the dashboard for conversations created in [since_ms, until_ms), with a series of
    `bucket`s ("hour" or "day", UTC) that covers the whole range, empty buckets included."""
    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {', '.join(BUCKETS)}")
    if until_ms <= since_ms:
        raise ValueError("until must be after since")
    all_facts = [facts(r) for r in records if since_ms <= r.created_ms < until_ms]
    by_bucket: dict[int, list[Facts]] = {}
    for f in all_facts:
        by_bucket.setdefault(bucket_start(f.created_ms, bucket), []).append(f)
    size = BUCKETS[bucket]
    series = []
    start = bucket_start(since_ms, bucket)
    while start < until_ms:
        series.append({"start": start, **_figures(by_bucket.get(start, []))})
        start += size
    counted = [f for f in all_facts if f.counted]
    fallback_texts: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for f in counted:
        for text in f.fallbacks:
            key = _fallback_key(text)
            if key:
                fallback_texts[key] += 1
                shown.setdefault(key, text.strip())
    return {
        "since": since_ms,
        "until": until_ms,
        "bucket": bucket,
        "totals": _figures(all_facts),
        "series": series,
        "top_fallbacks": [{"text": shown[d["text"]], "count": d["count"]}
                          for d in _top(fallback_texts, "text")],
        "top_intents": _top(Counter(i for f in counted for i in f.intents), "intent"),
        "escalation_intents": _top(Counter(i for f in counted for i in f.escalation_intents), "intent"),
        "agents": per_agent(counted),
    }


# ---------------------------------------------------------------- date ranges (dashboard API, export CLI)


def parse_time(raw: str, name: str) -> int:
    """Milliseconds since the epoch from an integer (ms) or an ISO 8601 date/date-time (UTC if no zone)."""
    raw = raw.strip()
    if raw.isdigit():
        return int(raw)
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name} must be an ISO 8601 date or date-time, or milliseconds") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return int(parsed.timestamp() * 1000)


def parse_until(raw: str) -> int:
    """Like parse_time, but a bare date ("2025-03-14") means through the end of that day, as people mean it."""
    until = parse_time(raw, "until")
    return until + DAY_MS if len(raw.strip()) == 10 and not raw.strip().isdigit() else until


def dashboard_range(args: dict[str, str], now_ms: int) -> tuple[int, int, str]:
    """(since, until, bucket) from query arguments, with defaults (the last 14 days, or 48 hours by hour)
    and a cap on the number of buckets; ValueError says what was wrong."""
    bucket = args.get("bucket") or "day"
    if bucket not in BUCKETS:
        raise ValueError("bucket must be hour or day")
    size = BUCKETS[bucket]
    until = parse_until(args["until"]) if args.get("until") else bucket_start(now_ms, bucket) + size
    since = parse_time(args["since"], "since") if args.get("since") else until - DEFAULT_SPAN_MS[bucket]
    if until <= since:
        raise ValueError("until must be after since")
    if (until - since) / size > MAX_BUCKETS[bucket]:
        raise ValueError(f"at most {MAX_BUCKETS[bucket]} {bucket}s at a time; pick a shorter range or a "
                         f"larger bucket")
    return since, until, bucket
