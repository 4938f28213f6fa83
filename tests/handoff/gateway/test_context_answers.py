"""The signed context's balances and card states reach the assistant through a real gateway: a signed-in
customer's "what's my balance" is answered from the context the bank's site signed (docs/flows.md)."""
from __future__ import annotations

import pytest

from handoff.core.context import sign_context
from tests.handoff.clients import BOT_WAIT, Customer

pytestmark = pytest.mark.model

GRACE = {"name": "Grace Hopper", "customer_id": "C-1906",
         "cards": [{"last_four": "4821", "type": "debit", "label": "Everyday debit", "state": "active"}],
         "balances": [{"currency": "GBP", "amount": "1842.17"}]}


async def test_the_balance_is_answered_from_the_signed_context(live_gateway: str) -> None:
    c = await Customer.connect(live_gateway, context=sign_context(GRACE, live_gateway.context_secret))  # type: ignore[attr-defined]
    asked = await c.say("what's my balance")
    answer = await c.expect("message", sender="bot", after_seq=asked["seq"], timeout=BOT_WAIT)
    assert "£1,842.17 in GBP" in answer["text"] and "When you opened this chat" in answer["text"]
    await c.close()
