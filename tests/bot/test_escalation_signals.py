"""The escalation decision on hand-built turns: no Rasa, no model, every reason and its hard negatives."""

from __future__ import annotations

import pytest

from bot.escalation.signals import (
    EXPLICIT,
    FAILURE,
    NEGATIVITY,
    SENSITIVE,
    Thresholds,
    Turn,
    decide,
    first_decision,
    rolling_negativity,
    turn_negativity,
)

CALM = {
    "neutral": 0.9,
    "joy": 0.05,
    "anger": 0.01,
    "fear": 0.01,
    "sadness": 0.01,
    "disgust": 0.01,
    "surprise": 0.01,
}


def turn(text: str, intent: str | None = "card_arrival", neg: float | None = 0.05, **emotions: float) -> Turn:
    """A customer turn with a sentiment reading; emotions default to calm."""
    return Turn(text, intent, 0.9, {**CALM, **emotions} if neg is not None else None, neg)


def first_turn(*turns: Turn) -> int | None:
    decision = first_decision(list(turns))
    return None if decision is None else decision.turn


# --- explicit ----------------------------------------------------------------------------------------


def test_explicit_request_is_honoured_on_the_very_first_calm_turn() -> None:
    decision = decide([turn("Can I talk to a real person please?", "request_human")])
    assert decision is not None and decision.kind == EXPLICIT and decision.turn == 0


def test_explicit_request_is_honoured_on_its_own_turn_after_calm_ones() -> None:
    turns = [
        turn("How do I change my PIN?", "change_pin"),
        turn("ok", "affirm"),
        turn("I'd like to speak to someone please", "request_human"),
    ]
    assert first_turn(*turns) == 2


def test_request_in_words_counts_even_when_the_intent_is_wrong() -> None:
    assert (
        decide([turn("Can someone from the bank call me or chat with me?", "verify_my_identity")]).kind
        == EXPLICIT
    )
    assert decide([turn("TALK TO HUMAN", "out_of_scope")]).kind == EXPLICIT
    assert decide([turn("agent.", "nlu_fallback")]).kind == EXPLICIT


@pytest.mark.parametrize(
    "text",
    [
        "I don't want to speak to anyone, I just want to know how to change my PIN",
        "No need for a person, the bot is fine. How do I top up?",
    ],
)
def test_declining_a_person_is_not_a_request_even_if_nlu_says_so(text: str) -> None:
    assert decide([turn(text, "request_human")]) is None


def test_reporting_an_earlier_conversation_is_not_a_request() -> None:
    text = "I spoke to someone at the branch and they said I can order a spare card in the app. How?"
    assert decide([turn(text, "request_human")]) is None


def test_low_confidence_request_intent_without_the_words_is_not_a_request() -> None:
    assert decide([Turn("hmm maybe", "request_human", 0.3, CALM, 0.05)]) is None


def test_asking_whether_it_is_a_bot_is_not_a_request() -> None:
    assert decide([turn("Are you a bot?", "bot_challenge")]) is None


# --- sensitive ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, detail",
    [
        ("My husband passed away last week, what happens to our joint account?", "bereavement"),
        ("Someone called pretending to be you and I moved £2,000 to a 'safe account'", "fraud"),
        ("There are payments on my account I didn't make", "fraud"),
        ("I gave them my card details after a text from 'the bank'", "fraud"),
        ("I've lost my job and I can't pay my overdraft back", "hardship"),
        ("My partner controls all my money and takes my card", "vulnerability"),
    ],
)
def test_a_sensitive_topic_is_handed_over_on_the_turn_it_is_disclosed_even_calmly(
    text: str, detail: str
) -> None:
    decision = first_decision([turn("Hi", "greet"), turn(text, "card_payment_not_recognised")])
    assert decision is not None
    assert (decision.kind, decision.detail, decision.turn) == (SENSITIVE, detail, 1)


@pytest.mark.parametrize(
    "text",
    [
        "My phone battery died halfway through a transfer, did it go through?",
        "I don't recognise a card payment from PAYPAL *STEAMGAMES",
        "I'm off sick today so I can't go to the branch. Can I verify online?",
    ],
)
def test_near_misses_of_sensitive_words_are_not_sensitive(text: str) -> None:
    assert decide([turn(text)]) is None


def test_a_calmly_reported_stolen_card_stays_with_the_bot() -> None:
    turns = [
        turn(
            "My card was stolen yesterday, I've frozen it. How do I order a replacement?",
            "lost_or_stolen_card",
            neg=0.35,
            fear=0.2,
        ),
        turn("Thanks, that's all", "thank_you"),
    ]
    assert first_turn(*turns) is None


def test_a_stolen_card_becomes_sensitive_when_the_customer_is_distressed() -> None:
    turns = [
        turn("My wallet was stolen", "lost_or_stolen_card", neg=0.4),
        turn("My card was in it and I'm terrified someone will use it", "lost_or_stolen_card", neg=0.7),
    ]
    decision = first_decision(turns)
    assert decision is not None and (decision.kind, decision.turn) == (SENSITIVE, 1)
    assert decision.messages == (turns[0].text, turns[1].text)


def test_an_unrecognised_payment_with_fear_is_sensitive() -> None:
    turns = [
        turn("There's a card payment I don't recognise", "card_payment_not_recognised", neg=0.5),
        turn("it's a lot of money, I'm scared", "card_payment_not_recognised", neg=0.9, fear=0.6),
    ]
    assert first_turn(*turns) == 1


# --- negativity --------------------------------------------------------------------------------------


def test_a_single_angry_spike_hands_over_at_once() -> None:
    decision = decide(
        [turn("You've taken £300 for no reason and I am absolutely livid", neg=0.92, anger=0.8, neutral=0.05)]
    )
    assert decision is not None and (decision.kind, decision.detail, decision.turn) == (
        NEGATIVITY,
        "anger spike",
        0,
    )


def test_fear_in_words_confirmed_by_the_classifier_is_a_spike() -> None:
    decision = decide([turn("I'm stuck abroad with no card and I'm really scared", neg=0.99, fear=0.95)])
    assert decision is not None and decision.detail == "fear spike"


def test_a_calm_problem_report_the_classifier_scores_as_angry_is_not_a_spike() -> None:
    """Emotion classifiers also score the topic: "charged a fee, why?" reads as anger."""
    turns = [
        turn("I got charged a fee on a card payment, why?", neg=0.99, anger=0.82),
        turn("Oh it was in dollars, that makes sense", neg=0.3),
        turn("Thanks", "thank_you", neg=0.0),
    ]
    assert first_turn(*turns) is None


def test_fear_that_has_passed_is_not_distress() -> None:
    text = "I was worried my transfer failed but it's showing as sent now, has it gone through?"
    assert decide([turn(text, "pending_transfer", neg=0.97, fear=0.97)]) is None


def test_rising_frustration_hands_over_when_it_peaks_not_before() -> None:
    turns = [
        turn("My transfer still hasn't arrived", neg=0.6),
        turn("It's been 3 days now", neg=0.8),
        turn("My rent is overdue, I'm really annoyed now", neg=0.95, sadness=0.4),
    ]
    assert first_turn(*turns) == 2


def test_one_irritated_message_between_calm_ones_does_not_hand_over() -> None:
    turns = [
        turn("Why was my payment declined?", neg=0.3),
        turn("that's annoying", neg=0.6),
        turn("ok I'll try another card", neg=0.1),
        turn("worked, thanks", neg=0.05),
    ]
    assert first_turn(*turns) is None


@pytest.mark.parametrize(
    "text, neg, emotions",
    [
        ("Holy shit that transfer was fast! Thanks!", 0.7, {"surprise": 0.5, "anger": 0.3}),
        ("I hate waiting for cards in the post haha. Can I get a virtual one?", 0.65, {"anger": 0.5}),
        ("Not a complaint, just curious: why was I charged a fee?", 0.55, {"anger": 0.3}),
    ],
)
def test_negative_words_in_a_friendly_message_do_not_hand_over(text: str, neg: float, emotions: dict) -> None:
    assert decide([turn(text, neg=neg, **emotions)]) is None


def test_capitals_alone_are_not_anger() -> None:
    turns = [
        turn("HOW DO I ACTIVATE MY NEW CARD", "activate_my_card", neg=0.15),
        turn("THANK YOU", "thank_you"),
    ]
    assert first_turn(*turns) is None


def test_rolling_negativity_rises_with_negative_turns_and_falls_with_calm_ones() -> None:
    th = Thresholds()
    values = rolling_negativity([turn("a", neg=0.6), turn("b", neg=0.8), turn("c", neg=0.0)], th)
    assert values[0] < values[1] and values[2] < values[1]


def test_without_sentiment_strong_words_still_count_and_plain_text_reads_calm() -> None:
    th = Thresholds()
    assert turn_negativity(turn("This is absolutely unacceptable", neg=None), th) >= 0.8
    assert turn_negativity(turn("How do I top up?", neg=None), th) == 0.0
    assert decide([turn("How do I top up?", neg=None)]) is None


# --- failure -----------------------------------------------------------------------------------------


def test_three_consecutive_fallbacks_hand_over_on_the_third_and_two_do_not() -> None:
    turns = [
        turn("Do you offer mortgages?", "nlu_fallback"),
        turn("home loans, to buy a house", "out_of_scope"),
        turn("a loan secured on a property", "nlu_fallback"),
    ]
    assert first_decision(turns[:2]) is None  # each fallback offered a person; two are not yet a dead end
    decision = first_decision(turns)
    assert decision is not None and (decision.kind, decision.detail, decision.turn) == (
        FAILURE,
        "consecutive fallbacks",
        2,
    )


def test_follow_ups_and_acknowledgements_the_nlu_cannot_place_are_not_failures() -> None:
    turns = [
        turn("How do I order a new card?", "order_physical_card"),
        turn("does that cost anything?", "nlu_fallback"),
        turn("can I use my passport for that?", "nlu_fallback"),
        turn("ok I'll wait until tomorrow then", "nlu_fallback"),
        turn("sweet, doing it now", "nlu_fallback"),
        turn("all sorted, cheers", "nlu_fallback"),
    ]
    assert first_turn(*turns) is None


def test_one_fallback_followed_by_an_understood_question_does_not() -> None:
    turns = [
        turn("asdfgh", "nlu_fallback"),
        turn("sorry, how do I top up?", "topping_up_by_card"),
        turn("thanks", "thank_you"),
    ]
    assert first_turn(*turns) is None


def test_an_unrecognised_thank_you_is_not_a_second_failure() -> None:
    turns = [turn("I forgot my passcode", "passcode_forgotten"), turn("how do I reset it?", "nlu_fallback"),
             turn("thank you", "nlu_fallback"), turn("Ok, I'll contact the shop then. Thank you", "nlu_fallback")]
    assert first_turn(*turns) is None


def test_asking_again_without_adding_anything_hands_over() -> None:
    turns = [turn("Can I open a business account?", "age_limit"), turn("for my limited company", "card_linking"),
             turn("business account please", "terminate_account")]
    decision = first_decision(turns)
    assert decision is not None and (decision.kind, decision.detail, decision.turn) == (
        FAILURE, "same question asked again", 2)


def test_a_follow_up_that_adds_words_is_not_asking_again() -> None:
    turns = [turn("How do I top up?", "topping_up_by_card"), turn("how do I top up by card?", "topping_up_by_card"),
             turn("great thanks", "thank_you")]
    assert first_turn(*turns) is None


def test_hello_with_question_marks_after_a_restated_question_hands_over() -> None:
    turns = [turn("I want to increase my overdraft", "nlu_fallback"),
             turn("overdraft limit increase", "nlu_fallback"), turn("hello??", "greet")]
    assert first_turn(*turns[:2]) is None
    assert first_turn(*turns) == 2


def test_one_correction_is_a_misunderstanding_the_second_missed_answer_hands_over() -> None:
    turns = [
        turn("How do I add my card to Apple Pay?", "apple_pay_or_google_pay"),
        turn("That's not what I asked, I asked about Apple Pay", "apple_pay_or_google_pay"),
        turn("no, still the Google Pay page. I mean Apple Pay on an iPhone", "apple_pay_or_google_pay"),
    ]
    assert first_turn(*turns[:2]) is None
    decision = first_decision(turns)
    assert decision is not None and (decision.kind, decision.turn) == (FAILURE, 2)


def test_going_in_circles_is_the_second_miss_in_one_message() -> None:
    turns = [turn("can I change my PIN in the app", "change_pin"), turn("we're going round in circles", "nlu_fallback")]
    assert first_turn(*turns) == 1


def test_the_same_question_a_third_time_hands_over() -> None:
    turns = [
        turn("How do I change the name on my account?", "edit_personal_details"),
        turn("No, I mean change the name on my account after I got married", "edit_personal_details"),
        turn("change name on account", "edit_personal_details"),
    ]
    assert first_turn(*turns) == 2


def test_follow_up_questions_on_one_topic_are_not_rephrasing() -> None:
    turns = [
        turn("When will my card arrive?", "card_arrival"),
        turn("And will it come by post or courier?", "card_arrival"),
        turn("Can I track it?", "card_arrival"),
        turn("Thanks", "thank_you"),
    ]
    assert first_turn(*turns) is None


# --- inputs and outputs ------------------------------------------------------------------------------


def test_reason_carries_kind_score_turn_and_messages_offset_into_the_conversation() -> None:
    decision = decide([turn("human please", "request_human")])
    assert decision.reason(turn_offset=4) == {
        "kind": "explicit",
        "detail": "asked for a person",
        "score": 1.0,
        "turn": 4,
        "messages": ["human please"],
    }


def test_turn_from_parse_data_reads_sentiment_and_tolerates_its_absence() -> None:
    with_sentiment = Turn.from_parse_data(
        {
            "text": "hi",
            "intent": {"name": "greet", "confidence": 0.97},
            "sentiment": {"emotions": {"joy": 0.6, "neutral": 0.4}, "negativity": 0.02},
        }
    )
    assert (with_sentiment.intent, with_sentiment.confidence, with_sentiment.negativity) == (
        "greet",
        0.97,
        0.02,
    )
    assert with_sentiment.emotions == {"joy": 0.6, "neutral": 0.4}
    bare = Turn.from_parse_data({"text": "hi", "intent": {"name": "greet", "confidence": 0.97}})
    assert bare.emotions is None and bare.negativity is None
    assert Turn.from_parse_data({}).text == ""


def test_thresholds_from_config_take_known_keys_and_name_a_bad_one() -> None:
    th = Thresholds.from_config(
        {"rolling_threshold": 0.6, "max_fallbacks": 3, "priority": 7, "fallback_intents": ["nlu_fallback"]}
    )
    assert (th.rolling_threshold, th.max_fallbacks, th.fallback_intents) == (0.6, 3, ("nlu_fallback",))
    with pytest.raises(ValueError, match="rolling_threshold"):
        Thresholds.from_config({"rolling_threshold": 1.5})
    with pytest.raises(ValueError, match="max_fallbacks"):
        Thresholds.from_config({"max_fallbacks": "two"})
    with pytest.raises(ValueError, match="fallback_intents"):
        Thresholds.from_config({"fallback_intents": "nlu_fallback"})


def test_no_turns_no_decision() -> None:
    assert decide([]) is None and first_decision([]) is None
