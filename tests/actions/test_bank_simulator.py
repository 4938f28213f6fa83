"""The simulated card backend behaves like the real one would: idempotent, per customer."""

from __future__ import annotations

import pytest

from actions.bank_simulator import SimulatedCardService


def test_freezing_twice_reports_already_frozen_and_stays_frozen():
    service = SimulatedCardService()
    assert service.freeze("c-1", "1234").already_frozen is False
    assert service.freeze("c-1", "1234").already_frozen is True
    assert service.is_frozen("c-1", "1234")


def test_a_freeze_is_scoped_to_one_customer():
    service = SimulatedCardService()
    service.freeze("c-1", "1234")
    assert not service.is_frozen("c-2", "1234")


@pytest.mark.parametrize("customer_id, last_four", [("", "1234"), ("c-1", "12345"), ("c-1", "12a4")])
def test_freeze_refuses_missing_customer_or_malformed_digits(customer_id, last_four):
    with pytest.raises(ValueError):
        SimulatedCardService().freeze(customer_id, last_four)
