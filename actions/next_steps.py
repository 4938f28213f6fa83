"""The one most useful next step after an answer, offered as a single button (never a pop-up).

A customer who has just been told why a payment was declined, or what a rate is, usually has one obvious
next thing to do; the bot offers it instead of waiting to be asked. One step per answer, at most: a list
of options is a menu, not help. Each step's button is a payload the bot already understands.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from rasa_sdk.executor import CollectingDispatcher


@dataclass(frozen=True)
class NextStep:
    text: str
    title: str
    payload: str


NEXT_STEPS: dict[str, NextStep] = {
    # After today's rate: price an amount (the exchange flow in quote mode).
    "rate": NextStep(
        "Would you like me to work out an amount?",
        "Work out an amount",
        "/exchange_rate" + json.dumps({"exchange_mode": "quote"}, separators=(",", ":")),
    ),
    # After what a card payment abroad costs: the card fees in full.
    "card_abroad": NextStep(
        "Would you like to see the fees for card payments?", "Card payment fees", "/card_payment_fee_charged"
    ),
    # After a stolen card is frozen: look for payments the thief made.
    "card_stolen": NextStep(
        "Next, it's worth checking your recent payments for any you don't recognise.",
        "I see a payment I don't recognise",
        "/card_payment_not_recognised",
    ),
    # After a payment declined for lack of money: add some.
    "declined_balance": NextStep(
        "Would you like to know how to top up by card?", "Top up by card", "/topping_up_by_card"
    ),
    # After a top-up refused for its size: the limits.
    "topup_limit": NextStep("Would you like to see your top-up limits?", "Top-up limits", "/top_up_limits"),
}


def step_button(key: str) -> dict[str, str]:
    """The step's button alone, for a closing message that already says why (with "Talk to a person")."""
    step = NEXT_STEPS[key]
    return {"title": step.title, "payload": step.payload}


def offer_next_step(dispatcher: CollectingDispatcher, key: str) -> None:
    """Say the step's one line with its one button (nothing when ``key`` has no step)."""
    step = NEXT_STEPS.get(key)
    if step:
        dispatcher.utter_message(text=step.text, buttons=[{"title": step.title, "payload": step.payload}])
