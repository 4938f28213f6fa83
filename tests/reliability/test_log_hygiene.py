"""No card numbers, tokens or passwords in the gateway logs. This test sends all of them through a real
gateway (card numbers in messages, right and wrong passwords, a password typed into the username box,
customer tokens and session cookies in use) and then scans every gateway log this package produced — its
own and those of the fault, load, fuzz and abuse tests that ran before it (pytest runs files in order)."""

from __future__ import annotations

import re
import time
from pathlib import Path

from handoff.reporting.redaction import luhn_valid
from tests.gateway import ACCOUNTS, CONTEXT_SECRET
from tests.handoff.clients import Agent, Customer, login
from tests.reliability.conftest import GATEWAY_LOGS
from tests.reliability.test_abuse import VICTIM, request
from tests.reliability.test_fuzz import FUZZ_ADMIN, FUZZ_AGENT
from tests.reliability.test_load import LOAD_AGENTS

CARDS = ["4111 1111 1111 1111", "5500-0055-5555-5559", "378282246310005", "4012888888881881"]
WRONG_PASSWORD = "Wrong-Horse-Battery-Staple-42"
PASSWORD_AS_USERNAME = "sam-password-123"  # typed into the wrong box: it is a password all the same
DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z])\d(?:[ -]?\d){12,18}(?![0-9A-Za-z])(?![ -]\d)")


def card_like(text: str) -> list[str]:
    """Luhn-valid runs of 13–19 digits (spaces or dashes allowed), minus millisecond timestamps of today."""
    now_ms = time.time() * 1000
    found = []
    for m in DIGIT_RUN.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if len(digits) == 13 and abs(int(digits) - now_ms) < 86_400_000:
            continue
        if luhn_valid(digits):
            found.append(m.group())
    return found


async def test_gateway_logs_hold_no_card_numbers_tokens_or_passwords(rel_gateway: str) -> None:
    secrets = {CONTEXT_SECRET, WRONG_PASSWORD, *CARDS, *(re.sub(r"\D", "", c) for c in CARDS)}
    secrets |= {
        password
        for password, *_ in [
            *ACCOUNTS.values(),
            *LOAD_AGENTS.values(),
            *FUZZ_AGENT.values(),
            *FUZZ_ADMIN.values(),
            *VICTIM.values(),
        ]
    }
    customer = await Customer.connect(rel_gateway)
    secrets.add(customer.token)
    for card in CARDS:
        await customer.say(f"my card {card} was charged twice, my password is {WRONG_PASSWORD}")
    await customer.send(type="request_human")
    await customer.expect("state", state="queued")
    for username, password in (
        ("sam", WRONG_PASSWORD),
        (PASSWORD_AS_USERNAME, "whatever-1"),
        ("nobody", WRONG_PASSWORD),
    ):
        status, _, _ = request(
            rel_gateway, "POST", "/api/login", {"username": username, "password": password}
        )
        assert status in (401, 429)
    cookie = login(rel_gateway, "sam", ACCOUNTS["sam"][0])
    secrets.add(cookie.split("=", 1)[1])
    agent = await Agent.connect(rel_gateway, "sam", cookie)
    await agent.do("claim", conversation_id=customer.cid)
    await agent.expect("claimed")
    await agent.reply(customer.cid, f"I can see card {CARDS[0]} on file")
    await agent.do("close", conversation_id=customer.cid, resolution="resolved")
    await agent.expect("state", state="closed")
    await agent.close()

    assert GATEWAY_LOGS, "no gateway log was captured"
    for path in GATEWAY_LOGS:
        text = Path(path).read_text(errors="replace")
        leaked = [s for s in secrets if s and s in text]
        assert not leaked, f"{path.name} contains secrets: {[s[:4] + '…' for s in leaked]}"
        cards = card_like(text)
        assert not cards, f"{path.name} contains card-like numbers: {cards[:3]}"
