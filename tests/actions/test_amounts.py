"""Amounts as customers write them, and the numbers that are not amounts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from actions.amounts import (
    Money,
    canonical_amount,
    contains_full_card_number,
    parse_money,
)


@pytest.mark.parametrize(
    "text, money",
    [
        ("£1,250.50", Money(Decimal("1250.50"), "GBP")),
        ("2.5k euros", Money(Decimal(2500), "EUR")),
        ("USD 40.5", Money(Decimal("40.5"), "USD")),
        ("fifty quid", Money(Decimal(50), "GBP")),
        ("a hundred and fifty dollars", Money(Decimal(150), "USD")),
        ("1 million yen", Money(Decimal(1000000), "JPY")),
        ("about 200", Money(Decimal(200), None)),
        ("-50 EUR", Money(Decimal(-50), "EUR")),
        ("minus 20 pounds", Money(Decimal(-20), "GBP")),
        ("on the 3rd, 200", Money(Decimal(200), None)),
        ("in 2024 I sent 300", Money(Decimal(300), None)),
    ],
)
def test_amounts_as_written(text, money):
    assert parse_money(text) == money


@pytest.mark.parametrize("text", ["3 days ago", "12 March", "at 10:30", "on 12/03", "ending 1234"])
def test_without_a_currency_numbers_in_other_answers_are_not_amounts(text):
    assert parse_money(text, require_currency=True) is None


@pytest.mark.parametrize(
    "text",
    ["", "   ", "loads of money", "1e12", "my card ending in 1234", "last 4 digits are 9876", "****1234"],
)
def test_no_amount(text):
    assert parse_money(text) is None


def test_full_card_numbers_are_spotted_but_four_digits_are_not():
    assert contains_full_card_number("4111 1111 1111 1111")
    assert contains_full_card_number("4111-1111-1111-1111")
    assert not contains_full_card_number("ending 1234")


def test_canonical_amount_is_exact_text():
    assert canonical_amount(Decimal("1E+3")) == "1000"
    assert canonical_amount(Decimal("12.50")) == "12.5"
