"""A gateway instance killed with SIGKILL under a customer's open widget: the page fails over to another
instance on its own, and neither the customer nor the agent who takes over sees a message lost or doubled.

The widget reaches the desk through a proxy that stands for the site's load balancer: it sends new
connections to instance A until A dies, then to B (the session's live gateway), both on one Redis.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.console_page import Console
from tests.browser.netcut import CuttableProxy
from tests.browser.widget_page import Widget, conversation_id
from tests.gateway import LiveGateway, start_gateway
from tests.support import stop

pytestmark = [pytest.mark.browser, pytest.mark.model]

ASKED = ["hello", "How do I change my PIN?", "Which currencies do you support?"]


@pytest.fixture
def doomed_gateway(live_gateway: LiveGateway, reduced_model: Path, action_server_url: str,
                   tmp_path: Path) -> Iterator[LiveGateway]:
    """A second full instance (model loaded) on live_gateway's Redis, for this test to kill."""
    gw = start_gateway(live_gateway.redis_url, reduced_model, action_server_url, tmp_path, "gw-doomed")
    try:
        yield gw
    finally:
        stop(gw.proc)


def test_widget_fails_over_after_kill_9_and_the_agent_sees_the_whole_story_once(
    doomed_gateway: LiveGateway, live_gateway: LiveGateway, widget: Callable[..., Widget],
    open_page: Callable[..., Page], account,  # type: ignore[no-untyped-def]
) -> None:
    balancer = CuttableProxy("127.0.0.1", doomed_gateway.port)
    try:
        kim = Console(open_page(viewport={"width": 1440, "height": 900}), live_gateway).sign_in(account("Kim"))
        w = widget().load(balancer.url).open()
        w.say(ASKED[0])
        w.wait_for_replies(1)
        w.say(ASKED[1])
        w.wait_for_replies(2)
        cid = conversation_id(w.page)

        # Instance A dies without a word; the balancer sends new connections to B from now on.
        doomed_gateway.proc.kill()
        doomed_gateway.proc.wait()
        connections = balancer.connections
        balancer.retarget("127.0.0.1", live_gateway.port)
        w.say(ASKED[2])  # written while the page is still finding out: kept, then sent once
        expect(w.mine(ASKED[2])).to_have_attribute("data-status", "sent")
        w.wait_for_replies(3)  # B's bot answered it
        assert balancer.connections > connections, "the widget never reconnected"
        expect(w.banner).to_be_hidden()

        # The customer asks for a person; the agent on B sees everything from A and B, once, in order.
        w.human.click()
        expect(w.notices("queued")).to_have_count(1)
        row = kim.queue.and_(kim.page.locator(f'[data-conversation-id="{cid}"]'))
        row.get_by_role("button", name="Claim").click()
        expect(kim.messages("customer")).to_have_count(len(ASKED))
        texts = kim.messages("customer").all_inner_texts()
        assert [next(a for a in ASKED if a in t) for t in texts] == ASKED
        assert kim.messages("bot").count() >= 3  # every bot answer, A's included

        kim.write("Hi, Kim here. I can see everything you asked.")
        expect(w.page.locator("#tandem-chat-widget .msg.from-agent")).to_contain_text("Kim here")

        w.page.reload()  # what the server stored: each message exactly once, in order
        expect(w.page.locator("#tandem-chat-widget .msg.from-agent")).to_have_count(1)
        assert w.page.locator("#tandem-chat-widget .msg.from-customer .bubble").all_inner_texts() == ASKED
    finally:
        balancer.close()
