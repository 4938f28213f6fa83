"""The admin page in Debian's Chromium: an agent is refused; an admin works through the NLU inbox, labels a
message with a new intent, watches the retraining progress, reads the comparison and activates the model.

A real gateway with the reduced model on a scratch project (tests/admin_workspace.py); the unsure message
reaches the inbox the real way, from a customer's websocket. The retraining is real (reduced config), so
this test takes minutes; the page is only polled, never reloaded.
"""
from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.admin_workspace import admin_env, make_workspace
from tests.gateway import ACCOUNTS, LiveGateway, seed_accounts, start_gateway
from tests.handoff.clients import BOT_WAIT, Customer
from tests.support import TIME_SCALE, stop

pytestmark = [pytest.mark.browser, pytest.mark.model, pytest.mark.timeout(int(2400 * TIME_SCALE))]
ADMIN_BROWSER_DB = 9
MESSAGE = "do you offer safety deposit boxes at the harbour street branch"
INTENT = "safe_deposit_boxes"
ANSWER = "We don't rent safety deposit boxes, but our partner vaults can: ask in any branch for details."
TRAINING_MS = int(1800_000 * TIME_SCALE)


@pytest.fixture(scope="module")
def admin_gateway(redis_url: str, reduced_model: Path, action_server_url: str,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    workspace = make_workspace(tmp_path_factory.mktemp("admin-browser") / "project")
    url = redis_url.rsplit("/", 1)[0] + f"/{ADMIN_BROWSER_DB}"
    in_thread(seed_accounts, url)
    gw = start_gateway(url, reduced_model, action_server_url, tmp_path_factory.mktemp("admin-browser-gw"),
                       "gw-admin-ui", extra_env=admin_env(workspace, INBOX_THRESHOLD="0.8",
                                                          RETRAIN_EVAL_MAX_PER_INTENT="2"))
    try:
        yield gw
    finally:
        stop(gw.proc)


def in_thread(fn: Callable[..., object], *args: object) -> object:
    """Playwright's sync API keeps an event loop running in this thread: asyncio work goes to another."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()


def sign_in(page: Page, gateway: str, username: str) -> None:
    page.goto(gateway + "/admin")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(ACCOUNTS[username][0])
    page.get_by_role("button", name="Sign in").click()


def customer_says(gateway: str, text: str) -> None:
    async def run() -> None:
        customer = await Customer.connect(gateway)
        ack = await customer.say(text)
        while (await customer.expect("message", timeout=BOT_WAIT, sender="bot"))["seq"] < ack["seq"]:
            pass
        await customer.close()

    in_thread(asyncio.run, run())


def test_an_agent_account_is_refused(admin_gateway: LiveGateway, open_page: Callable[..., Page]) -> None:
    page = open_page()
    sign_in(page, admin_gateway, "sam")
    expect(page.get_by_role("heading", name="Admins only")).to_be_visible()
    expect(page.locator("#admin-view")).to_be_hidden()
    assert page.request.get(admin_gateway + "/api/admin/inbox").status == 403  # the server refuses too
    assert page.request.post(admin_gateway + "/api/admin/retrain", data={}).status == 403


def test_the_admin_page_signs_in_and_edits_canned_responses_with_the_shared_staff_code(
        admin_gateway: LiveGateway, open_page: Callable[..., Page]) -> None:
    """handoff/static/shared/: the console's sign-in view and canned dialog, nothing from /static/console/."""
    page = open_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(admin_gateway + "/admin")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#login-error")).to_have_text("Wrong username or password.")
    expect(page.get_by_label("Username")).to_have_value("ada")
    page.get_by_label("Password").fill(ACCOUNTS["ada"][0])
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#admin-view")).to_be_visible()
    page.get_by_role("button", name="Canned responses").click()
    dialog = page.locator("#canned-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", name="Canned responses")).to_be_visible()
    expect(dialog.locator("#canned-edit-legend")).to_have_text("Add a response")
    dialog.get_by_role("button", name="Done").click()
    expect(dialog).to_be_hidden()
    assert any(url.endswith("/static/shared/signin.js") for url in requested)
    assert not [url for url in requested if "/static/console/" in url]


def test_inbox_label_retrain_progress_compare_and_activate(admin_gateway: LiveGateway, open_page: Callable[..., Page],
                                                          screenshot: Callable[[Page, str], Path]) -> None:
    customer_says(admin_gateway, MESSAGE)
    page = open_page(viewport={"width": 1280, "height": 900})
    sign_in(page, admin_gateway, "ada")

    # The inbox: the customer's message, grouped under what the bot guessed, found by search.
    expect(page.locator("#admin-view")).to_be_visible()
    page.get_by_label("Search").fill("deposit boxes")
    item = page.locator(".item", has_text=MESSAGE)
    expect(item).to_have_count(1)
    expect(page.locator("#inbox-summary")).to_have_text(re.compile(r"^1 message in 1 group"))
    item.get_by_role("button", name="Label…").click()

    # Label it with a new intent: the page asks for the answer first.
    page.get_by_label("Intent", exact=True).fill(INTENT)
    expect(page.get_by_label("New intent — what should the bot answer?")).to_be_visible()
    page.locator("#label-submit").click()
    expect(page.locator("#label-error")).to_have_text(re.compile("needs the answer"))
    page.get_by_label("New intent — what should the bot answer?").fill(ANSWER)
    page.locator("#label-submit").click()
    expect(page.locator("#toast")).to_contain_text("labelled safe_deposit_boxes (new intent)")
    expect(item).to_have_count(0)
    page.locator("#inbox-status").select_option("labelled")
    expect(page.locator(".item", has_text=MESSAGE).locator(".chip.label")).to_have_text(f"→ {INTENT}")

    # Retrain: live progress in the page.
    page.get_by_role("tab", name=re.compile("Training")).click()
    page.get_by_role("button", name="Retrain now").click()
    expect(page.get_by_role("button", name="Retrain now")).to_be_disabled()
    expect(page.locator("#retrain-phases li.now")).to_have_text("Training", timeout=60_000)
    expect(page.locator("#retrain-log .line").first).to_be_visible()
    # A training progress bar (the policies' "Processed trackers/rules", or "Epochs" of a neural model).
    expect(page.locator("#retrain-log")).to_contain_text(re.compile(r"Processed \w+|Epochs"), timeout=TRAINING_MS)
    assert int(page.locator("#retrain-progress").get_attribute("aria-valuenow") or 0) > 0
    expect(page.locator("#retrain-state")).to_contain_text("Candidate ready", timeout=TRAINING_MS)

    # The comparison report, then activation on every instance.
    report = page.locator("#report-card")
    expect(report).to_be_visible()
    expect(page.locator("#report-figures tr")).to_have_count(5)
    expect(page.locator("#report-now-right")).to_contain_text(MESSAGE)
    expect(page.locator("#report-now-right")).to_contain_text(INTENT)
    version = page.locator("#report-version").inner_text()
    page.locator("#report-activate").click()
    live = f"{version} live on 1 of 1 instance"  # (before the click it said "base live on 1 of 1")
    expect(page.locator("#activate-state")).to_contain_text(live, timeout=300_000)
    expect(page.locator("#report-activate")).to_have_text("Active")
    expect(page.locator("#models-rollback")).to_be_enabled()
    expect(page.locator("#rollback-target")).to_have_text("to base")
    expect(page.locator("#toast")).to_be_hidden(timeout=10_000)
    expect(page.locator("#activate-state")).to_contain_text(live)
    page.locator("#report-card").scroll_into_view_if_needed()
    screenshot(page, "admin-report")  # docs/img/admin.png is a copy of this one
