"""Helpers of tests/browser/test_console_day.py: a gateway of its own without the bot, fresh staff accounts,
and customers on the real customer socket driven from a thread of their own (the agents are in Chromium)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import uuid
from typing import Any

from handoff.core.context import sign_context
from tests.gateway import LiveGateway
from tests.handoff.clients import WAIT, Customer
from tests.support import ROOT

Account = tuple[str, str, str, str, int]


def make_account(gateway: LiveGateway, name: str, role: str = "agent", capacity: int = 3) -> Account:
    """A fresh account made with the accounts CLI, as an operator does it."""
    username = f"{name.lower()}-{uuid.uuid4().hex[:6]}"
    password = f"{username}-password"
    env = {**os.environ, "REDIS_URL": gateway.redis_url, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "handoff.accounts.users", "add", username, "--role", role,
                    "--display-name", name, "--capacity", str(capacity), "--password-stdin"],
                   input=password + "\n", text=True, check=True, cwd=ROOT, env=env, capture_output=True)
    return username, password, role, name, capacity


class ThreadCustomer:
    """A signed-in customer on /ws/customer, its event loop in a thread of its own, with blocking calls."""

    def __init__(self, gateway: LiveGateway, name: str, customer_id: str | None = None) -> None:
        self.name = name
        self.customer_id = customer_id or f"HB-{uuid.uuid4().hex[:6]}"
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        context = sign_context({"name": name, "customer_id": self.customer_id}, gateway.context_secret, 3600)
        self.client: Customer = self._run(Customer.connect(gateway, context=context))

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(WAIT * 2)

    @property
    def cid(self) -> str:
        return self.client.cid

    def say(self, text: str) -> None:
        self._run(self.client.say(text))

    def ask_for_person(self) -> None:
        self._run(self.client.send(type="request_human"))
        self._run(self.client.expect("state", state="queued"))

    def expect(self, ftype: str, **match: Any) -> dict[str, Any]:
        return self._run(self.client.expect(ftype, **match))

    def close(self) -> None:
        self._run(self.client.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
