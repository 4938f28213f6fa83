"""Verdicts on the bot's answers: a customer's thumbs up/down in the widget, an agent's "the bot got this wrong".

Both name one bot message by its seq. A thumbs-down or a flag puts the customer message that answer was
for into the NLU inbox (reasons `thumbs_down`, `agent_flag`), with its conversation and seq so the admin
opens it in context; every verdict is kept with the conversation (handoff/storage/feedback.py) and counted
on the dashboard (handoff/reporting/analytics.py: the bot's answers rated up/down, flagged).
"""

from __future__ import annotations

import logging
from typing import Any

from handoff.admin.inbox import Inbox, redact
from handoff.core import errors
from handoff.core.clock import now_ms
from handoff.storage.feedback import FeedbackRecords
from handoff.storage.store import Store

log = logging.getLogger(__name__)
THUMBS = ("up", "down")
KINDS = ("thumbs", "flag")
MAX_COMMENT = 500
LOOK_BACK = 50  # messages read before the rated answer to find the customer message it answered


class AnswerFeedback:
    """Built once by the composition root; the customer socket calls `rate`, the agents' route `flag`."""

    def __init__(self, store: Store, records: FeedbackRecords, inbox: Inbox) -> None:
        self.store, self.records, self.inbox = store, records, inbox

    async def answered(self, conversation_id: str, seq: int) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """(the bot message `seq`, the customer message it answered or None); NotFound when `seq` is not a
        bot message of this conversation."""
        window = await self.store.read_log(conversation_id, after_seq=max(0, seq - LOOK_BACK), count=LOOK_BACK,
                                           with_nlu=True)
        upto = [m for m in window if m["seq"] <= seq]
        if not upto or upto[-1]["seq"] != seq or upto[-1].get("sender") != "bot":
            raise errors.NotFound("no bot message with that seq in this conversation")
        question = next((m for m in reversed(upto[:-1]) if m.get("sender") == "customer"), None)
        return dict(upto[-1]), dict(question) if question else None

    async def rate(self, conversation_id: str, seq: int, value: str, comment: str = "") -> dict[str, Any]:
        """The customer's thumbs on bot message `seq` (a second one replaces the first)."""
        if value not in THUMBS:
            raise errors.InvalidFrame(f"value must be one of {', '.join(THUMBS)}")
        return await self._record("thumbs", conversation_id, seq, value, "customer", comment)

    async def flag(self, conversation_id: str, seq: int, username: str, comment: str = "") -> dict[str, Any]:
        """An agent's "the bot got this wrong" on bot message `seq`."""
        return await self._record("flag", conversation_id, seq, "wrong", username, comment)

    async def _record(self, kind: str, cid: str, seq: int, value: str, by: str, comment: str) -> dict[str, Any]:
        _, question = await self.answered(cid, seq)
        clean = redact(comment)[:MAX_COMMENT] if comment else ""
        record = {"value": value, "by": by, "ts": now_ms(), **({"comment": clean} if clean else {})}
        await self.records.put(cid, kind, seq, record)
        item = None
        if value in ("down", "wrong") and question is not None and question.get("text"):
            parse = {"intent": {"name": question.get("intent") or "",
                                "confidence": question.get("confidence") or 0.0}}
            reason = "thumbs_down" if kind == "thumbs" else "agent_flag"
            item = await self.inbox.add(str(question["text"]), parse, reason, conversation_id=cid,
                                        seq=int(question["seq"]))
        return {"seq": seq, "value": value, "inbox_item": item}
