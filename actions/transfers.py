"""Transfer not received: when was it sent, how much, in which currency? Then where it should be.

``transfer_form`` fills ``transfer_date`` (ISO date), ``transfer_amount`` (decimal string) and
``transfer_currency`` (ISO code). ``action_transfer_status`` counts working days since sending
against the payment scheme's usual time and either says when to expect the money or starts a trace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.amounts import parse_money, to_decimal
from actions.currencies import CURRENCY_NAMES, find_currencies, normalise_currency
from actions.dates import (
    add_working_days,
    format_day,
    next_working_day,
    parse_sent_date,
    uk_now,
    working_days_between,
)
from actions.flow import (
    FlowFormValidation,
    close_flow_without_answer,
    gave_up,
    latest_text,
    offer_human,
    reset_events,
)
from actions.rates import RateTable, default_rates, format_amount

FORM = "transfer_form"
LARGE_TRANSFER_GBP = Decimal(10000)  # large transfers may be held for a security check
OLDEST_DAYS = 3 * 365


@dataclass(frozen=True)
class Scheme:
    name: str
    working_days: int
    usual: str  # a sentence about the scheme in general: "SEPA transfers arrive within 1 working day."


def scheme_for(currency: str) -> Scheme:
    """The payment scheme a transfer in ``currency`` travels by, and how long it normally takes."""
    if currency == "GBP":
        return Scheme(
            "Faster Payment",
            1,
            "Faster Payments usually arrive within 2 hours, and always within 1 working day.",
        )
    if currency == "EUR":
        return Scheme("SEPA transfer", 1, "SEPA transfers arrive within 1 working day.")
    return Scheme("international (SWIFT) transfer", 5, "International transfers take up to 5 working days.")


@dataclass(frozen=True)
class TransferStatus:
    scheme: Scheme
    sent: date
    due: date
    elapsed: int  # working days since processing started
    overdue: bool


def transfer_status(sent: date, today: date, currency: str) -> TransferStatus:
    """Where a transfer sent on ``sent`` should be by ``today``; weekends and bank holidays don't count."""
    scheme = scheme_for(currency)
    start = next_working_day(sent)
    due = add_working_days(start, scheme.working_days)
    return TransferStatus(scheme, sent, due, working_days_between(start, today), today > due)


class ValidateTransferForm(FlowFormValidation):
    def __init__(self, clock: Callable[[], datetime] = uk_now) -> None:
        self._clock = clock

    def name(self) -> str:
        return "validate_transfer_form"

    async def extract_transfer_date(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if self.is_requested(tracker, "transfer_date") or not self.should_extract(tracker, "transfer_date"):
            return {}
        sent = parse_sent_date(latest_text(tracker), self._clock().date())
        return {"transfer_date": sent.isoformat()} if sent else {}

    def validate_transfer_date(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        today = self._clock().date()
        sent = parse_sent_date(value, today)
        if sent is None and self.is_requested(tracker, "transfer_date"):
            sent = parse_sent_date(latest_text(tracker), today)  # the DATE entity may be only part of it
        if sent is None:
            return self.reject("transfer_date", tracker, dispatcher, "utter_transfer_date_unclear")
        if sent > today:
            return self.reject("transfer_date", tracker, dispatcher, "utter_transfer_date_in_future")
        if (today - sent).days > OLDEST_DAYS:
            return self.reject("transfer_date", tracker, dispatcher, "utter_transfer_date_unclear")
        return {"transfer_date": sent.isoformat()}

    async def extract_transfer_amount(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if self.is_requested(tracker, "transfer_amount") or not self.should_extract(
            tracker, "transfer_amount"
        ):
            return {}
        money = parse_money(latest_text(tracker), require_currency=True)
        return {"transfer_amount": latest_text(tracker)} if money else {}

    def validate_transfer_amount(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        money, result = self.validate_amount("transfer_amount", value, tracker, dispatcher)
        if money is not None and money.currency and tracker.get_slot("transfer_currency") is None:
            result.update(self._currency_result(money.currency, tracker, dispatcher))
        return result

    async def extract_transfer_currency(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if self.is_requested(tracker, "transfer_currency") or not self.should_extract(
            tracker, "transfer_currency"
        ):
            return {}
        mentions = {m.code for m in find_currencies(latest_text(tracker))}
        return {"transfer_currency": mentions.pop()} if len(mentions) == 1 else {}

    def validate_transfer_currency(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._currency_result(normalise_currency(value), tracker, dispatcher)

    def _currency_result(
        self, code: str | None, tracker: Tracker, dispatcher: CollectingDispatcher
    ) -> dict[str, Any]:
        if code is None:
            return self.reject("transfer_currency", tracker, dispatcher, "utter_currency_not_recognised")
        if code == "CRYPTO":
            return self.reject("transfer_currency", tracker, dispatcher, "utter_transfer_no_crypto")
        return {"transfer_currency": code}


class ActionTransferStatus(Action):
    """Closes the transfer flow: expected arrival, or a trace with a person when it is overdue."""

    def __init__(self, clock: Callable[[], datetime] = uk_now, rates: RateTable | None = None) -> None:
        self._clock = clock
        self._rates = rates

    def name(self) -> str:
        return "action_transfer_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        amount = to_decimal(tracker.get_slot("transfer_amount"))
        currency = tracker.get_slot("transfer_currency")
        try:
            sent = date.fromisoformat(str(tracker.get_slot("transfer_date")))
        except ValueError:
            sent = None
        if gave_up(tracker) or amount is None or sent is None or currency not in CURRENCY_NAMES:
            return close_flow_without_answer(dispatcher, tracker, FORM)
        today = self._clock().date()
        status = transfer_status(sent, today, currency)
        what = f"Your {self._format(amount, currency)} {status.scheme.name} sent on {format_day(sent)}"
        usual = status.scheme.usual
        if not status.overdue:
            dispatcher.utter_message(
                text=f"{what} is still within the normal time. {usual} It should arrive by the end of "
                f"{format_day(status.due)}."
            )
            dispatcher.utter_message(
                text="Until then, check the recipient's name and account details in the transfer in your "
                "app, and ask the recipient to check with their bank: some banks take a little longer "
                "to show incoming money."
            )
            closing = (
                "If it still hasn't arrived after that, come back and we'll trace it with the recipient's "
                "bank. If anything in the details looks wrong, a person from our team can help now."
            )
        else:
            days = "working day" if status.elapsed == 1 else "working days"
            dispatcher.utter_message(
                text=f"{what} should have arrived by {format_day(status.due)}. {usual} It's been "
                f"{status.elapsed} {days}, so we'll trace it with the recipient's bank."
            )
            closing = (
                "A person from our team can start the trace now: have the recipient's details and the "
                "payment reference ready. Traces usually take 2–5 working days, and if the money "
                "comes back it's returned to your account in full."
            )
        if self._is_large(amount, currency):
            dispatcher.utter_message(
                text="Large transfers are sometimes held for a security check. If yours is, you'll see a "
                "notification in the app asking you to confirm it."
            )
        offer_human(dispatcher, closing)
        return reset_events(tracker, FORM)

    def _table(self) -> RateTable:
        return self._rates or default_rates()

    def _format(self, amount: Decimal, currency: str) -> str:
        rate = self._table().get(currency)
        return format_amount(amount, rate) if rate else f"{amount:,.2f} {currency}"

    def _is_large(self, amount: Decimal, currency: str) -> bool:
        if self._table().get(currency) is None:
            return amount >= LARGE_TRANSFER_GBP
        return self._table().to_gbp(amount, currency) >= LARGE_TRANSFER_GBP
