"""Currencies as customers name them: codes, symbols, names, slang; words that only look like codes."""

from __future__ import annotations

import pytest

from actions.currencies import currency_name, find_currencies, normalise_currency


@pytest.mark.parametrize(
    "text, code",
    [
        ("euros", "EUR"),
        ("EUR", "EUR"),
        ("€", "EUR"),
        ("Swiss francs", "CHF"),
        ("canadian dollars", "CAD"),
        ("lei", "RON"),
        ("TRY", "TRY"),
        ("sterling", "GBP"),
        ("bitcoin", "CRYPTO"),
        ("try", None),
        ("ron", None),
        ("space credits", None),
        ("", None),
        (None, None),
        (42, None),
        ("euros and dollars", None),
    ],
)
def test_currency_names_codes_and_symbols(text, code):
    assert normalise_currency(text) == code


def test_currencies_are_found_in_order_with_longer_names_first():
    assert [m.code for m in find_currencies("from Canadian dollars to £ or US$")] == ["CAD", "GBP", "USD"]


def test_the_bot_names_a_currency_in_its_own_words():
    assert currency_name("UAH") == "Ukrainian hryvnia"
    assert currency_name("XYZ") == "XYZ"
