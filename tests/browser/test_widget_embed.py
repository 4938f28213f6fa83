"""The widget embedded by one script tag on another website, and the widget's sources kept free of HTML sinks.

These need no Rasa model: the shop's gateway runs without one (see the embedding_site fixture).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import EmbeddingSite
from tests.browser.widget_page import XSS
from tests.support import ROOT

pytestmark = [pytest.mark.browser]


def test_one_script_tag_embeds_the_widget_on_another_origin(embedding_site: EmbeddingSite, widget) -> None:
    w = widget().load(embedding_site.origin).open()
    w.say("hello from the shop")
    expect(w.mine("hello from the shop")).to_have_attribute("data-status", "sent")  # acked over the socket
    expect(w.notices("bot_unavailable")).to_have_count(1)  # this gateway runs without a model
    w.say(XSS)  # the shop sends no Content-Security-Policy: markup rendered as HTML would really run here
    expect(w.mine(XSS)).to_have_attribute("data-status", "sent")
    assert w.page.locator("#tandem-chat-widget img").count() == 0
    assert w.page.evaluate("window.__pwned") is None
    # The shop's hostile CSS stops at the shadow root.
    brand = {"rgb(11, 61, 92)", "rgb(7, 42, 64)"}  # the widget's navy, or its hover shade under the mouse
    assert w.launcher.evaluate("el => getComputedStyle(el).backgroundColor") in brand
    assert "Comic" not in w.input.evaluate("el => getComputedStyle(el).fontFamily")
    assert w.log.evaluate("el => getComputedStyle(el).borderTopStyle") == "none"


def test_a_site_not_on_the_allow_list_gets_no_socket(embedding_site: EmbeddingSite, widget) -> None:
    other = embedding_site.origin.replace("shop.localhost", "other.localhost")
    w = widget().load(other).open()
    w.say("anyone there?")
    expect(w.banner).to_contain_text("Reconnecting")
    expect(w.mine("anyone there?")).to_have_attribute("data-status", "pending")


def test_widget_sources_never_build_html_from_strings() -> None:
    """The XSS tests exercise the paths a test can reach; this keeps every other path honest too."""
    sources = sorted((ROOT / "handoff" / "static" / "widget").glob("*.js"))
    assert sources
    for source in sources:
        code = "\n".join(
            line for line in source.read_text().splitlines() if not line.lstrip().startswith(("*", "/*", "//"))
        )
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
            assert sink not in code, f"{source.name} uses {sink}"
