"""Products Harbour Bank does not offer: say so politely, say what it does offer, and move on.

"Do you do mortgages?" is a fair question with a short answer. Answering it with "I didn't get that"
twice and then a queue for a person wastes everyone's time, so the intent product_not_offered gets this
answer (never a fallback, never a handoff). The product named is found by the words below; when none
matches, the answer says what the bank offers without naming what was asked.
"""

from __future__ import annotations

import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

OFFERED = (
    "a current account in pounds with balances in other currencies, Mastercard debit cards (physical, "
    "virtual and disposable), Apple Pay and Google Pay, transfers at home and abroad, and currency exchange "
    "in the app"
)
# (what we call it, the words that name it), most specific first.
NOT_OFFERED: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("mortgages", re.compile(r"\b(re-?mortgag\w*|mortgag\w*|home loans?|buy[- ]to[- ]let|equity release)\b")),
    ("student loans", re.compile(r"\bstudent loans?\b")),
    ("car finance", re.compile(r"\b(car finance|car loans?|loans? (for|to buy) a car|auto loans?)\b")),
    ("loans", re.compile(r"\b(loans?|lend\w*|borrow\w*|credit line|line of credit)\b")),
    ("overdrafts", re.compile(r"\boverdrafts?\b")),
    ("savings accounts or ISAs", re.compile(r"\b(savings?( accounts?)?|isas?|fixed[- ]rate bonds?)\b")),
    ("insurance", re.compile(r"\binsurance\b")),
    ("pensions", re.compile(r"\bpensions?\b")),
    ("investments", re.compile(r"\b(invest\w*|stocks?|shares|funds|trading account)\b")),
    ("business accounts", re.compile(r"\b(business|company|companies|limited company|sole trader)\b")),
    ("cheque books", re.compile(r"\bcheque ?books?\b")),
    ("safe deposit boxes", re.compile(r"\bsafe(ty)? deposit\b")),
)


def product_named(text: str) -> str | None:
    """The product the bank does not offer that ``text`` asks about, or None when it names none we know."""
    lower = text.lower()
    for name, pattern in NOT_OFFERED:
        if pattern.search(lower):
            return name
    return None


def product_answer(text: str) -> str:
    """The polite no and what the bank does offer (pure: the digression handler says it too)."""
    product = product_named(text)
    if product:
        opening = f"Sorry, Harbour Bank doesn't offer {product}."
    else:
        opening = "I don't think that's something Harbour Bank offers, sorry."
    return (
        f"{opening} What we do offer is {OFFERED}. I'm happy to help with any of those, "
        "or to put you through to a person if you'd like to talk it over."
    )


class ActionProductNotOffered(Action):
    """Answers a question about a product the bank does not offer (no fallback, no queue)."""

    def name(self) -> str:
        return "action_product_not_offered"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = tracker.latest_message.get("text")
        dispatcher.utter_message(text=product_answer(text if isinstance(text, str) else ""))
        return []
