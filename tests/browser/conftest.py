"""Browser fixtures: one Debian Chromium per session (Playwright cannot download its own here), a fresh
context per test, a cuttable proxy in front of the live gateway, and screenshots under artifacts/."""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.browser.console_page import Account
from tests.browser.netcut import CuttableProxy
from tests.browser.widget_page import Widget
from tests.gateway import LiveGateway, start_gateway
from tests.support import ROOT, TIME_SCALE, stop

CHROMIUM = os.environ.get("TANDEM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
# The bot answers through the real (reduced) Rasa model on a shared 2-core machine: be patient, not flaky.
EXPECT_TIMEOUT_MS = int(20_000 * TIME_SCALE)
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"no Chromium at {CHROMIUM}: run `make browser` (Debian's chromium package)")
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def gateway_proxy(live_gateway: str) -> Iterator[CuttableProxy]:
    """The live gateway seen through a proxy the test can cut; the page is loaded through it too, so the
    websocket's Origin is the page's own origin, as on a real single-host deployment."""
    target = urlsplit(live_gateway)
    proxy = CuttableProxy(target.hostname or "127.0.0.1", target.port or 80)
    try:
        yield proxy
    finally:
        proxy.close()


@pytest.fixture
def open_page(chromium: Browser) -> Iterator[Callable[..., Page]]:
    """open_page(**context_options) -> a Page in a fresh context (its own sessionStorage); page errors fail
    the test, because a widget that throws on a customer's page is broken whatever it shows."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def make(**options: object) -> Page:
        context = chromium.new_context(**{**DESKTOP, **options})
        context.set_default_timeout(EXPECT_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture
def widget(open_page: Callable[..., Page]) -> Callable[..., Widget]:
    """widget(**context_options) -> the customer's view of a fresh page (call .load(url) on it)."""
    return lambda **options: Widget(open_page(**options))


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    """screenshot(page, name) writes artifacts/screenshots/<name>.png (git-ignored; CI keeps it as an artifact)."""

    def take(page: Page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    return take


@pytest.fixture(scope="module")
def embedding_site(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddingSite]:
    """A shop on another origin (http://shop.localhost:PORT, a real loopback server) whose page embeds the
    widget with one tag, and a gateway that allow-lists that origin. The gateway runs without the Rasa
    model (LOAD_BOT=0, quick to start): this is about embedding and transport, not answers."""
    site = EmbeddingSite(tmp_path_factory.mktemp("shop"))
    gateway = start_gateway(redis_url, Path("no-model"), "http://127.0.0.1:9/webhook",
                            tmp_path_factory.mktemp("gateway-embed"), "gw-embed",
                            extra_env={"LOAD_BOT": "0", "ORIGINS": site.origin})
    site.publish(gateway)
    try:
        yield site
    finally:
        site.close()
        stop(gateway.proc)


class EmbeddingSite:
    """Serves index.html from a temp dir on a free loopback port, reached as shop.localhost (Chromium maps
    *.localhost to the loopback address, so it is a different origin from 127.0.0.1 but no DNS is needed)."""

    # The shop's own CSS is hostile on purpose: none of it may reach the widget inside its shadow root.
    PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Corner Shop</title>
<style>button {{ background: #ff00ff !important; font-family: "Comic Sans MS", cursive; }}
div {{ border: 3px dashed red; }}</style></head>
<body><h1>Corner Shop</h1><p>We sell things.</p>
<script src="{gateway}/widget.js" data-server="{gateway}" data-title="Harbour Bank" defer></script>
</body></html>"""

    def __init__(self, root: Path) -> None:
        self.root = root
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.origin = f"http://shop.localhost:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, name="shop", daemon=True).start()
        self.gateway = ""

    def publish(self, gateway: str) -> None:
        self.gateway = gateway
        (self.root / "index.html").write_text(self.PAGE.format(gateway=gateway))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def account(live_gateway: LiveGateway) -> Callable[..., Account]:
    """account("Kim", role="agent", capacity=2): a fresh account made with `python -m handoff.accounts.users add`, the
    way an operator does it; one per test, so no test inherits another's chats or presence."""
    env = {**os.environ, "REDIS_URL": live_gateway.redis_url, "PYTHONPATH": str(ROOT)}

    def make(name: str, role: str = "agent", capacity: int = 2) -> Account:
        username = f"{name.lower()}-{uuid.uuid4().hex[:6]}"
        password = f"{username}-password"
        subprocess.run([sys.executable, "-m", "handoff.accounts.users", "add", username, "--role", role,
                        "--display-name", name, "--capacity", str(capacity), "--password-stdin"],
                       input=password + "\n", text=True, check=True, cwd=ROOT, env=env, capture_output=True)
        return username, password, role, name, capacity

    return make
