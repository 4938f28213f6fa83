"""POST /api/inbox/flag: an agent's "the bot got this wrong" on a bot message of a transcript.

Any signed-in agent or admin may flag: staff read transcripts in the console and from the dashboard's lists,
and a flag only puts the customer's message before that answer in front of an admin (the NLU inbox). The
customer's thumbs arrive on their own socket instead (handoff/gateway/customer_ws.py `feedback` frame).
"""

from __future__ import annotations

from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse

from handoff.admin.answer_feedback import MAX_COMMENT, AnswerFeedback
from handoff.core import errors, protocol
from handoff.gateway.web import RequestAuth, error_response, json_body


def add_feedback_routes(bp: Blueprint, *, who: RequestAuth, feedback: AnswerFeedback | None) -> None:
    @bp.post("/api/inbox/flag")
    async def flag(request: Request) -> HTTPResponse:
        try:
            return await _flag(request)
        except errors.TandemError as exc:
            return error_response(exc)

    async def _flag(request: Request) -> HTTPResponse:
        user = await who.user(request)
        if feedback is None:
            raise errors.Unavailable("flags are not being collected on this instance")
        body = json_body(request)
        cid, seq, comment = body.get("conversation_id"), body.get("seq"), body.get("comment") or ""
        if not isinstance(cid, str) or not protocol.ID_RE.match(cid):
            raise errors.InvalidFrame("conversation_id must be a conversation id")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            raise errors.InvalidFrame("seq must be the sequence number of a bot message")
        if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
            raise errors.InvalidFrame(f"comment must be text of at most {MAX_COMMENT} characters")
        saved = await feedback.flag(cid, seq, user["username"], comment)
        return response.json(saved, status=201)
