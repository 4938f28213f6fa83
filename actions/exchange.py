"""Exchange calculator: how much, from which currency, into which? Then a quote with its fee.

``exchange_form`` fills ``exchange_amount`` (decimal string), ``exchange_from`` and ``exchange_to``
(ISO codes the bank exchanges, see data/exchange/rates.csv). One message may answer several
questions ("how many yen for 100 dollars?"); ``currency_pair`` works out which currency is which.
``action_exchange_quote`` prices it with ``actions.rates`` in Decimal arithmetic.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.amounts import canonical_amount, find_amounts, parse_money, to_decimal
from actions.currencies import currency_name, find_currencies, normalise_currency
from actions.dates import uk_now
from actions.flow import (
    FlowFormValidation,
    close_flow_without_answer,
    gave_up,
    latest_text,
    offer_human,
    reset_events,
)
from actions.rates import RateTable, default_rates, format_amount, format_percent

FORM = "exchange_form"
SOURCE, TARGET = "exchange_from", "exchange_to"
TREASURY_GBP = Decimal(1000000)  # above this a person quotes

_TARGET_CUE = re.compile(r"\b(to|into|in|for some|how many|how much|get|receive|buy|buying|want)\s+$")
_SOURCE_CUE = re.compile(
    r"\b(from|sell|selling|change|changing|convert|converting|exchange|exchanging|my)\s+$"
)


def currency_pair(text: str, *, prefer: str = TARGET) -> dict[str, str]:
    """Which currency the customer gives (SOURCE) and which they want (TARGET), as far as the text says.

    Cue words decide first ("from euros", "into yen", "how many yen"); a currency written next to
    an amount is the one given ("100 dollars"); one leftover currency goes to ``prefer``.
    """
    lower = text.lower()
    amounts = find_amounts(text)
    pair: dict[str, str] = {}
    leftovers: list[str] = []
    for mention in find_currencies(text):
        before = lower[max(0, mention.start - 20) : mention.start]
        next_to_amount = any(
            0 <= mention.start - a.end <= 3 or 0 <= a.start - mention.end <= 3 for a in amounts
        )
        if _TARGET_CUE.search(before) and TARGET not in pair:
            pair[TARGET] = mention.code
        elif (_SOURCE_CUE.search(before) or next_to_amount) and SOURCE not in pair:
            pair[SOURCE] = mention.code
        else:
            leftovers.append(mention.code)
    for code in leftovers:
        if code in pair.values():
            continue
        if len(leftovers) == 1 and prefer not in pair:
            pair[prefer] = code
        elif SOURCE not in pair:
            pair[SOURCE] = code
        elif TARGET not in pair:
            pair[TARGET] = code
    return pair


class ValidateExchangeForm(FlowFormValidation):
    def __init__(self, rates: RateTable | None = None) -> None:
        self._rates = rates

    def name(self) -> str:
        return "validate_exchange_form"

    def _table(self) -> RateTable:
        return self._rates or default_rates()

    async def extract_exchange_amount(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if self.is_requested(tracker, "exchange_amount") or not self.should_extract(
            tracker, "exchange_amount"
        ):
            return {}
        money = parse_money(latest_text(tracker), require_currency=True)
        return {"exchange_amount": canonical_amount(money.amount)} if money else {}

    def validate_exchange_amount(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        money, result = self.validate_amount("exchange_amount", value, tracker, dispatcher)
        if money is not None and self.is_requested(tracker, "exchange_amount"):
            # "500 euros into dollars" answers the next questions too.
            result.update(self._pair_result(latest_text(tracker), tracker, dispatcher, prefer=SOURCE))
        return result

    async def extract_exchange_from(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._extract_currency(SOURCE, tracker)

    async def extract_exchange_to(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._extract_currency(TARGET, tracker)

    def _extract_currency(self, slot: str, tracker: Tracker) -> dict[str, Any]:
        if self.is_requested(tracker, slot) or not self.should_extract(tracker, slot):
            return {}
        code = currency_pair(latest_text(tracker)).get(slot)
        return {slot: code} if code else {}

    def validate_exchange_from(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._validate_currency(SOURCE, value, tracker, dispatcher)

    def validate_exchange_to(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._validate_currency(TARGET, value, tracker, dispatcher)

    def _validate_currency(
        self, slot: str, value: Any, tracker: Tracker, dispatcher: CollectingDispatcher
    ) -> dict[str, Any]:
        text = value if isinstance(value, str) else ""
        if self.is_requested(tracker, slot):
            # A typed answer may name both currencies: "from euros to pounds".
            result = self._pair_result(text, tracker, dispatcher, prefer=slot, overwrite=slot)
            if slot not in result:
                result.update(self.reject(slot, tracker, dispatcher, "utter_currency_not_recognised"))
            return result
        return self._check(slot, normalise_currency(text), tracker, dispatcher)

    def _pair_result(
        self,
        text: str,
        tracker: Tracker,
        dispatcher: CollectingDispatcher,
        *,
        prefer: str,
        overwrite: str | None = None,
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        pair = currency_pair(text, prefer=prefer)
        for slot in (SOURCE, TARGET):
            if slot in pair and (slot == overwrite or tracker.get_slot(slot) is None):
                result.update(self._check(slot, pair[slot], tracker, dispatcher, pending=result))
        return result

    def _check(
        self,
        slot: str,
        code: str | None,
        tracker: Tracker,
        dispatcher: CollectingDispatcher,
        pending: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        if code is None:
            return self.reject(slot, tracker, dispatcher, "utter_currency_not_recognised")
        if self._table().get(code) is None:
            return self.reject(
                slot, tracker, dispatcher, "utter_currency_not_exchanged", currency_name=currency_name(code)
            )
        other = TARGET if slot == SOURCE else SOURCE
        other_code = (pending or {}).get(other) or tracker.get_slot(other)
        if other_code == code:
            return self.reject(slot, tracker, dispatcher, "utter_exchange_same_currency")
        return {slot: code}


class ActionExchangeQuote(Action):
    """Closes the exchange flow with the quote, the fee, and the other day-type's fee."""

    def __init__(self, clock: Callable[[], datetime] = uk_now, rates: RateTable | None = None) -> None:
        self._clock = clock
        self._rates = rates

    def name(self) -> str:
        return "action_exchange_quote"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        table = self._rates or default_rates()
        amount = to_decimal(tracker.get_slot("exchange_amount"))
        source, target = tracker.get_slot(SOURCE), tracker.get_slot(TARGET)
        if (
            gave_up(tracker)
            or amount is None
            or amount <= 0
            or table.get(source) is None
            or table.get(target) is None
            or source == target
        ):
            return close_flow_without_answer(dispatcher, tracker, FORM)
        if table.to_gbp(amount, source) > TREASURY_GBP:
            offer_human(
                dispatcher,
                "For amounts over £1,000,000 our treasury team gives you a personal quote. "
                "A person from our team can put you in touch.",
            )
            return reset_events(tracker, FORM)
        now = self._clock()
        quote = table.quote(amount, source, target, now)
        if quote.amount <= 0 or quote.converted <= 0:
            smallest = format_amount(quote.source.minor_unit, quote.source)
            dispatcher.utter_message(
                text=f"That's less than the smallest amount we can exchange ({smallest} "
                "after the fee). Ask me again with a larger amount."
            )
            return reset_events(tracker, FORM)
        dispatcher.utter_message(text=quote.describe())
        other = format_percent(table.fee_percent(source, target, weekend=not quote.weekend))
        if quote.weekend:
            dispatcher.utter_message(text=f"On weekdays (Monday to Friday, UK time) the fee is {other}.")
        else:
            dispatcher.utter_message(
                text=f"At weekends (Saturday and Sunday, UK time) the fee is {other}, "
                "because currency markets are closed."
            )
        dispatcher.utter_message(response="utter_exchange_next_steps")
        return reset_events(tracker, FORM)
