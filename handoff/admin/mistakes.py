"""Answers the customer's next message says were wrong: the question before them goes to the NLU inbox.

A confidently wrong answer never shows up as a fallback or a low confidence; it shows in what the customer
does next. When a bot-mode message corrects the bot ("no, I meant the rate abroad"), asks the previous
question again, or asks for a person, the customer message the bot answered just before is added with
reason `correction`, `rephrase` or `request_person`. The readings are the escalation policy's own
(bot/escalation/signals.py, with the live thresholds), so "a correction" means the same thing to the
policy, the inbox and the docs. Nothing the bot handled inside a form (a slot answer) or a button is ever
added: the form asked for exactly that.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.escalation import live
from bot.escalation.signals import Thresholds, Turn, is_explicit_request, restates, says_it_missed
from handoff.admin.inbox import Inbox
from handoff.reporting.analytics import bot_judged
from handoff.storage.store import Store

log = logging.getLogger(__name__)
LOOK_BACK = 20  # messages read before the new one to find the previous question and its answer
_BASE = Thresholds()


def _turn(message: dict[str, Any]) -> Turn:
    return Turn(text=str(message.get("text") or ""), intent=message.get("intent") or None,
                confidence=float(message.get("confidence") or 0.0))


def what_it_says(previous: dict[str, Any], parse_data: dict[str, Any], th: Thresholds) -> str | None:
    """Why the new message (a parse) says the bot's answer to `previous` missed, or None."""
    now = Turn.from_parse_data(parse_data)
    if says_it_missed(now, th):
        return "correction"
    if restates([_turn(previous), now], 1, th):
        return "rephrase"
    if is_explicit_request(now, th) or now.act("explicit") >= th.act_explicit:
        return "request_person"
    return None


def previous_question(window: list[dict[str, Any]], seq: int) -> dict[str, Any] | None:
    """The customer message the bot answered just before message `seq`, if the bot answered it (no hand-over
    or form in between) and it was a question the bot had to understand."""
    before = [m for m in window if m["seq"] < seq]
    answered = False
    for m in reversed(before):
        sender = m.get("sender")
        if sender == "bot":
            answered = True
        elif sender == "customer":
            return m if answered and bot_judged(m) and m.get("text") else None
        elif sender in ("agent", "system"):
            return None  # a person or a hand-over came between: not the bot's answer
    return None


async def after_message(store: Store, inbox: Inbox, cid: str, seq: int, parse_data: dict[str, Any]) -> str | None:
    """The gateway's hook after every bot-mode parse (handoff/gateway/turns.py); returns the inbox item id
    when the previous question was added. Never raises: the inbox is a by-product of a customer's turn."""
    try:
        if parse_data.get("form") or str(parse_data.get("text") or "").startswith("/"):
            return None
        window = await store.read_log(cid, after_seq=max(0, seq - LOOK_BACK), count=LOOK_BACK, with_nlu=True)
        previous = previous_question(window, seq)  # type: ignore[arg-type]
        if previous is None:
            return None
        reason = what_it_says(previous, parse_data, live.effective(_BASE))
        if reason is None:
            return None
        parse = {"intent": {"name": previous.get("intent") or "", "confidence": previous.get("confidence") or 0.0}}
        return await inbox.add(str(previous["text"]), parse, reason, conversation_id=cid, seq=int(previous["seq"]))
    except Exception as exc:  # noqa: BLE001 — the inbox must never break a customer's turn
        log.warning("could not check the previous answer for the NLU inbox (%s)", type(exc).__name__)
        return None
