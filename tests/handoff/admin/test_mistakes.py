"""The answers a customer's next message says were wrong reach the NLU inbox (handoff/admin/mistakes.py):
the question before a correction, a rephrase or a request for a person; never a slot answer or a button."""
from __future__ import annotations

from typing import Any

import pytest

from handoff.admin import mistakes
from handoff.admin.inbox import Inbox
from handoff.storage.inbox import InboxRecords
from handoff.storage.store import Store

QUESTION = "what fee do you charge for card payments abroad"


@pytest.fixture
def inbox(redis) -> Inbox:  # type: ignore[no-untyped-def]
    return Inbox(InboxRecords(redis))


async def conversation(store: Store, *messages: dict[str, Any]) -> tuple[str, int]:
    """Store `messages` (customer ones annotated with their intent); returns (cid, seq of the last)."""
    cid, _ = await store.create_conversation({}, "en")
    seq = 0
    for m in messages:
        body = {k: v for k, v in m.items() if k in ("sender", "text", "event")}
        seq, _, _ = await store.append(cid, body)  # type: ignore[arg-type]
        if m["sender"] == "customer":
            await store.annotate(cid, seq, {k: m[k] for k in ("intent", "confidence", "form") if k in m})
    return cid, seq


def asked(text: str = QUESTION, **extra: Any) -> dict[str, Any]:
    return {"sender": "customer", "text": text, "intent": "top_up_by_card_charge", "confidence": 0.93, **extra}


ANSWER = {"sender": "bot", "text": "Topping up by card is free."}


def parse(text: str, intent: str = "card_payment_fee_charged", confidence: float = 0.9) -> dict[str, Any]:
    return {"text": text, "intent": {"name": intent, "confidence": confidence}}


@pytest.mark.parametrize(("next_message", "reason"), [
    (parse("no, I meant the rate abroad"), "correction"),
    (parse("what fee do you charge for card payments abroad?"), "rephrase"),
    (parse("I want to speak to a human", "request_human", 0.95), "request_person"),
])
async def test_the_question_before_a_sign_of_a_wrong_answer_goes_in(store: Store, inbox: Inbox,
                                                                   next_message: dict[str, Any], reason: str) -> None:
    cid, last = await conversation(store, asked(), ANSWER)
    seq, _, _ = await store.append(cid, {"sender": "customer", "text": next_message["text"]})
    iid = await mistakes.after_message(store, inbox, cid, seq, next_message)
    item = await inbox.get(iid or "")
    assert item is not None, f"{reason}: nothing added"
    assert (item["text"], item["reasons"], item["seq"], item["intent"]) == (QUESTION, [reason], last - 1,
                                                                          "top_up_by_card_charge")


async def test_a_thank_you_says_nothing_about_the_answer(store: Store, inbox: Inbox) -> None:
    cid, _ = await conversation(store, asked(), ANSWER)
    seq, _, _ = await store.append(cid, {"sender": "customer", "text": "ok thanks"})
    assert await mistakes.after_message(store, inbox, cid, seq, parse("ok thanks", "thank_you")) is None


async def test_a_slot_answer_before_a_correction_is_never_added(store: Store, inbox: Inbox) -> None:
    """"1234" answered the card form's question: even when the customer then corrects the bot, the slot
    answer is not a question the bot misunderstood."""
    cid, _ = await conversation(store, asked("1234", form="card_form"), ANSWER)
    seq, _, _ = await store.append(cid, {"sender": "customer", "text": "no, that's not what I asked"})
    assert await mistakes.after_message(store, inbox, cid, seq, parse("no, that's not what I asked")) is None
    assert (await inbox.search())["total"] == 0


async def test_nothing_is_added_across_a_hand_over(store: Store, inbox: Inbox) -> None:
    cid, _ = await conversation(store, asked(), ANSWER, {"sender": "system", "event": "queued", "text": "queued"},
                                {"sender": "agent", "text": "Hi, Sam here"})
    seq, _, _ = await store.append(cid, {"sender": "customer", "text": "no, I meant the rate abroad"})
    assert await mistakes.after_message(store, inbox, cid, seq, parse("no, I meant the rate abroad")) is None


async def test_an_unsure_message_to_the_queue_or_an_agent_is_a_marked_candidate(inbox: Inbox) -> None:
    unsure = parse("can I get a metal card", "card_arrival", 0.3)
    queued = await inbox.maybe_add(unsure, conversation_id="c" * 32, seq=4, threshold=0.6, state="queued")
    item = await inbox.get(queued or "")
    assert item is not None and item["reasons"] == ["while_queued"]
    agent = await inbox.maybe_add(parse("do you do metal cards", "card_arrival", 0.2), threshold=0.6, state="agent")
    assert (await inbox.get(agent or ""))["reasons"] == ["with_agent"]  # type: ignore[index]
    assert await inbox.maybe_add(parse("thanks", "thank_you", 0.95), threshold=0.6, state="agent") is None
