"""The NLU inbox: real customer messages the bot was unsure of, waiting for an admin's label.

A message lands here when the bot's confidence was low, it fell back, the conversation was handed over
because the bot kept failing, or an agent said the bot got it wrong. Identical messages (after
normalising case and spacing) are one item with a count, so a question fifty customers asked is labelled
once. Personal data (handoff.reporting.redaction: cards, IBANs, e-mails, phones, names) is removed before anything is
stored: the text may end up in the training data, which is reviewed and committed.

Status: open (waiting) → labelled | ignored; reopen undoes either; delete forgets the item entirely.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable
from typing import Any

from bot.escalation.kinds import Kind
from handoff.core import errors
from handoff.core.clock import now_ms
from handoff.reporting import redaction
from handoff.storage.inbox import InboxRecords

log = logging.getLogger(__name__)
REASONS = ("low_confidence", "fallback", "handover", "agent_correction")
# Answers that came just before a sign they were wrong (handoff/admin/answer_feedback.py, mistakes.py).
REASONS += ("thumbs_down", "agent_flag", "correction", "rephrase", "request_person")
# Messages sent while the conversation waited for or had a person: the bot never answered them, but they
# may ask for something it should learn (marked so the admin knows).
REASONS += ("while_queued", "with_agent")
REASONS += ("agent_proposal",)  # an agent proposed a reply or example (handoff/assist/)
HANDOVER_FOR_FAILURE = (Kind.FAILURE,)  # escalation kinds that mean "the bot kept failing"
STATUSES = ("open", "labelled", "ignored")
FALLBACK_INTENT = "nlu_fallback"
DEFAULT_THRESHOLD = 0.6  # below it the bot answered but was unsure (FallbackClassifier cuts at 0.35)
MAX_TEXT = 500
MAX_OPEN = 5000  # the oldest open items go when more arrive; nobody reviews 5000 messages
ITEM_TTL_S = 90 * 24 * 3600
MAX_IDS = 200  # per bulk action

_ID = re.compile(r"^[0-9a-f]{16}$")


def redact(text: str) -> str:
    """Cards, account numbers, e-mails, phones and introduced names out; one line; length capped."""
    return redaction.redact(" ".join(str(text).split()))[:MAX_TEXT]


def item_id(text: str) -> str:
    """Same id for the same words whatever the case or spacing, so repeats merge."""
    return hashlib.sha256(" ".join(text.casefold().split()).encode()).hexdigest()[:16]


def reason_for(parse_data: dict[str, Any], threshold: float) -> str | None:
    """Why this parse belongs in the inbox, or None when the bot was sure enough."""
    if parse_data.get("form") or str(parse_data.get("text") or "").startswith("/"):
        return None  # a form's slot answer ("1234", "£950") or a button: the bot was not guessing
    intent = parse_data.get("intent") or {}
    if intent.get("name") == FALLBACK_INTENT:
        return "fallback"
    if float(intent.get("confidence") or 0.0) < threshold:
        return "low_confidence"
    return None


def _prediction(parse_data: dict[str, Any]) -> tuple[str, float, str]:
    """(intent, confidence, top-3 ranking JSON); for a fallback, the intent the classifier leaned to."""
    intent = parse_data.get("intent") or {}
    ranking = [{"name": str(r.get("name")), "confidence": round(float(r.get("confidence") or 0.0), 4)}
               for r in (parse_data.get("intent_ranking") or [])[:4] if r.get("name") != FALLBACK_INTENT][:3]
    confidence = float(intent.get("confidence") or 0.0)
    if intent.get("name") == FALLBACK_INTENT and ranking:
        confidence = ranking[0]["confidence"]  # a fallback's own "confidence" is just the threshold
    return (str(intent.get("name") or ""), round(confidence, 4), json.dumps(ranking, separators=(",", ":")))


class Inbox:
    def __init__(self, records: InboxRecords) -> None:
        self.records = records

    async def maybe_add(self, parse_data: dict[str, Any], *, conversation_id: str = "", seq: int = 0,
                        threshold: float = DEFAULT_THRESHOLD, state: str = "bot") -> str | None:
        """The gateway's hook after every parse; returns the item id when the message was added. `state`:
        the conversation's when the message arrived; an unsure message sent while queued or with an agent
        is added as `while_queued` / `with_agent` (the bot never answered it, but it may ask for something
        the bot should learn).

        Never raises: the inbox is a by-product, and a customer's turn must not fail because of it."""
        reason = reason_for(parse_data, threshold)
        if reason is None:
            return None
        reason = {"queued": "while_queued", "agent": "with_agent"}.get(state, reason)
        try:
            return await self.add(str(parse_data.get("text") or ""), parse_data, reason,
                                  conversation_id=conversation_id, seq=seq)
        except Exception as exc:  # noqa: BLE001 — the inbox must never break a customer's turn
            log.warning("could not add a message to the NLU inbox (%s)", type(exc).__name__)
            return None

    async def add(self, text: str, parse_data: dict[str, Any] | None, reason: str, *, conversation_id: str = "",
                  seq: int = 0, suggested: str = "", suggested_by: str = "") -> str | None:
        """Add (or count again) one message. `suggested`: the intent an agent says was meant."""
        if reason not in REASONS:
            raise ValueError(f"unknown inbox reason {reason!r}")
        clean = redact(text)
        if not clean.strip():
            return None
        iid = item_id(clean)
        intent, confidence, ranking = _prediction(parse_data or {})
        await self.records.add(iid, clean, intent=intent, confidence=confidence, ranking=ranking, reason=reason,
                               conversation_id=conversation_id, seq=seq, now=now_ms(), ttl_s=ITEM_TTL_S,
                               max_open=MAX_OPEN, suggested=suggested, suggested_by=suggested_by)
        return iid

    async def mark_handover(self, texts: Iterable[str]) -> int:
        """Tag the items of messages that led to a hand-over for repeated failure (never raises, like
        maybe_add); returns how many were in the inbox."""
        found = 0
        try:
            for text in texts:
                found += await self.records.tag(item_id(redact(text)), "r_handover")
        except Exception as exc:  # noqa: BLE001 — the inbox must never break a hand-over
            log.warning("could not tag hand-over messages in the NLU inbox (%s)", type(exc).__name__)
        return found

    # ------------------------------------------------------------ reading

    async def get(self, iid: str) -> dict[str, Any] | None:
        if not _ID.match(iid):
            return None
        raw = await self.records.get(iid)
        return _decode(raw) if raw else None

    async def search(self, status: str = "open", q: str = "", reason: str = "", intent: str = "",
                   limit: int = 500, scan: int = 5000) -> dict[str, Any]:
        """Items (newest first) matching a search, grouped by the intent the bot predicted."""
        if status not in STATUSES:
            raise errors.InvalidFrame(f"status must be one of {', '.join(STATUSES)}")
        if reason and reason not in REASONS:
            raise errors.InvalidFrame(f"reason must be one of {', '.join(REASONS)}")
        items = await self._load(await self.records.newest(status == "open", scan))
        needle = q.casefold().strip()
        matched = []
        for item in items:
            if item["status"] != status or (reason and reason not in item["reasons"]):
                continue
            if intent and intent not in (item["intent"], item.get("label")):
                continue
            if needle and needle not in item["text"].casefold() and needle not in item["intent"].casefold() \
                    and needle not in (item.get("label") or "").casefold():
                continue
            matched.append(item)
        groups: dict[str, dict[str, Any]] = {}
        for item in matched:
            g = groups.setdefault(item["intent"] or FALLBACK_INTENT, {"intent": item["intent"] or FALLBACK_INTENT,
                                                                       "items": 0, "messages": 0})
            g["items"] += 1
            g["messages"] += item["count"]
        counts = await self.records.counts()
        ordered = sorted(groups.values(), key=lambda g: (-g["messages"], g["intent"]))
        return {"items": matched[:limit], "total": len(matched), "groups": ordered, "counts": counts}

    async def _load(self, ids: list[str]) -> list[dict[str, Any]]:
        return [_decode(raw) for raw in await self.records.load(ids)]

    async def items(self, ids: list[str]) -> list[dict[str, Any]]:
        """The items for a bulk action; unknown ids are a NotFound (nothing is changed)."""
        if not ids or len(ids) > MAX_IDS or not all(isinstance(i, str) and _ID.match(i) for i in ids):
            raise errors.InvalidFrame(f"ids: 1-{MAX_IDS} inbox item ids")
        found = await self._load(list(dict.fromkeys(ids)))
        if len(found) != len(set(ids)):
            raise errors.NotFound("some of these messages are no longer in the inbox; reload")
        return found

    # ------------------------------------------------------------ decisions

    async def set_labelled(self, ids: list[str], label: str, by: str) -> None:
        await self._decide(ids, {"status": "labelled", "label": label, "decided_by": by})

    async def set_ignored(self, ids: list[str], by: str) -> None:
        await self._decide(ids, {"status": "ignored", "label": "", "decided_by": by})

    async def reopen(self, ids: list[str]) -> None:
        await self.records.reopen(ids, now_ms())

    async def delete(self, ids: list[str]) -> None:
        await self.records.delete(ids)

    async def _decide(self, ids: list[str], fields: dict[str, str]) -> None:
        await self.records.decide(ids, fields, now_ms())


def _decode(raw: dict[str, str]) -> dict[str, Any]:
    try:
        ranking = json.loads(raw.get("ranking") or "[]")
    except ValueError:
        ranking = []
    out: dict[str, Any] = {
        "id": raw.get("id", ""), "text": raw.get("text", ""), "status": raw.get("status", "open"),
        "intent": raw.get("intent", ""), "confidence": float(raw.get("confidence") or 0.0), "ranking": ranking,
        "reasons": [r for r in REASONS if raw.get(f"r_{r}")], "count": int(raw.get("count") or 0),
        "first_ts": int(raw.get("first_ts") or 0), "last_ts": int(raw.get("last_ts") or 0),
        "conversation_id": raw.get("conversation_id", ""), "seq": int(raw.get("seq") or 0),
    }
    for k in ("label", "decided_by", "suggested", "suggested_by"):
        if raw.get(k):
            out[k] = raw[k]
    if raw.get("decided_ts"):
        out["decided_ts"] = int(raw["decided_ts"])
    return out
