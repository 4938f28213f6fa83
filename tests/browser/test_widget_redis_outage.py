"""The widget while the desk's Redis is down: the customer sees that it is reconnecting (never a silent
dead chat), a message typed meanwhile waits in the outbox, and once Redis is back it is sent once and
shown as sent. A real Chromium, a real gateway (without the model: this is about the connection), a real
Redis killed with SIGKILL and restarted from its append-only file."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from handoff.storage import store as store_mod
from tests.browser.widget_page import Widget, conversation_id
from tests.gateway import LiveGateway, start_gateway
from tests.support import run_coroutine, start_redis, stop

pytestmark = pytest.mark.browser


@pytest.fixture
def outage_desk(tmp_path: Path) -> Iterator[tuple[LiveGateway, Path, int, list]]:
    """A bot-less gateway on a Redis of this test's own, which it may kill: (gateway, redis dir, port, [proc])."""
    directory = tmp_path / "redis"
    proc, port = start_redis(directory)
    procs = [proc]
    gw = start_gateway(f"redis://127.0.0.1:{port}/0", Path("no-model"), "http://127.0.0.1:9/webhook", tmp_path,
                       "gw-outage-browser", extra_env={"LOAD_BOT": "0"})
    try:
        yield gw, directory, port, procs
    finally:
        stop(gw.proc)
        for p in procs:
            stop(p)


def test_redis_down_the_widget_says_it_is_reconnecting_and_sends_the_waiting_message_once_after(
    outage_desk: tuple[LiveGateway, Path, int, list], widget: Callable[..., Widget],
) -> None:
    gw, directory, port, procs = outage_desk
    w = widget().load(gw).open()
    w.say("before the outage")
    expect(w.mine("before the outage")).to_have_attribute("data-status", "sent")
    cid = conversation_id(w.page)

    procs.pop().kill()  # SIGKILL: only the append-only file survives
    w.say("typed while Redis is down")
    root = w.page.locator("#tandem-chat-widget .root")
    expect(root).to_have_attribute("data-connection", "reconnecting")
    expect(w.banner).to_have_text(re.compile(r"Reconnecting"))
    expect(w.mine("typed while Redis is down")).to_have_attribute("data-status", "pending")

    procs.append(start_redis(directory, port)[0])
    expect(w.mine("typed while Redis is down")).to_have_attribute("data-status", "sent")
    expect(root).to_have_attribute("data-connection", "online")
    expect(w.banner).to_have_text("")

    async def stored() -> list[str]:
        client = await store_mod.connect(f"redis://127.0.0.1:{port}/0")
        try:
            log = await store_mod.Store(client, 3600).read_log(cid)
        finally:
            await client.close()
        return [m.get("text", "") for m in log if m["sender"] == "customer"]

    assert run_coroutine(stored()) == ["before the outage", "typed while Redis is down"]  # each exactly once
    expect(w.mine()).to_have_count(2)
