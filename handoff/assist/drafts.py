"""Up to three reply drafts for a customer's latest message: the bot's answer for its top intents and replies
agents gave to similar messages in chats that went well. Pure: the caller brings the parse, the answers and
the nearest past replies; every draft leaves through the export's redaction (handoff/reporting/redaction.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from handoff.reporting import redaction

MAX_DRAFTS = 3
MIN_INTENT_CONFIDENCE = 0.1  # below it the bot's answer is noise, not a draft
MAX_DRAFT_CHARS = 1000
# Intents whose "answer" helps nobody already talking to a person (greetings, the hand-over itself).
NO_DRAFT_INTENTS = frozenset({"greet", "goodbye", "thank_you", "affirm", "deny", "bot_challenge", "request_human",
                              "out_of_scope", "nlu_fallback"})
BOT_ANSWER, PAST_REPLY = "bot_answer", "past_reply"


@dataclass(frozen=True)
class Draft:
    kind: str  # BOT_ANSWER | PAST_REPLY
    text: str
    intent: str = ""  # BOT_ANSWER: the intent it answers; PAST_REPLY: the intent of the message it answered
    confidence: float = 0.0  # BOT_ANSWER: the intent's confidence
    similarity: float = 0.0  # PAST_REPLY: cosine of the customer's message and the one the reply answered
    source: str = ""  # PAST_REPLY: the index entry it came from

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in ("", 0.0)} | {"kind": self.kind}


@dataclass(frozen=True)
class Neighbour:
    """One past (customer message, agent reply) pair found near the current message."""

    entry_id: str
    reply: str
    similarity: float
    intent: str = ""


def ranked_intents(ranking: Iterable[Mapping[str, Any]]) -> list[tuple[str, float]]:
    """(intent, confidence) from a Rasa parse's intent_ranking, best first, without the ones that make no draft."""
    out = []
    for r in ranking:
        name, conf = str(r.get("name") or ""), float(r.get("confidence") or 0.0)
        if name and name not in NO_DRAFT_INTENTS and conf >= MIN_INTENT_CONFIDENCE:
            out.append((name, conf))
    return sorted(out, key=lambda nc: -nc[1])


def bot_answers(ranking: Iterable[Mapping[str, Any]], answers: Mapping[str, Sequence[str]],
                limit: int = 2) -> list[Draft]:
    """The bot's own answer (first usable variation) for each of the top intents that has one."""
    out = []
    for intent, conf in ranked_intents(ranking):
        texts = [t for t in answers.get(intent, ()) if t.strip()]
        if texts:
            out.append(Draft(BOT_ANSWER, texts[0], intent=intent, confidence=round(conf, 4)))
        if len(out) >= limit:
            break
    return out


def past_replies(neighbours: Iterable[Neighbour]) -> list[Draft]:
    return [Draft(PAST_REPLY, n.reply, intent=n.intent, similarity=round(n.similarity, 4), source=n.entry_id)
            for n in sorted(neighbours, key=lambda n: -n.similarity)]


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def choose(bot: Sequence[Draft], past: Sequence[Draft], limit: int = MAX_DRAFTS) -> list[Draft]:
    """At most `limit` distinct drafts: the bot's best answer, the closest past reply, then alternately the
    rest of each list (their scores are not comparable: a confidence against a cosine)."""
    order: list[Draft] = []
    queues = [list(bot), list(past)]
    turn = 0
    while any(queues) and len(order) < limit * 3:
        q = queues[turn % 2] or queues[(turn + 1) % 2]
        order.append(q.pop(0))
        turn += 1
    out: list[Draft] = []
    seen: set[str] = set()
    for d in order:
        k = _key(d.text)
        if k and k not in seen:
            seen.add(k)
            out.append(d)
        if len(out) >= limit:
            break
    return out


def redacted(drafts: Iterable[Draft], names: Iterable[str] = ()) -> list[Draft]:
    """Each draft's text through the export's redaction (cards, IBANs, e-mails, phones, account numbers,
    known and introduced names), one paragraph per line kept, length capped."""
    names = list(names)
    out = []
    for d in drafts:
        text = redaction.redact(d.text[:MAX_DRAFT_CHARS], names)
        out.append(Draft(d.kind, text, d.intent, d.confidence, d.similarity, d.source))
    return out


def suggest(ranking: Iterable[Mapping[str, Any]], answers: Mapping[str, Sequence[str]],
            neighbours: Iterable[Neighbour], names: Iterable[str] = ()) -> list[Draft]:
    """The drafts an agent is shown for one customer message (what the service stores and sends)."""
    return redacted(choose(bot_answers(ranking, answers), past_replies(neighbours)), names)
