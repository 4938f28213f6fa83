"""Harbour Bank's exchange rates and fees, and the quote arithmetic, all in ``Decimal``.

The table is ``data/exchange/rates.csv`` (illustrative, fixed; see its README). Money is never a
float here: amounts are quantised to each currency's minor unit with ROUND_HALF_UP, the rule a
customer can check with pencil and paper.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

RATES_CSV = Path(__file__).resolve().parent.parent / "data" / "exchange" / "rates.csv"
_COLUMNS = ("currency", "name", "minor_units", "per_gbp", "fee_weekday_percent", "fee_weekend_percent")


class RateTableError(ValueError):
    """The rates file is malformed; says which line and column, never guesses a value."""


class UnsupportedCurrency(ValueError):
    """A quote asked for a currency the bank does not exchange."""

    def __init__(self, code: str) -> None:
        super().__init__(f"currency not exchanged: {code}")
        self.code = code


@dataclass(frozen=True)
class Rate:
    code: str
    name: str
    minor_units: int
    per_gbp: Decimal
    fee_weekday_percent: Decimal
    fee_weekend_percent: Decimal

    @property
    def minor_unit(self) -> Decimal:
        return Decimal(1).scaleb(-self.minor_units)


@dataclass(frozen=True)
class Quote:
    """What the customer gives, what they get, and the fee in between."""

    amount: Decimal  # in source currency, quantised
    source: Rate
    target: Rate
    fee: Decimal  # in source currency, taken from `amount` before converting
    fee_percent: Decimal
    weekend: bool
    converted: Decimal  # in target currency, quantised
    rate: Decimal  # 1 source = `rate` target

    def describe(self) -> str:
        """'1,000.00 EUR = 850.43 GBP, fee 5.00 EUR (0.5% weekday fee). Rate: 1 EUR = 0.854701 GBP.'"""
        day = "weekend" if self.weekend else "weekday"
        return (
            f"{format_amount(self.amount, self.source)} = {format_amount(self.converted, self.target)}, "
            f"fee {format_amount(self.fee, self.source)} ({format_percent(self.fee_percent)} {day} fee, "
            f"taken from the amount you exchange). "
            f"Rate: 1 {self.source.code} = {format_rate(self.rate)} {self.target.code}."
        )


def format_amount(amount: Decimal, rate: Rate) -> str:
    """'1,000.00 EUR', '152,400 JPY': grouped thousands, the currency's own decimal places."""
    quantised = amount.quantize(rate.minor_unit, rounding=ROUND_HALF_UP)
    return f"{quantised:,.{rate.minor_units}f} {rate.code}"


def format_percent(percent: Decimal) -> str:
    return f"{percent.normalize():f}%"


def format_rate(rate: Decimal) -> str:
    """A rate to 6 significant digits, never in exponent form: '0.854701', '150', '162.821'."""
    step = Decimal(1).scaleb(rate.adjusted() - 5)
    return format(rate.quantize(step, rounding=ROUND_HALF_UP).normalize(), "f")


class RateTable:
    """The currencies the bank exchanges, by ISO code."""

    def __init__(self, rates: dict[str, Rate]) -> None:
        if "GBP" not in rates:
            raise RateTableError("the rates table needs a GBP row (rates are per GBP)")
        self._rates = dict(rates)

    @classmethod
    def from_csv(cls, path: Path = RATES_CSV) -> RateTable:
        rates: dict[str, Rate] = {}
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if tuple(reader.fieldnames or ()) != _COLUMNS:
                raise RateTableError(f"{path.name}: expected columns {', '.join(_COLUMNS)}")
            for line, row in enumerate(reader, start=2):
                rate = _parse_row(row, f"{path.name} line {line}")
                if rate.code in rates:
                    raise RateTableError(f"{path.name} line {line}: duplicate currency {rate.code}")
                rates[rate.code] = rate
        return cls(rates)

    def get(self, code: str | None) -> Rate | None:
        return self._rates.get(code) if code else None

    def codes(self) -> list[str]:
        return sorted(self._rates)

    def to_gbp(self, amount: Decimal, code: str) -> Decimal:
        rate = self._require(code)
        return amount / rate.per_gbp

    def quote(self, amount: Decimal, source: str, target: str, when: datetime) -> Quote:
        """Exchange ``amount`` of ``source`` into ``target`` at time ``when`` (UK time decides the fee).

        The fee is the higher of the two currencies' fees for that day, taken from the amount before
        converting, so the customer gets ``(amount - fee) * rate``.
        """
        src, tgt = self._require(source), self._require(target)
        weekend = when.weekday() >= 5
        fee_percent = self.fee_percent(source, target, weekend=weekend)
        quantised = amount.quantize(src.minor_unit, rounding=ROUND_HALF_UP)
        fee = (quantised * fee_percent / 100).quantize(src.minor_unit, rounding=ROUND_HALF_UP)
        rate = tgt.per_gbp / src.per_gbp
        converted = ((quantised - fee) * rate).quantize(tgt.minor_unit, rounding=ROUND_HALF_UP)
        return Quote(quantised, src, tgt, fee, fee_percent, weekend, converted, rate)

    def fee_percent(self, source: str, target: str, *, weekend: bool) -> Decimal:
        """The higher of the two currencies' fees for a weekday or a weekend exchange."""
        src, tgt = self._require(source), self._require(target)
        if weekend:
            return max(src.fee_weekend_percent, tgt.fee_weekend_percent)
        return max(src.fee_weekday_percent, tgt.fee_weekday_percent)

    def _require(self, code: str) -> Rate:
        rate = self._rates.get(code)
        if rate is None:
            raise UnsupportedCurrency(code)
        return rate


def _parse_row(row: dict[str, str], where: str) -> Rate:
    code = (row.get("currency") or "").strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise RateTableError(f"{where}: currency must be a 3-letter ISO code")
    try:
        minor_units = int(row["minor_units"])
        per_gbp = Decimal(row["per_gbp"])
        weekday = Decimal(row["fee_weekday_percent"])
        weekend = Decimal(row["fee_weekend_percent"])
    except (KeyError, ValueError, InvalidOperation) as exc:
        raise RateTableError(f"{where}: numbers expected in minor_units, per_gbp and fee columns") from exc
    if not 0 <= minor_units <= 4:
        raise RateTableError(f"{where}: minor_units must be between 0 and 4")
    if not per_gbp.is_finite() or per_gbp <= 0:
        raise RateTableError(f"{where}: per_gbp must be positive")
    for fee in (weekday, weekend):
        if not fee.is_finite() or not 0 <= fee < 100:
            raise RateTableError(f"{where}: fees must be percentages from 0 up to 100")
    return Rate(code, (row.get("name") or code).strip(), minor_units, per_gbp, weekday, weekend)


@lru_cache(maxsize=1)
def default_rates() -> RateTable:
    """The bank's table, read once per action-server process."""
    return RateTable.from_csv(RATES_CSV)
