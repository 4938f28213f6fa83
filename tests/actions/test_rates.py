"""The rates table and quote arithmetic: Decimal throughout, half-up rounding, a strict CSV reader."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from actions.rates import RATES_CSV, RateTable, RateTableError, UnsupportedCurrency, default_rates

HEADER = "currency,name,minor_units,per_gbp,fee_weekday_percent,fee_weekend_percent\n"
GBP = "GBP,British pound,2,1,0.5,1.0\n"


def table_from(tmp_path, body: str) -> RateTable:
    path = tmp_path / "rates.csv"
    path.write_text(body, encoding="utf-8")
    return RateTable.from_csv(path)


def test_the_shipped_table_loads_with_gbp_and_the_majors():
    table = default_rates()
    assert {"GBP", "EUR", "USD", "JPY"} <= set(table.codes())
    assert RATES_CSV.with_name("README.md").read_text().count("illustrative") >= 1


def test_quote_takes_the_fee_first_and_rounds_half_up():
    table = default_rates()
    quote = table.quote(Decimal(1000), "EUR", "GBP", datetime(2025, 3, 12))
    assert (quote.fee, quote.converted) == (Decimal("5.00"), Decimal("850.43"))
    assert quote.converted == ((Decimal(1000) - Decimal(5)) / Decimal("1.17")).quantize(Decimal("0.01"))


def test_the_higher_fee_of_the_two_currencies_applies():
    table = default_rates()
    assert table.fee_percent("EUR", "INR", weekend=False) == Decimal("1.0")
    assert table.fee_percent("GBP", "EUR", weekend=True) == Decimal("1.0")


def test_no_float_ever_touches_the_money():
    quote = default_rates().quote(Decimal("0.10"), "GBP", "EUR", datetime(2025, 3, 12))
    assert all(isinstance(v, Decimal) for v in (quote.amount, quote.fee, quote.converted, quote.rate))


def test_a_currency_not_in_the_table_is_refused_by_name():
    with pytest.raises(UnsupportedCurrency) as error:
        default_rates().quote(Decimal(1), "GBP", "UAH", datetime(2025, 3, 12))
    assert error.value.code == "UAH"


@pytest.mark.parametrize(
    "body, problem",
    [
        ("currency,rate\nGBP,1\n", "expected columns"),
        (HEADER + "EUR,Euro,2,1.17,0.5,1.0\n", "needs a GBP row"),
        (HEADER + GBP + "EURO,Euro,2,1.17,0.5,1.0\n", "line 3: currency must be"),
        (HEADER + GBP + "EUR,Euro,2,abc,0.5,1.0\n", "line 3: numbers expected"),
        (HEADER + GBP + "EUR,Euro,2,-1.17,0.5,1.0\n", "line 3: per_gbp must be positive"),
        (HEADER + GBP + "EUR,Euro,2,1.17,150,1.0\n", "line 3: fees must be"),
        (HEADER + GBP + "EUR,Euro,9,1.17,0.5,1.0\n", "line 3: minor_units"),
        (HEADER + GBP + GBP, "line 3: duplicate currency GBP"),
    ],
)
def test_a_malformed_table_fails_loudly_with_the_line(tmp_path, body, problem):
    with pytest.raises(RateTableError, match=problem):
        table_from(tmp_path, body)
