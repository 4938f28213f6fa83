"""Which drafts an agent is shown for one customer message (handoff/assist/drafts.py), by plain calls."""
from __future__ import annotations

from handoff.assist.drafts import (
    BOT_ANSWER,
    PAST_REPLY,
    Neighbour,
    bot_answers,
    choose,
    past_replies,
    suggest,
)

ANSWERS = {"card_arrival": ["Cards arrive within 3-5 working days."], "pin_blocked": ["Unblock your PIN in the app."],
           "greet": ["Hi! How can I help?"]}
RANKING = [{"name": "card_arrival", "confidence": 0.71}, {"name": "greet", "confidence": 0.2},
           {"name": "pin_blocked", "confidence": 0.05}]


def test_the_bot_answer_of_the_top_intent_carries_its_confidence() -> None:
    drafts = bot_answers(RANKING, ANSWERS)
    assert [(d.kind, d.intent, d.confidence) for d in drafts] == [(BOT_ANSWER, "card_arrival", 0.71)]
    assert drafts[0].text == ANSWERS["card_arrival"][0]


def test_greetings_and_unsure_intents_make_no_draft() -> None:
    assert [d.intent for d in bot_answers(RANKING, ANSWERS)] == ["card_arrival"]  # greet skipped, pin too unsure


def test_at_most_three_distinct_drafts_alternating_bot_answers_and_past_replies() -> None:
    bot = bot_answers([{"name": "card_arrival", "confidence": 0.6}, {"name": "pin_blocked", "confidence": 0.3}],
                      ANSWERS)
    past = past_replies([Neighbour("1-0", "Sorry for the wait — I'll order a new card.", 0.83),
                         Neighbour("2-0", "Cards arrive within 3-5 working days.", 0.8),  # same as a bot answer
                         Neighbour("3-0", "I can see it was posted on Monday.", 0.7)])
    chosen = choose(bot, past)
    assert [d.kind for d in chosen] == [BOT_ANSWER, PAST_REPLY, BOT_ANSWER]
    assert chosen[1].similarity == 0.83
    assert len({d.text for d in chosen}) == 3


def test_drafts_never_carry_a_card_number_an_email_or_a_phone_number() -> None:
    leaky = [Neighbour("1-0", "Done, Ms Jones: card 4111 1111 1111 1111 is blocked; we wrote to ana@example.com "
                              "and will ring you on 07700 900123.", 0.9)]
    answers = {"card_arrival": ["Email cards@harbour-bank.example or call +44 20 7946 0958 to chase it."]}
    drafts = suggest(RANKING, answers, leaky, names=["Ana Jones"])
    text = " ".join(d.text for d in drafts)
    for secret in ("4111", "ana@example.com", "07700", "7946", "cards@harbour", "Jones"):
        assert secret not in text
    assert "[CARD]" in text and "[EMAIL]" in text and "[PHONE]" in text
