"""Offline usefulness of the drafts: replay escalated conversations and ask, for each, whether the reply the
agent actually sent is close to one of the (up to three) drafts assist would have shown.

Close (issue #23): MiniLM cosine >= 0.8 between the sent reply and a draft, or the same intent (the intent
model's top intent of the sent reply equals that of the draft). The index is built from some writers'
conversations and replayed on another writer's (split by writer), so no reply is ever its own suggestion.
Pure: the caller (scripts/assist_eval.py) brings the vectors, the parses and the answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from handoff.assist import drafts as drafts_mod
from handoff.assist.similarity import Entry, VectorIndex

CLOSE_COSINE = 0.8

Ranking = list[dict[str, Any]]


@dataclass(frozen=True)
class Case:
    case_id: str
    writer: str
    customer: str  # the customer's last message before the agent's reply
    agent_reply: str
    went_well: bool  # rated 4-5 or resolved: may feed the index

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Case:
        turns = [t for t in obj.get("turns") or [] if isinstance(t, dict)]
        customer = [str(t.get("text") or "") for t in turns if t.get("from") == "customer"]
        if not customer or not str(obj.get("agent_reply") or "").strip():
            raise ValueError(f"{obj.get('id')}: needs a customer turn and an agent_reply")
        rating = obj.get("rating")
        went_well = bool(obj.get("resolved")) or (isinstance(rating, int) and rating >= 4)
        return cls(str(obj.get("id")), str(obj.get("writer")), customer[-1], str(obj["agent_reply"]), went_well)


@dataclass(frozen=True)
class Outcome:
    case_id: str
    writer: str
    drafts: int
    by_cosine: bool
    by_intent: bool
    best_cosine: float
    hit_kinds: tuple[str, ...]  # the kinds of the drafts that were close

    @property
    def hit(self) -> bool:
        return self.by_cosine or self.by_intent


def replay(index_cases: Sequence[Case], test_cases: Sequence[Case], vector: Callable[[str], np.ndarray],
           top_intent: Callable[[str], str], ranking: Callable[[str], Ranking],
           answers: Mapping[str, Sequence[str]], use_bot: bool = True, use_past: bool = True) -> list[Outcome]:
    """Each test case against an index of `index_cases` that went well; drafts made exactly as live
    (drafts.suggest), redaction included."""
    index = VectorIndex(dim=int(vector(test_cases[0].customer).shape[0]) if test_cases else 384)
    good = [c for c in index_cases if c.went_well]
    if good:
        index.add([Entry(c.case_id, c.customer, c.agent_reply, top_intent(c.customer)) for c in good],
                  np.stack([vector(c.customer) for c in good]))
    out = []
    for case in test_cases:
        neighbours = index.search(vector(case.customer), k=drafts_mod.MAX_DRAFTS) if use_past else []
        shown = drafts_mod.suggest(ranking(case.customer) if use_bot else [], answers, neighbours)
        sent, sent_intent = vector(case.agent_reply), top_intent(case.agent_reply)
        cosines = [float(vector(d.text) @ sent) for d in shown]
        close = [c >= CLOSE_COSINE or (bool(sent_intent) and top_intent(d.text) == sent_intent)
                 for d, c in zip(shown, cosines)]
        out.append(Outcome(case.case_id, case.writer, len(shown), any(c >= CLOSE_COSINE for c in cosines),
                           any(bool(sent_intent) and top_intent(d.text) == sent_intent for d in shown),
                           max(cosines, default=0.0), tuple(d.kind for d, ok in zip(shown, close) if ok)))
    return out


def figures(outcomes: Iterable[Outcome]) -> dict[str, Any]:
    """Counts and rates of one split: hit (either test), by cosine, by intent, and which kind of draft hit."""
    rows = list(outcomes)
    n = len(rows)

    def rate(k: int) -> float:
        return round(k / n, 3) if n else 0.0

    hits = sum(o.hit for o in rows)
    return {"cases": n, "hits": hits, "hit_rate": rate(hits), "cosine_rate": rate(sum(o.by_cosine for o in rows)),
            "intent_rate": rate(sum(o.by_intent for o in rows)),
            "bot_answer_hits": sum(drafts_mod.BOT_ANSWER in o.hit_kinds for o in rows),
            "past_reply_hits": sum(drafts_mod.PAST_REPLY in o.hit_kinds for o in rows),
            "mean_drafts": round(sum(o.drafts for o in rows) / n, 2) if n else 0.0,
            "mean_best_cosine": round(sum(o.best_cosine for o in rows) / n, 3) if n else 0.0}


def by_writer(cases: Sequence[Case]) -> dict[str, list[Case]]:
    out: dict[str, list[Case]] = {}
    for c in cases:
        out.setdefault(c.writer, []).append(c)
    return out
