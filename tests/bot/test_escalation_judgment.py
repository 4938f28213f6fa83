"""The classes of judgment error found on conversations written outside the project (issue: judgment on
conversations nobody here wrote), each driven through the real reduced assistant and action server.

Each case is (customer turns, the 0-based turn after which it must hand over, or None for never, the
reason kind it must give). The wording here is this test's own; the measured figures come from the
blind sets (`make eval-escalation`).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.events import ActiveLoop

CASES: dict[str, tuple[list[str], int | None, str | None]] = {
    # plain anger, however it is written
    "masked swearing": (["my top up failed", "this is f**king ridiculous, where is my money"], 1, "negativity"),
    "whole message in capitals": (["WHY IS MY MONEY STILL NOT THERE I SENT IT MONDAY"], 0, "negativity"),
    "angry emoji": (["🤬🤬 declined AGAIN at the till"], 0, "negativity"),
    "sarcasm": (["my card payment failed", "great, wonderful service as always, third failed payment this week"],
                1, "negativity"),
    "insult to the bot": (["how do I see my statement", "useless machine, you people are a joke"], 1, "negativity"),
    "appalled": (["I am appalled by how I've been treated by your staff over this refund"], 0, "negativity"),
    # distress, even while a form waits for a slot
    "fraud victim": (['I sent everything to that "advisor" who called, I feel physically ill'], 0, "sensitive"),
    "savings gone": (["my hands are shaking, the savings are gone, someone took it all last night"], 0,
                     "sensitive"),
    "eviction": (["my rent transfer bounced", ("the landlord says we're out on friday if it isn't paid, I have "
                  "two kids and nowhere to go")], 1, "sensitive"),
    # repeated failure when the bot answered, but the wrong thing
    "corrected twice": (["what is the daily ATM limit?", "no, I asked about the daily ATM limit, not card payments",
                         "still not it, I mean cash from a machine per day"], 2, "failure"),
    "going in circles": (["can I change my PIN in the app", "no I know how to view it, I want to change it",
                          "we're going round in circles"], 2, "failure"),
    # an explicit request, however worded
    "no chatbot": (["I don't want a chatbot, put me through to someone"], 0, "explicit"),
    "a call back": (["could someone from your team give me a call back this afternoon?"], 0, "explicit"),
    # false handovers that must not happen
    "follow-ups and acknowledgements": (["how do I order a new card?", "does that cost anything?",
                                         "can I use my passport for that?", "ok I'll wait until tomorrow then",
                                         "sweet, doing it now", "all sorted, cheers"], None, None),
    "someone else's anger": (["my housemate is livid with me because the rent bounced",
                              "how do I check if a transfer went through?"], None, None),
    "self-directed irritation": (["argh, forgot my PIN again, silly me", "how do I reset it?", "thanks"],
                                 None, None),
    "phishing not clicked": (["got a text saying my account is locked with a link, I didn't click it",
                              "where do I forward it?", "done, thanks"], None, None),
    "merchant called a scam": (["the shop I bought shoes from is a scam, they never sent them",
                                "can I dispute the card payment?", "ok thanks"], None, None),
}


@pytest.fixture(scope="module")
async def agent(reduced_model: Path, action_server_url: str) -> Any:
    from bot.escalation.replay import load_agent, quiet_logs

    quiet_logs()
    return await load_agent(reduced_model, action_server_url)


def handoff_payload(messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((m["custom"]["handoff"] for m in messages if "handoff" in (m.get("custom") or {})), None)


@pytest.mark.model
@pytest.mark.parametrize("case", sorted(CASES))
async def test_each_class_is_handed_over_on_its_turn_or_not_at_all(agent: Any, case: str) -> None:
    turns, expected, kind = CASES[case]
    sender = f"judgment-{uuid.uuid4().hex}"
    handed: list[tuple[int, dict[str, Any]]] = []
    for index, text in enumerate(turns):
        payload = handoff_payload(await agent.handle_text(text, sender_id=sender) or [])
        if payload:
            handed.append((index, payload))
            break
    if expected is None:
        assert handed == []
    else:
        assert [i for i, _ in handed] == [expected]
        assert handed[0][1]["kind"] == kind
        assert handed[0][1]["messages"], "the agent sees the message(s) behind the decision"


@pytest.mark.model
async def test_a_frightened_customer_inside_a_form_is_handed_over_not_asked_for_a_slot(agent: Any) -> None:
    """The transfer flow's form waits for a date; a scam victim's message is not a date."""
    sender = f"judgment-{uuid.uuid4().hex}"
    first = await agent.handle_text("I sent money to my landlord but it hasn't arrived", sender_id=sender) or []
    tracker = await agent.tracker_store.retrieve(sender)
    assert any(isinstance(e, ActiveLoop) and e.name for e in tracker.events), "a form should be waiting"
    assert handoff_payload(first) is None
    second = await agent.handle_text(
        "wait, a man on the phone said he's from your fraud team and I already gave him the code, my hands are "
        "shaking", sender_id=sender) or []
    payload = handoff_payload(second)
    assert payload is not None and payload["kind"] == "sensitive"
    texts = " ".join(m.get("text") or "" for m in second).lower()
    assert "when did you" not in texts and "amount" not in texts and "how much" not in texts


@pytest.mark.model
async def test_an_acknowledgement_the_nlu_cannot_place_is_answered_politely(agent: Any) -> None:
    sender = f"judgment-{uuid.uuid4().hex}"
    await agent.handle_text("how long does a card take to arrive?", sender_id=sender)
    replies = await agent.handle_text("sweet, doing it now", sender_id=sender) or []
    texts = " ".join(m.get("text") or "" for m in replies)
    assert texts and "say it another way" not in texts and handoff_payload(replies) is None
