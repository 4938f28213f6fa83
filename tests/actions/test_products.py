"""Products the bank does not offer: named politely, with what it does offer."""

from __future__ import annotations

import pytest

from actions.products import product_answer, product_named


@pytest.mark.parametrize(
    "text, product",
    [
        ("do you do mortgages?", "mortgages"),
        ("can I remortgage with you", "mortgages"),
        ("I need a loan to buy a car", "car finance"),
        ("can I borrow 5k", "loans"),
        ("do you have an ISA", "savings accounts or ISAs"),
        ("travel insurance?", "insurance"),
        ("can I open an account for my company", "business accounts"),
        ("do you do cheque books", "cheque books"),
        ("do you sell gold bars", None),
    ],
)
def test_the_product_asked_about_is_named(text, product):
    assert product_named(text) == product


def test_the_answer_says_no_politely_and_what_the_bank_offers():
    answer = product_answer("do you do mortgages?")
    assert answer.startswith("Sorry, Harbour Bank doesn't offer mortgages.")
    assert "What we do offer is a current account" in answer


def test_an_unknown_product_is_not_named_back():
    answer = product_answer("do you sell gold bars")
    assert answer.startswith("I don't think that's something Harbour Bank offers") and "gold" not in answer
