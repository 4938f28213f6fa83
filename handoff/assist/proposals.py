""""Teach the bot" proposals, checked before they reach the admins' NLU inbox.

An agent proposes, from a reply they sent, either the customer's message as a new training example of an
intent (EXAMPLE), or their reply as an answer for an existing intent (ANSWER). Both land in the inbox as one
item of source "agent_proposal" with the agent's suggested intent (handoff/admin/inbox.py); the admin
accepts or rejects it on /admin. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handoff.core import errors

EXAMPLE, ANSWER = "example", "answer"
KINDS = (EXAMPLE, ANSWER)
SOURCE = "agent_proposal"  # the inbox reason these items carry
MAX_REPLY = 1000


@dataclass(frozen=True)
class Proposal:
    kind: str
    intent: str
    conversation_id: str
    customer_seq: int  # the customer's message (the EXAMPLE's text)
    reply_seq: int  # the agent's reply it came from (the ANSWER's text)


def parse(body: dict[str, Any], intents: list[str]) -> tuple[str, int, str, str]:
    """(conversation id, reply seq, kind, intent) from a request body; InvalidFrame says what is wrong."""
    cid, seq, kind, intent = body.get("conversation_id"), body.get("seq"), body.get("kind"), body.get("intent")
    if not isinstance(cid, str) or not cid:
        raise errors.InvalidFrame("conversation_id must be a conversation id")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise errors.InvalidFrame("seq must be the sequence number of a reply you sent")
    if kind not in KINDS:
        raise errors.InvalidFrame(f"kind must be one of {', '.join(KINDS)}")
    if not isinstance(intent, str) or intent not in intents:
        raise errors.InvalidFrame("intent must be one of the assistant's intents")
    return cid, seq, str(kind), intent


def check_reply(transcript: list[dict[str, Any]], seq: int, username: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(customer message, agent reply) for the proposal: `seq` must be a reply `username` sent in answer to a
    customer message of this conversation."""
    reply = next((m for m in transcript if m.get("seq") == seq), None)
    if reply is None or reply.get("sender") != "agent":
        raise errors.NotFound("no reply of yours with that seq in this conversation")
    if reply.get("agent") != username:
        raise errors.Forbidden("you can propose only replies you sent")
    before = [m for m in transcript if m.get("seq", 0) < seq and m.get("sender") == "customer"]
    if not before:
        raise errors.NotFound("that reply answers no customer message")
    if len(str(reply.get("text") or "")) > MAX_REPLY:
        raise errors.InvalidFrame(f"replies longer than {MAX_REPLY} characters cannot become answers")
    return before[-1], reply
