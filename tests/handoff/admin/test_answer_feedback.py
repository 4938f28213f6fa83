"""Verdicts on the bot's answers: the customer's thumbs (a `feedback` frame) and an agent's "the bot got this
wrong" (POST /api/inbox/flag) are kept with the conversation, put the message before the answer into the NLU
inbox, and are listed behind the dashboard's figures (handoff/admin/answer_feedback.py)."""
from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request

import pytest

from handoff.admin.answer_feedback import AnswerFeedback
from handoff.admin.inbox import Inbox
from handoff.core import errors
from handoff.storage import store as store_mod
from handoff.storage.feedback import FeedbackRecords
from handoff.storage.inbox import InboxRecords
from tests.gateway import LiveGateway
from tests.handoff.clients import Customer, login

QUESTION = "how much is 1 pound in dollars today"


async def asked_and_answered(store: store_mod.Store, cid: str | None = None) -> tuple[str, int, int]:
    """A customer question, annotated as the bot parsed it, and a (wrong) bot answer: (cid, question, answer)."""
    if cid is None:
        cid, _ = await store.create_conversation({}, "en")
    q, _, _ = await store.append(cid, {"sender": "customer", "text": QUESTION})
    await store.annotate(cid, q, {"intent": "card_payment_not_recognised", "confidence": 0.71, "negativity": 0.1})
    a, _, _ = await store.append(cid, {"sender": "bot", "text": "If you don't recognise a card payment, ..."})
    return cid, q, a


@pytest.fixture
def feedback(store: store_mod.Store, redis) -> AnswerFeedback:  # type: ignore[no-untyped-def]
    return AnswerFeedback(store, FeedbackRecords(store), Inbox(InboxRecords(redis)))


async def test_a_thumbs_down_puts_the_question_before_the_answer_into_the_inbox(
        store: store_mod.Store, feedback: AnswerFeedback) -> None:
    cid, q, a = await asked_and_answered(store)
    saved = await feedback.rate(cid, a, "down", "wrong: I asked about dollars, card 4539 1488 0343 6467")
    item = await feedback.inbox.get(saved["inbox_item"])
    assert item is not None and item["text"] == QUESTION and item["reasons"] == ["thumbs_down"]
    assert (item["conversation_id"], item["seq"], item["intent"]) == (cid, q, "card_payment_not_recognised")
    [verdict] = await feedback.records.all(cid)
    assert (verdict["kind"], verdict["seq"], verdict["value"], verdict["by"]) == ("thumbs", a, "down", "customer")
    assert "4539" not in verdict["comment"]  # the comment is redacted before it is stored


async def test_a_thumbs_up_replaces_the_customers_earlier_verdict_and_adds_nothing_to_the_inbox(
        store: store_mod.Store, feedback: AnswerFeedback) -> None:
    cid, _, a = await asked_and_answered(store)
    assert (await feedback.rate(cid, a, "up"))["inbox_item"] is None
    await feedback.rate(cid, a, "down")
    await feedback.rate(cid, a, "up")
    assert [v["value"] for v in await feedback.records.all(cid)] == ["up"]


async def test_only_a_bot_message_of_that_conversation_can_be_rated_or_flagged(
        store: store_mod.Store, feedback: AnswerFeedback) -> None:
    cid, q, a = await asked_and_answered(store)
    for seq in (q, a + 5):
        with pytest.raises(errors.NotFound):
            await feedback.rate(cid, seq, "down")
        with pytest.raises(errors.NotFound):
            await feedback.flag(cid, seq, "sam")
    with pytest.raises(errors.InvalidFrame):
        await feedback.rate(cid, a, "meh")


async def test_an_agents_flag_lands_in_the_inbox_as_agent_flag(store: store_mod.Store,
                                                              feedback: AnswerFeedback) -> None:
    cid, q, a = await asked_and_answered(store)
    saved = await feedback.flag(cid, a, "sam", "answered with top-up fees")
    item = await feedback.inbox.get(saved["inbox_item"])
    assert item is not None and item["reasons"] == ["agent_flag"] and item["seq"] == q
    assert [(v["kind"], v["by"]) for v in await feedback.records.all(cid)] == [("flag", "sam")]


# ------------------------------------------------------------------ through a real gateway


def post(gateway: str, path: str, body: dict, cookie: str | None = None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json", **({"Cookie": cookie} if cookie else {})}
    req = urllib.request.Request(gateway + path, method="POST", data=json.dumps(body).encode(), headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def get(gateway: str, path: str, cookie: str) -> dict:
    req = urllib.request.Request(gateway + path, headers={"Cookie": cookie})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


async def test_the_widgets_thumbs_and_the_agents_flag_reach_the_dashboard(bare_gateway: LiveGateway) -> None:
    c = await Customer.connect(bare_gateway)
    client = await store_mod.connect(bare_gateway.redis_url)
    try:
        _, _, answer = await asked_and_answered(store_mod.Store(client), c.cid)
    finally:
        await client.close()
    await c.send(type="feedback", seq=answer, value="down", comment="I asked about dollars")
    assert await c.expect("feedback_saved", seq=answer, value="down")
    await c.send(type="feedback", seq=answer - 1, value="down")  # the customer's own message
    assert (await c.expect("error", frame="feedback"))["code"] == errors.NOT_FOUND
    await c.send(type="feedback", seq=answer, value="sideways")
    assert (await c.expect("error", frame="feedback"))["code"] == errors.INVALID_FRAME

    assert post(bare_gateway, "/api/inbox/flag", {"conversation_id": c.cid, "seq": answer})[0] == 401
    cookie = await asyncio.to_thread(login, bare_gateway, "sam", bare_gateway.accounts["sam"][0])
    status, body = post(bare_gateway, "/api/inbox/flag", {"conversation_id": c.cid, "seq": answer}, cookie)
    assert status == 201 and body["value"] == "wrong"
    for figure in ("thumbs_down", "flagged"):
        listed = get(bare_gateway, f"/api/dashboard/conversations?figure={figure}", cookie)  # the last 14 days
        assert c.cid in [row["conversation_id"] for row in listed["conversations"]]
