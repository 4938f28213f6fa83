"""Exchange: today's rate, what a card payment abroad costs, or a quote for an amount, with its fee.

``exchange_form`` first reads ``exchange_mode`` from the message that started it (``exchange_mode``):
a rate question ("how much is 1 pound in dollars today?") or a card-spending one ("what rate do you give
if I spend euros in Spain with my card?") needs no amount, so the form asks only for what the message did
not say and the answer gives the rate from the table; an amount ("1000 EUR to GBP") gets a quote. The
form fills ``exchange_amount`` (decimal string), ``exchange_from`` and ``exchange_to`` (ISO codes the bank
exchanges, see data/exchange/rates.csv). One message may answer several questions ("how many yen for 100
dollars?"); ``currency_pair`` works out which currency is which. ``action_exchange_quote`` prices it
with ``actions.rates`` in Decimal arithmetic.
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
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from actions.amounts import canonical_amount, find_amounts, parse_money, to_decimal
from actions.currencies import country_currency, currency_name, find_currencies, normalise_currency
from actions.dates import uk_now
from actions.flow import (
    FlowFormValidation,
    close_flow_without_answer,
    gave_up,
    latest_text,
    offer_human,
    reset_events,
)
from actions.next_steps import offer_next_step
from actions.rates import RateTable, default_rates, format_amount, format_percent, format_rate

FORM = "exchange_form"
SOURCE, TARGET = "exchange_from", "exchange_to"
MODE_SLOT = "exchange_mode"
RATE, CARD_ABROAD, QUOTE = "rate", "card_abroad", "quote"
HOME = "GBP"  # the account's currency: a card payment abroad is paid from pounds
EXAMPLE_CARD_PAYMENT = Decimal(100)

_SPENDING = re.compile(
    r"\b(spend|spending|spent|pay|paying|paid|payments?|purchases?|shopping|shop|abroad|holiday"
    r"|with my card|on my card|use my card|using my card|card payments?)\b"
)
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


def exchange_mode(text: str, asked: object = None) -> str:
    """RATE, CARD_ABROAD or QUOTE for the message that starts the flow (``asked``: a button's own choice).

    An amount other than 1 asks for a quote ("1 pound in dollars" is a rate question); spending words
    ("spend", "pay", "abroad") ask what a card payment costs; anything else asks for the rate.
    """
    if asked in (RATE, CARD_ABROAD, QUOTE):
        return str(asked)
    if any(a.value != 1 for a in find_amounts(text)) and parse_money(text, require_currency=True):
        return QUOTE
    return CARD_ABROAD if _SPENDING.search(text.lower()) else RATE


def rate_pair(text: str, mode: str) -> dict[str, str]:
    """The two currencies of a rate question, with the pound as the side the customer left unsaid.

    A card payment abroad is always from pounds into the currency spent (named, or the country's:
    "in Spain" is euros); a rate for one currency is quoted from pounds, as the table is.
    """
    pair = currency_pair(text)
    if mode == CARD_ABROAD:
        spent = [code for code in (pair.get(TARGET), pair.get(SOURCE)) if code and code != HOME]
        code = spent[0] if spent else country_currency(text)
        return {SOURCE: HOME, TARGET: code} if code and code != HOME else {SOURCE: HOME}
    if len(pair) == 1:
        code = next(iter(pair.values()))
        return {SOURCE: HOME, TARGET: code} if code != HOME else {SOURCE: HOME}
    return pair


def entity_value(tracker: Tracker, entity: str) -> object:
    for item in tracker.latest_message.get("entities") or []:
        if isinstance(item, dict) and item.get("entity") == entity:
            return item.get("value")
    return None


def rate_messages(table: RateTable, source: str, target: str, mode: str) -> list[str]:
    """The answer to a rate question (pure): today's rate both ways and the fees, from the table."""
    src, tgt = table.get(source), table.get(target)
    if src is None or tgt is None:
        return []
    rate = tgt.per_gbp / src.per_gbp
    weekday = format_percent(table.fee_percent(source, target, weekend=False))
    weekend = format_percent(table.fee_percent(source, target, weekend=True))
    if mode == CARD_ABROAD:
        cost = format_amount(EXAMPLE_CARD_PAYMENT / rate, src)
        example = format_amount(EXAMPLE_CARD_PAYMENT, tgt)
        return [
            (
                f"When you pay in {currency_name(target)} with your Harbour card, we convert the payment at "
                f"our rate on the day the card network processes it. Today that's 1 {source} = "
                f"{format_rate(rate)} {target}, so a {example} payment costs you about {cost}."
            ),
            (
                "Card payments in another currency are free from us up to your plan's monthly allowance (Help "
                f"→ Fees); beyond it the exchange fee applies: {weekday} on weekdays, {weekend} at weekends. If "
                f"a terminal or cash machine offers to charge you in pounds, choose {currency_name(target)}: "
                "its own rate is usually worse."
            ),
        ]
    return [
        f"Today's rate is 1 {source} = {format_rate(rate)} {target} (1 {target} = {format_rate(1 / rate)} {source}).",
        (
            f"Exchanging in the app costs {weekday} on weekdays and {weekend} at weekends (UK time), taken "
            "from the amount you exchange."
        ),
    ]


class ValidateExchangeForm(FlowFormValidation):
    def __init__(self, rates: RateTable | None = None) -> None:
        self._rates = rates

    def name(self) -> str:
        return "validate_exchange_form"

    def _table(self) -> RateTable:
        return self._rates or default_rates()

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        if tracker.get_slot(MODE_SLOT) in (RATE, CARD_ABROAD):
            return [slot for slot in domain_slots if slot != "exchange_amount"]
        return domain_slots

    async def extract_exchange_mode(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot(MODE_SLOT) is not None:
            return {}
        if tracker.get_slot(REQUESTED_SLOT):  # a flow started before the modes existed: it was a quote
            return {MODE_SLOT: QUOTE}
        return {MODE_SLOT: exchange_mode(latest_text(tracker), entity_value(tracker, MODE_SLOT))}

    def validate_exchange_mode(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {MODE_SLOT: value if value in (RATE, CARD_ABROAD, QUOTE) else QUOTE}

    async def extract_exchange_amount(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if self.is_requested(tracker, "exchange_amount") or not self.should_extract(
            tracker, "exchange_amount"
        ):
            return {}
        if tracker.get_slot(MODE_SLOT) in (RATE, CARD_ABROAD):
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
        mode = tracker.get_slot(MODE_SLOT)
        text = latest_text(tracker)
        pair = rate_pair(text, mode) if mode in (RATE, CARD_ABROAD) else currency_pair(text)
        code = pair.get(slot)
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
            quote: dict[str, Any] = {}
            if tracker.get_slot(MODE_SLOT) == RATE and exchange_mode(text) == QUOTE:
                # "1000 EUR to GBP" in answer to "which currency?": they want it priced after all, and
                # this answer's currencies replace the pound we assumed.
                money, amount = self.validate_amount("exchange_amount", text, tracker, CollectingDispatcher())
                if money is not None:
                    quote = {**amount, MODE_SLOT: QUOTE}
            # A typed answer may name both currencies: "from euros to pounds".
            overwrite = (SOURCE, TARGET) if quote else (slot,)
            result = self._pair_result(text, tracker, dispatcher, prefer=slot, overwrite=overwrite)
            if slot not in result:
                result.update(self.reject(slot, tracker, dispatcher, "utter_currency_not_recognised"))
            else:
                result.update(quote)
            return result
        return self._check(slot, normalise_currency(text), tracker, dispatcher)

    def _pair_result(
        self,
        text: str,
        tracker: Tracker,
        dispatcher: CollectingDispatcher,
        *,
        prefer: str,
        overwrite: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        pair = currency_pair(text, prefer=prefer)
        for slot in (SOURCE, TARGET):
            if slot in pair and (slot in overwrite or tracker.get_slot(slot) is None):
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
        mode = tracker.get_slot(MODE_SLOT)
        if mode in (RATE, CARD_ABROAD) and amount is None and not gave_up(tracker):
            return self._rate_answer(dispatcher, tracker, table, mode)
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

    def _rate_answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, table: RateTable, mode: str
    ) -> list[EventType]:
        source, target = tracker.get_slot(SOURCE), tracker.get_slot(TARGET)
        messages = rate_messages(table, source, target, mode) if source != target else []
        if not messages:
            return close_flow_without_answer(dispatcher, tracker, FORM)
        for text in messages:
            dispatcher.utter_message(text=text)
        if mode == RATE:
            dispatcher.utter_message(response="utter_exchange_next_steps")
        offer_next_step(dispatcher, mode)
        return reset_events(tracker, FORM)
