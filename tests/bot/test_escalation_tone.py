"""How a message is written and at whom (bot/escalation/tone.py), and the wording cues added with it."""

from __future__ import annotations

import pytest

from bot.escalation import cues, tone


@pytest.mark.parametrize("text", ["this is f**king ridiculous", "wtf is going on", "absolute sh*t service",
                                  "ffs not again"])
def test_masked_swearing_is_read_as_swearing(text: str) -> None:
    assert tone.masked_swearing(text)


def test_a_whole_message_in_capitals_shouts_but_acronyms_do_not() -> None:
    assert tone.shouts("WHY IS MY MONEY STILL NOT THERE")
    assert not tone.shouts("Can I use my PIN at an ATM in the UK?")


def test_emoji_are_read_by_their_names_from_the_emoji_library() -> None:
    assert tone.angry_emoji("🤬🤬 declined AGAIN") == 2
    assert tone.distress_emoji("the savings are gone 😭") == 1
    assert tone.happy_emoji("arrived already 😂👍") == 2 and tone.angry_emoji("arrived already 😂👍") == 0


@pytest.mark.parametrize("text", ["great, wonderful service as always, third failed payment",
                                  "thanks for nothing", "brilliant 'customer service' from you lot again"])
def test_sarcasm_is_read_as_sarcasm(text: str) -> None:
    assert tone.sarcastic(text)


@pytest.mark.parametrize("text", ["Great, thanks, that worked", "Brilliant, it arrived today"])
def test_plain_praise_is_not_sarcasm(text: str) -> None:
    assert not tone.sarcastic(text)


@pytest.mark.parametrize("text", ["useless machine", "you are a joke", "I am appalled by how I've been treated"])
def test_insults_and_outrage(text: str) -> None:
    assert tone.insults(text)


@pytest.mark.parametrize("text", ["I'll be taking my business elsewhere", "switching banks after this",
                                  "this is the last straw"])
def test_threats_to_leave(text: str) -> None:
    assert tone.threatens_to_leave(text)


def test_closing_an_account_for_a_move_is_not_a_threat() -> None:
    assert not tone.threatens_to_leave("I'm moving abroad, how do I close my account?")


def test_strong_words_about_someone_else_are_theirs_unless_the_message_turns_on_us() -> None:
    assert tone.blames_someone_else("my housemate is livid with me because the rent bounced")
    assert tone.blames_someone_else("ryanair cancelled my flight, absolute clowns")
    assert not tone.blames_someone_else("the shop refunded me and you still haven't paid it in, useless")


@pytest.mark.parametrize("text", [
    "can the collections team call me to set up a payment plan?",
    "pass this to a member of staff please",
    "end bot. start human",
    "I'd like to raise this with a manager",
    "could someone from your team give me a call back this afternoon?",
    "I don't want a chatbot, put me through to someone",
    "Kindly connect me with concerned officer",
    "please escalate this",
])
def test_requests_for_a_person_in_many_words(text: str) -> None:
    assert cues.asks_for_person(text) and not cues.declines_person(text)


@pytest.mark.parametrize("text", [
    "I had a callback yesterday and they said to check here",
    "can I get a second card for my employee to use for fuel",
    "Does a person have to look at my passport or is it automatic?",
    "I'd rather sort this out here than phone anyone",
    "can i send money to someone without their bank details",
    "I spoke to someone at the branch and they said I can order a spare card",
])
def test_people_mentioned_without_asking_for_one(text: str) -> None:
    assert not (cues.asks_for_person(text) and not cues.declines_person(text))


@pytest.mark.parametrize("text", ["my hands are shaking, the savings are gone",
                                  'I sent everything to that "advisor"', "someone emptied my account overnight"])
def test_money_gone_or_handed_over(text: str) -> None:
    assert cues.money_lost(text)


def test_fraud_named_is_not_fraud_that_happened() -> None:
    assert cues.mentions_fraud("the shop is a scam") and cues.sensitive_topic("the shop is a scam") is None
    assert cues.sensitive_topic("a guy from your fraud team rang and I already gave him the code") == "fraud"
