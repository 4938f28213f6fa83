"""The dashboard in real Chromium: a fortnight of history in Redis, the page's figures checked against the
history's own tally, text shown as text, access for signed-in people only, and the README screenshot."""
from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from bot.escalation.kinds import Kind
from handoff.storage import store as store_mod
from tests.browser.dashboard_history import XSS_FALLBACK, Tally, seed
from tests.gateway import ACCOUNTS
from tests.support import ROOT

pytestmark = pytest.mark.browser
HISTORY_DB = 7
FIRST_DAY_MS = 1_740_960_000_000  # Monday 2025-03-03 00:00 UTC
RANGE = "since=2025-03-03&until=2025-03-16&bucket=day"
DOCS_SCREENSHOT = ROOT / "docs" / "img" / "dashboard.png"


@pytest.fixture(scope="module")
def history_gateway(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Tally]]:
    """A gateway without a bot model (the dashboard needs none) on its own Redis database, with history."""
    from tests.gateway import seed_accounts, start_gateway
    from tests.support import stop

    url = redis_url.rsplit("/", 1)[0] + f"/{HISTORY_DB}"

    async def fill() -> Tally:
        client = await store_mod.connect(url)
        try:
            await client.flushdb()
            return await seed(store_mod.Store(client), FIRST_DAY_MS)
        finally:
            await client.close()

    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API owns this thread's event loop
        tally = pool.submit(asyncio.run, fill()).result()
        pool.submit(seed_accounts, url).result()
    gw = start_gateway(url, tmp_path_factory.mktemp("no-model"), "http://127.0.0.1:9/webhook",
                       tmp_path_factory.mktemp("gateway-history"), "gw-history", extra_env={"LOAD_BOT": "0"})
    try:
        yield gw, tally
    finally:
        stop(gw.proc)


@pytest.fixture
def signed_in(open_page: Callable[..., Page], history_gateway: tuple[str, Tally]) -> Callable[[str], Page]:
    gw, _ = history_gateway

    def make(username: str) -> Page:
        page = open_page(viewport={"width": 1280, "height": 900})
        resp = page.context.request.post(gw + "/api/login",
                                         data={"username": username, "password": ACCOUNTS[username][0]})
        assert resp.ok, resp.text()
        return page

    return make


def open_dashboard(page: Page, gw: str, query: str = RANGE) -> None:
    page.goto(f"{gw}/dashboard?{query}")
    expect(page.locator("body")).to_have_attribute("data-state", "ready")


def test_the_figures_match_the_history_and_the_screenshot(signed_in, history_gateway, screenshot, tmp_path) -> None:
    gw, tally = history_gateway
    page = signed_in("ada")
    open_dashboard(page, gw)
    kpi = lambda name, part: page.locator(f"#kpi-{name} .{part}")
    expect(kpi("containment", "value")).to_have_text(f"{round(100 * tally.contained / tally.conversations)}%")
    expect(kpi("containment", "sub")).to_have_text(
        f"{tally.contained} of {tally.conversations} conversations resolved without a person")
    expect(kpi("escalation", "sub")).to_contain_text(f"{tally.escalated} conversations escalated")
    n_bot, n_agent = len(tally.ratings["bot"]), len(tally.ratings["agent"])
    expect(kpi("ratings", "sub")).to_have_text(f"bot {n_bot} ratings · agents {n_agent} ratings")
    expect(kpi("negativity", "sub")).to_contain_text("calmer after the handover in")
    for chart in ("containment", "reasons", "times", "negativity", "ratings"):
        expect(page.locator(f"#chart-{chart} svg[role=img]")).to_have_count(1)
    legend = page.locator("#chart-reasons .legend").inner_text()
    for kind in tally.reasons:
        assert Kind(kind).label in legend
    # 14 days: one containment point per day.
    expect(page.locator("#chart-containment circle")).to_have_count(2 * 14)
    fallbacks = page.locator("#table-fallbacks tbody")
    expect(fallbacks).to_contain_text("[CARD]")
    assert "4539" not in fallbacks.inner_text()
    results = Axe().run(page, options={"resultTypes": ["violations"]})
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, results.generate_report()
    screenshot(page, "dashboard")
    # The docs' picture only on request (a test run must not rewrite tracked files); a full-page shot either way.
    shot = DOCS_SCREENSHOT if os.environ.get("TANDEM_UPDATE_DOCS_IMG") == "1" else tmp_path / "dashboard.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_customer_text_is_shown_as_text(signed_in, history_gateway) -> None:
    gw, _ = history_gateway
    page = signed_in("sam")  # agents see the dashboard too
    open_dashboard(page, gw)
    cell = page.locator("#table-fallbacks td", has_text="onerror")
    expect(cell).to_have_text(XSS_FALLBACK)
    expect(page.locator("#table-fallbacks img")).to_have_count(0)
    assert page.evaluate("window.__pwned") is None


def test_changing_the_range_redraws_per_hour(signed_in, history_gateway) -> None:
    gw, _ = history_gateway
    page = signed_in("ada")
    open_dashboard(page, gw)
    page.locator("#since").fill("2025-03-04")
    page.locator("#until").fill("2025-03-05")
    page.locator("#bucket").select_option("hour")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(f"{gw}/dashboard?since=2025-03-04&until=2025-03-05&bucket=hour")
    expect(page.locator("body")).to_have_attribute("data-state", "ready")
    ticks = page.locator("#chart-containment text.tick").all_text_contents()
    assert "4 Mar 00:00" in ticks and "5 Mar 00:00" in ticks


def test_a_bad_range_says_what_is_wrong(signed_in, history_gateway) -> None:
    gw, _ = history_gateway
    page = signed_in("ada")
    page.goto(f"{gw}/dashboard?since=2025-03-10&until=2025-03-01")
    expect(page.locator("#error")).to_have_text("until must be after since")


def test_without_a_session_the_dashboard_sends_people_to_sign_in(open_page, history_gateway) -> None:
    gw, _ = history_gateway
    page = open_page()
    page.goto(f"{gw}/dashboard?{RANGE}")
    expect(page).to_have_url(f"{gw}/console")
    expect(page.locator("#login-form")).to_be_visible()

