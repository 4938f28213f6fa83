"""The widget as a customer sees and uses it, for the browser tests (a page object, not a test module)."""

from __future__ import annotations

import json
import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, expect

from tests.support import ROOT

XSS = '<img src=x onerror="window.__pwned = 1">'


class Widget:
    """The widget as a customer sees it (Playwright's CSS and role locators pierce its open shadow root)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.launcher = page.get_by_role("button", name=re.compile(r"^Chat with Harbour Bank"))
        self.panel = page.get_by_role("dialog", name="Harbour Bank")
        self.input = page.get_by_role("textbox", name="Your message")
        self.log = page.get_by_role("log", name="Conversation")
        self.banner = page.locator("#tandem-chat-widget .banner")
        self.queue = page.locator("#tandem-chat-widget .queue-text")  # the sentence, not the switch below it
        self.subtitle = page.locator("#tandem-chat-widget .subtitle")
        self.human = page.locator("#tandem-chat-widget .tools").get_by_role("button", name="Talk to a person")

    def load(self, base_url: str, signed_in: bool = False) -> Widget:
        self.page.goto(base_url + "/")
        if signed_in:
            self.page.get_by_role("button", name="Sign in as Alex Morgan").click()
            expect(self.page.get_by_text("Signed in as Alex Morgan")).to_be_visible()
        expect(self.launcher).to_be_visible()  # shown once the widget has booted and its CSS is in
        return self

    def open(self) -> Widget:
        self.launcher.click()
        expect(self.panel).to_be_visible()
        expect(self.input).to_be_focused()
        return self

    def say(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")

    def mine(self, text: str | None = None) -> Locator:
        loc = self.page.locator("#tandem-chat-widget .msg.from-customer")
        return loc.filter(has_text=text) if text else loc

    def replies(self) -> Locator:
        return self.page.locator("#tandem-chat-widget .msg.from-bot, #tandem-chat-widget .msg.from-agent")

    def notices(self, event: str) -> Locator:
        return self.page.locator(f'#tandem-chat-widget .notice[data-event="{event}"]')

    def handover_notice(self) -> Locator:
        """The system notice of entering the queue ("queued", or "no_agents" when nobody is online)."""
        return self.page.locator(
            '#tandem-chat-widget .notice[data-event="queued"], #tandem-chat-widget .notice[data-event="no_agents"]'
        )

    def wait_for_replies(self, count: int) -> None:
        expect(self.replies()).to_have_count(count)

    def transcript(self) -> list[str]:
        """Every message bubble in order, as text, for exact comparisons."""
        return self.page.locator("#tandem-chat-widget .msg .bubble").all_inner_texts()


def conversation_id(page: Page) -> str:
    """The id the widget keeps in sessionStorage (what the agent sees in the queue)."""
    stored = page.evaluate(
        "() => Object.keys(sessionStorage).filter(k => k.startsWith('tandem:')).map(k => sessionStorage[k])"
    )
    return json.loads(stored[0])["conversation_id"]


AXE_CORE = ROOT / "tests" / "browser" / "fixtures" / "axe-core" / "axe.min.js"  # `make browser` fetches it (npm)


def serious_violations(page: Page) -> str:
    """axe-core's serious and critical findings inside the widget, as a readable report ("" if none).
    The axe-core the Makefile pins (`make browser`), not the older copy inside axe-playwright-python."""
    if not AXE_CORE.is_file():
        raise AssertionError(f"no axe-core at {AXE_CORE}: run `make browser` (fetches it from npm)")
    results = Axe.from_file(AXE_CORE).run(page, context="#tandem-chat-widget",
                                          options={"resultTypes": ["violations"]})
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    return "\n".join(f"{v['id']} ({v['impact']}): {v['help']} {[n['target'] for n in v['nodes']]}"
                     for v in serious)
