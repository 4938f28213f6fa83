"""The wording escalation looks for, with the near-misses each pattern must leave alone."""

from __future__ import annotations

import pytest

from bot.escalation import cues


@pytest.mark.parametrize(
    "text",
    [
        "Can I talk to a real person please?",
        "agent",
        "HUMAN!!",
        "human please",
        "operator",
        "I need to speak to a manager",
        "Let me speak to a representative",
        "Just get me a human",
        "Can you connect me with customer service?",
        "could you transfer me to a colleague please?",
        "is there someone I can chat to? a person I mean",
        "I'd prefer a member of staff rather than a bot",
        "Actually can a real person help me with this instead?",
        "can i speak to a live agent",
        "Can someone from the bank call me?",
    ],
)
def test_requests_for_a_person(text: str) -> None:
    assert cues.asks_for_person(text)


@pytest.mark.parametrize(
    "text",
    [
        "Are you a bot?",
        "I want to transfer money to someone",
        "Can I send money to a person abroad?",
        "The agent at the branch was lovely",
        "How do I add a person to my account?",
        "I spoke to someone at the branch",
        "Is my card accepted by people in Spain?",
    ],
)
def test_mentions_of_people_that_are_not_requests(text: str) -> None:
    assert not cues.asks_for_person(text)


def test_declining_and_reporting_a_person_are_recognised() -> None:
    assert cues.declines_person("I don't want to speak to anyone, just tell me my PIN")
    assert cues.declines_person("No need for a person, the bot is fine")
    assert not cues.declines_person("I don't understand. Can I speak to someone?")
    assert cues.reports_past_contact("The lady on the phone told me to ask here")
    assert cues.reports_past_contact("I talked to your colleague yesterday")


@pytest.mark.parametrize(
    "text, topic",
    [
        ("Someone has taken £1,200 out of my account and it wasn't me", "fraud"),
        ("A cash withdrawal I didn't make has shown up", "fraud"),
        ("There's a direct debit I never set up", "fraud"),
        ("I think I've been scammed", "fraud"),
        ("my dad died and I need to stop his direct debits", "bereavement"),
        ("I'm the executor of my aunt's estate", "bereavement"),
        ("I can't afford food this week", "hardship"),
        ("I'm being chased by debt collectors", "hardship"),
        ("My husband controls my money", "vulnerability"),
    ],
)
def test_sensitive_topics(text: str, topic: str) -> None:
    assert cues.sensitive_topic(text) == topic


@pytest.mark.parametrize(
    "text",
    [
        "My phone battery died",
        "I didn't make it to the branch in time",
        "How do I pay my bills by card?",
        "I don't recognise a payment from PAYPAL *STEAM",
        "Can I pay for my shopping with Apple Pay?",
        "I lost my card",
        "I'm sick today",
    ],
)
def test_not_sensitive(text: str) -> None:
    assert cues.sensitive_topic(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "That's not what I asked",
        "you're not listening",
        "You don't understand me at all",
        "That doesn't answer my question",
        "You keep giving me the same answer",
        "I've already asked this twice",
        "I asked about Apple Pay not Google Pay",
        "are you even reading this?",
    ],
)
def test_complaints_that_the_bot_missed_the_point(text: str) -> None:
    assert cues.complains_of_failure(text)


@pytest.mark.parametrize(
    "text",
    [
        "I don't understand why my card was declined",
        "No, I mean my surname",
        "I asked the shop for a refund",
        "Thank you, you've been really helpful",
    ],
)
def test_not_complaints(text: str) -> None:
    assert not cues.complains_of_failure(text)


@pytest.mark.parametrize("text", ["ok cool", "Thanks, that's all", "Got it thanks", "OK THANKS",
                                  "Ok, I'll contact the shop then. Thank you", "Makes sense, thanks"])
def test_acknowledgements(text: str) -> None:
    assert cues.acknowledges(text)


@pytest.mark.parametrize("text", ["thanks, but how do I top up?", "hello??", "asdfgh", "Cheers, is there a fee?",
                                  "ok how do I unblock it"])
def test_not_acknowledgements(text: str) -> None:
    assert not cues.acknowledges(text)


def test_frustration_levels_and_softeners() -> None:
    assert cues.frustration_level("This is absolutely unacceptable") == 0.9
    assert cues.frustration_level("a bit annoyed") == 0.5
    assert cues.frustration_level("How do I top up?") == 0.0
    assert cues.softened("Holy shit that was fast, thanks!") and not cues.softened("This is a joke")
