"""Proactive events: signed like the context, checked field by field, turned into a Rasa intent payload."""
from __future__ import annotations

import pytest

from handoff.core import errors
from handoff.core.proactive import sign_event, verify_event

SECRET = "s3cret"


def test_a_declined_payment_becomes_the_intent_payload_and_plain_words() -> None:
    event = verify_event(sign_event({"type": "card_declined", "merchant": "Coffee Corner", "amount": "12.50",
                                     "currency": "GBP", "ignored": "x"}, SECRET), SECRET)
    assert event.payload() == '/event_card_declined{"merchant": "Coffee Corner", "amount": "12.50", "currency": "GBP"}'
    assert event.acceptance_text() == "Help me with my declined card payment at Coffee Corner (GBP 12.50)."


def test_each_type_has_its_intent() -> None:
    for kind in ("top_up_failed", "card_delivery_late"):
        assert verify_event(sign_event({"type": kind}, SECRET), SECRET).payload() == f"/event_{kind}{{}}"


def test_expired_forged_and_malformed_events_are_refused() -> None:
    with pytest.raises(errors.Unauthorized):
        verify_event(sign_event({"type": "card_declined"}, SECRET, ttl_s=-1), SECRET)
    with pytest.raises(errors.Unauthorized):
        verify_event(sign_event({"type": "card_declined"}, "other"), SECRET)
    for bad in ({"type": "loan_offer"}, {"type": "card_declined", "amount": "12,50"},
                {"type": "card_declined", "merchant": 'A"}{'}):
        with pytest.raises(errors.InvalidFrame):
            verify_event(sign_event(bad, SECRET), SECRET)
