"""The admin's live knobs in Chromium: the escalation tab previews proposed thresholds on stored conversations
(the counts worked out by hand in tests/handoff/admin/test_knob_preview.py), saves them live, and sets the
live fallback threshold; the tab has no serious accessibility faults."""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from handoff.storage import store as store_mod
from tests.admin_workspace import admin_env, make_workspace
from tests.gateway import ACCOUNTS, LiveGateway, seed_accounts, start_gateway
from tests.handoff.admin.test_knob_preview import ANNOYED, ASKED, CALM
from tests.support import ROOT, stop

pytestmark = pytest.mark.browser
KNOBS_DB = 13


async def store_conversations(url: str) -> list[str]:
    """CALM, ANNOYED and ASKED written through the gateway's Store, annotated as the bot parsed them."""
    client = await store_mod.connect(url)
    try:
        await client.flushdb()
        store, ids = store_mod.Store(client), []
        for rec in (CALM, ANNOYED, ASKED):
            cid, _ = await store.create_conversation({}, "en")
            for m in rec.messages:
                seq, _, _ = await store.append(cid, {k: v for k, v in m.items()  # type: ignore[arg-type]
                                                     if k in ("sender", "text", "event")})
                if m["sender"] == "customer":
                    await store.annotate(cid, seq, {k: m[k] for k in ("intent", "confidence", "negativity",
                                                                      "emotions")})
            ids.append(cid)
        return ids
    finally:
        await client.close()


@pytest.fixture(scope="module")
def knobs_gateway(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveGateway, list[str]]]:
    url = redis_url.rsplit("/", 1)[0] + f"/{KNOBS_DB}"
    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API owns this thread's event loop
        ids = pool.submit(asyncio.run, store_conversations(url)).result()
        pool.submit(seed_accounts, url).result()
    workspace = make_workspace(tmp_path_factory.mktemp("knobs") / "project")
    gw = start_gateway(url, ROOT / "models" / "unused", "http://127.0.0.1:9/webhook", tmp_path_factory.mktemp("knobs-gw"),
                       "gw-knobs", extra_env=admin_env(workspace, LOAD_BOT="0"), timeout=120)
    try:
        yield gw, ids
    finally:
        stop(gw.proc)


def test_preview_then_save_thresholds_and_the_fallback_cut_live(knobs_gateway: tuple[LiveGateway, list[str]],
                                                                open_page: Callable[..., Page], tmp_path: Path) -> None:
    gw, ids = knobs_gateway
    page = open_page(viewport={"width": 1280, "height": 900})
    page.goto(gw + "/admin#escalation")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(ACCOUNTS["ada"][0])
    page.get_by_role("button", name="Sign in").click()
    spike = page.locator("#esc-spike_level")
    expect(spike).to_have_value("0.85")  # the model's own, live now

    spike.fill("0.45")
    page.locator("#esc-last").fill("3")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#esc-preview-summary")).to_have_text(
        "Replayed 3 conversations: the assistant handed over 1 with the live values, and would hand over 2 with "
        "these (+1: 1 more, 0 fewer; 0 earlier, 0 later).")
    example = page.locator("#esc-preview-result a")
    expect(example).to_have_count(1)
    expect(example).to_have_attribute("href", f"/console/?view={ids[1]}")
    api = page.context.request
    assert api.get(gw + "/api/admin/escalation").json()["overrides"] == {}  # a preview saves nothing

    page.locator("#esc-save").click()
    expect(page.locator("#toast")).to_contain_text("every instance applies them")
    assert api.get(gw + "/api/admin/escalation").json()["live"]["spike_level"] == 0.45

    page.locator("#fallback-threshold").fill("0.5")
    page.locator("#fallback-save").click()
    expect(page.locator("#fallback-model")).to_contain_text("live value set here")
    assert api.get(gw + "/api/admin/escalation").json()["fallback"]["live"] == 0.5
    results = Axe().run(page, context="#pane-escalation", options={"resultTypes": ["violations"]})
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, results.generate_report()

    page.get_by_role("button", name="Back to the model's values").click()
    page.locator("#fallback-reset").click()
    expect(page.locator("#fallback-model")).not_to_contain_text("live value set here")
    got = api.get(gw + "/api/admin/escalation").json()
    assert got["overrides"] == {} and got["fallback"]["override"] is None
