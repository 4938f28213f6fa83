"""The signed customer context keeps balances and card states within their limits, and refuses junk."""

from __future__ import annotations

import pytest

from handoff.core import errors
from handoff.core.context import sign_context, verify_context

SECRET = "s" * 32


def roundtrip(customer: dict) -> dict:
    return verify_context(sign_context(customer, SECRET), SECRET)


def test_balances_and_card_states_survive_signing():
    customer = {
        "customer_id": "HB-1",
        "cards": [{"last_four": "4821", "label": "Everyday debit", "state": "frozen"}],
        "balances": [{"currency": "GBP", "amount": "1842.17"}, {"currency": "EUR", "amount": 120}],
    }
    out = roundtrip(customer)
    assert out["cards"] == [{"last_four": "4821", "label": "Everyday debit", "state": "frozen"}]
    assert out["balances"] == [{"currency": "GBP", "amount": "1842.17"}, {"currency": "EUR", "amount": "120"}]


def test_a_context_without_balances_has_none():
    assert "balances" not in roundtrip({"customer_id": "HB-1"})


@pytest.mark.parametrize(
    "balances",
    [
        "1842.17",
        [{"currency": "pounds", "amount": "1"}],
        [{"currency": "GBP", "amount": "lots"}],
        [{"currency": "GBP", "amount": "1e9"}],
        [{"currency": "GBP", "amount": True}],
        [{"currency": "GBP", "amount": "1"}] * 11,
    ],
)
def test_malformed_balances_reject_the_context(balances):
    with pytest.raises(errors.Unauthorized):
        roundtrip({"customer_id": "HB-1", "balances": balances})
