"""The real `rasa-webchat` widget from npm (fetched by `make browser` into tests/browser/fixtures/, never
copied by hand) on a plain page, pointed at the gateway's socket.io endpoint: bot answers, a hand-over, an
adviser's reply shown in rasa-webchat, the hand-back, and a reload that keeps the conversation. The adviser
is the real console page, signed in as an agent; the site names its signed-in customer to the desk with a
signed context in rasa-webchat's `customData.tandem_context`, and the console claims the chat by that name.

The page is served at the gateway's origin through Playwright's routing (a site that embeds rasa-webchat
and allow-lists itself in ORIGINS is the same to the gateway; tests/handoff/gateway/test_socketio_ws.py
checks foreign origins)."""

from __future__ import annotations

import asyncio
import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import Page, Route, expect

from handoff.core.context import sign_context
from tests.browser.console_page import Console
from tests.browser.test_widget import ANGRY
from tests.support import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.model]

WEBCHAT = ROOT / "tests" / "browser" / "fixtures" / "rasa-webchat" / "lib" / "index.js"
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A Rasa site</title></head>
<body><h1>Harbour Bank</h1>
<script src="/rasa-webchat/index.js"></script>
<script>
  WebChat.default({
    socketUrl: %s,
    socketPath: "/socket.io/",
    customData: {tandem_context: %s},
    title: "Harbour Bank",
    embedded: true,
    customMessageDelay: () => 0,
    params: {storage: "local"},
  }, null);
</script></body></html>"""


class Webchat:
    """rasa-webchat as a customer sees it (its own rw-* class names)."""

    def __init__(self, page: Page, gateway: str, context: str) -> None:
        self.page, self.gateway, self.context = page, gateway, context
        self.mine = page.locator(".rw-client")
        self.input = page.locator(".rw-new-message")

    def load(self) -> Webchat:
        if not WEBCHAT.is_file():
            pytest.fail(f"no {WEBCHAT.relative_to(ROOT)}: run `make browser` (fetches rasa-webchat from npm)")

        def serve(route: Route) -> None:
            if route.request.url.endswith("/rasa-webchat/index.js"):
                route.fulfill(path=str(WEBCHAT), content_type="application/javascript")
            else:
                route.fulfill(body=PAGE % (json.dumps(self.gateway), json.dumps(self.context)),
                              content_type="text/html")

        self.page.route(self.gateway + "/rasa-webchat/**", serve)
        self.page.goto(self.gateway + "/rasa-webchat/site.html")
        expect(self.input).to_be_visible()
        return self

    def say(self, text: str) -> None:
        count = self.mine.count()
        self.input.fill(text)
        self.input.press("Enter")
        expect(self.mine).to_have_count(count + 1)

    def session_id(self) -> str:
        stored = self.page.evaluate("localStorage.getItem('chat_session')")
        return str(json.loads(stored)["session_id"])


def test_rasa_webchat_talks_to_the_bot_is_handed_over_and_back_and_survives_a_reload(
        live_gateway: str, open_page, account, screenshot) -> None:  # type: ignore[no-untyped-def]
    sam = Console(open_page(viewport={"width": 1440, "height": 900}), live_gateway).sign_in(account("Sam"))
    name = f"Robin {uuid.uuid4().hex[:4]}"
    context = sign_context({"name": name, "customer_id": f"HB-{uuid.uuid4().hex[:6]}",
                            "cards": [{"last_four": "4821", "type": "debit", "label": "Everyday debit"}]},
                           live_gateway.context_secret, 3600)  # type: ignore[attr-defined]
    page = open_page()
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    chat = Webchat(page, live_gateway, context).load()
    responses = chat.page.locator(".rw-response")

    chat.say("hello")
    expect(responses.first).to_be_visible()
    # rasa-webchat 1.0.1 bundles socket.io-client 3 (Engine.IO v4, as python-socketio 5 speaks): it
    # polls first, then upgrades to a websocket.
    assert any("/socket.io/?EIO=4&transport=websocket" in url for url in sockets), sockets
    chat.say("When will my new card arrive?")
    expect(responses).not_to_have_count(1)
    before_upset = responses.count()

    chat.say(ANGRY)  # the escalation policy hands over; the queue note arrives as a bot message
    expect(responses.filter(has_text="queue")).not_to_have_count(0)
    cid = chat.session_id().split(".")[0]
    assert responses.count() > before_upset

    # The console's queue names the customer the site signed in (customData.tandem_context); Sam claims.
    expect(sam.row(name)).to_have_attribute("data-conversation-id", cid)
    sam.claim(name)
    expect(sam.pane.locator(".context-card")).to_contain_text("•••• 4821")
    expect(sam.messages("customer").filter(has_text="When will my new card arrive?")).to_have_count(1)
    expect(responses.filter(has_text="Sam has joined the chat.")).to_have_count(1)
    sam.write("Hi, I'm Sam from Harbour Bank. I can help with that.")
    expect(responses.filter(has_text="I'm Sam from Harbour Bank")).to_have_count(1)
    chat.say("Thank you, Sam")
    expect(sam.messages("customer").filter(has_text="Thank you, Sam")).to_have_count(1)
    screenshot(chat.page, "rasa-webchat-agent")

    sam.pane.get_by_role("button", name="Hand back to bot").click()
    expect(responses.filter(has_text="back with Harbour Bank's virtual assistant")).to_have_count(1)
    shown = responses.count()
    chat.say("What is my balance?")
    expect(responses).not_to_have_count(shown)  # the bot answers again

    # A reload: rasa-webchat shows its stored copy and resumes the same session; nothing is repeated.
    session, before = chat.session_id(), responses.count()
    chat.page.reload()
    expect(chat.input).to_be_visible()
    expect(responses).to_have_count(before)
    assert chat.session_id() == session
    chat.say("thanks, bye")
    expect(responses).not_to_have_count(before)  # the same conversation answers
    with ThreadPoolExecutor(1) as thread:  # Playwright's sync API holds this thread's event loop
        texts = thread.submit(asyncio.run, _customer_texts(live_gateway, cid)).result()
    assert texts[:2] == ["hello", "When will my new card arrive?"] and texts[-1] == "thanks, bye"
    assert texts.count("hello") == 1


async def _customer_texts(gateway: str, cid: str) -> list[str]:
    from handoff.storage import store as store_mod

    client = await store_mod.connect(gateway.redis_url)  # type: ignore[attr-defined]
    try:
        log = await store_mod.Store(client, 3600).read_log(cid, 0)
    finally:
        await client.close()
    return [m["text"] for m in log if m["sender"] == "customer"]
