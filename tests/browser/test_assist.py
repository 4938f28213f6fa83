"""Agent assist in Debian's Chromium (issue #23): a customer escalates with a routine question inside an upset
message; the agent sees the summary and three drafts, inserts one, edits and sends it; the customer sees only
the sent text; the agent proposes the reply to the bot; the admin accepts it on /admin and it is in the next
retrain's training data.

A real gateway with the reduced model and the action server, on a scratch copy of the project
(tests/admin_workspace.py), so the accepted example lands there and never in the repository's data/. The index
of good replies is fed the real way: earlier chats that an agent closed as resolved.
"""
from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
from playwright.sync_api import Page, expect

from handoff.admin.training_data import NLU_FILE, read_examples
from handoff.assist.answers import ACCEPTED_FILE, accepted_answers
from handoff.core.context import sign_context
from handoff.storage import keys
from scripts.bench_env import wait_for_nlu_workers
from tests.admin_workspace import admin_env, make_workspace
from tests.gateway import ACCOUNTS, LiveGateway, seed_accounts, start_gateway
from tests.handoff.clients import Agent, Customer
from tests.support import TIME_SCALE, stop

pytestmark = [pytest.mark.browser, pytest.mark.model, pytest.mark.timeout(int(900 * TIME_SCALE))]
ASSIST_BROWSER_DB = 10  # its own: widget_states uses 11 and 15, console_day 12, numbers 14
UPSET = ("I ordered a new card two weeks ago and it STILL hasn't arrived, this is absolutely ridiculous, "
         "I want to talk to a real person now")
PAST = [("my new card hasn't arrived yet", ("I'm sorry it's taken so long. I've checked and it was posted on Monday, "
                                            "so it should be with you in the next two working days.")),
        ("where is my replacement card, ordered ages ago", ("Apologies for the wait. I've cancelled the old card and "
                                                           "ordered a new one by tracked delivery.")),
        ("card still not delivered after 10 days", ("Sorry about this. Cards take 3-5 working days; after 10 I'll "
                                                   "reissue it today at no cost."))]
EDIT = " Is there anything else I can help with?"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_workspace(tmp_path_factory.mktemp("assist-browser") / "project")


@pytest.fixture(scope="module")
def assist_gateway(redis_url: str, reduced_model: Path, action_server_url: str, workspace: Path,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    url = redis_url.rsplit("/", 1)[0] + f"/{ASSIST_BROWSER_DB}"
    in_thread(flush_and_seed, url)
    gw = start_gateway(url, reduced_model, action_server_url, tmp_path_factory.mktemp("assist-browser-gw"),
                       "gw-assist-ui", extra_env=admin_env(workspace))
    wait_for_nlu_workers(gw, 300 * TIME_SCALE)  # before, parses run in the gateway and every frame waits
    try:
        yield gw
    finally:
        stop(gw.proc)


def flush_and_seed(url: str) -> None:
    redis.Redis.from_url(url).flushdb()  # this module's own database: the index starts empty
    seed_accounts(url)


def in_thread(fn: Callable[..., object], *args: object) -> object:
    """Playwright's sync API keeps an event loop running in this thread: asyncio work goes to another."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()


def resolved_chats(gateway: LiveGateway) -> None:
    """Earlier chats about late cards that sam answered and closed as resolved: they feed the index."""
    async def run() -> None:
        sam = await Agent.connect(gateway, "sam")
        for question, reply in PAST:
            c = await Customer.connect(gateway)
            await c.send(type="request_human")
            await c.expect("state", state="queued", timeout=60 * TIME_SCALE)
            await sam.do("claim", conversation_id=c.cid)
            await sam.expect("claimed", conversation_id=c.cid)
            await c.say(question)
            sent = uuid.uuid4().hex
            await sam.send(type="message", conversation_id=c.cid, client_id=sent, text=reply)
            await sam.expect("ack", client_id=sent, timeout=60 * TIME_SCALE)  # patient: a shared machine
            await asyncio.sleep(0.25)  # the agent socket's rate limit is 5 frames/s
            await sam.do("close", conversation_id=c.cid, resolution="resolved")
            await c.expect("state", state="closed", timeout=60 * TIME_SCALE)
            await c.close()
            await asyncio.sleep(0.25)
        await sam.close()

    asyncio.run(run())
    client = redis.Redis.from_url(gateway.redis_url)
    for _ in range(int(120 * TIME_SCALE)):  # indexed in the background after each close
        if client.xlen(keys.ASSIST_INDEX) >= len(PAST):
            return
        __import__("time").sleep(0.5)
    raise AssertionError("the resolved chats never reached the assist index")


def sign_in(page: Page, gateway: str, path: str, username: str) -> None:
    page.goto(gateway + path)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(ACCOUNTS[username][0])
    page.get_by_role("button", name="Sign in").click()


def test_the_agent_drafts_from_assist_edits_sends_and_teaches_the_bot(
        assist_gateway: LiveGateway, open_page: Callable[..., Page], workspace: Path,
        monkeypatch: pytest.MonkeyPatch, screenshot: Callable[[Page, str], Path]) -> None:
    in_thread(resolved_chats, assist_gateway)

    # The agent is signed in before the customer writes.
    agent = open_page(viewport={"width": 1440, "height": 900})
    sign_in(agent, assist_gateway, "/console", "sam")
    expect(agent.locator("#conn-status")).to_have_text("Connected")

    # A signed-in customer asks a routine question inside an upset message, and is handed over.
    name = f"Robin {uuid.uuid4().hex[:4]}"
    customer = open_page()
    context = sign_context({"name": name, "customer_id": "HB-assist", "cards": [{"last_four": "4821", "type": "debit"}]},
                           assist_gateway.context_secret, 3600)
    customer.route("**/api/demo-context", lambda route: route.fulfill(json={"context": context}))
    customer.goto(assist_gateway + "/")
    customer.get_by_role("button", name="Sign in as Alex Morgan").click()
    customer.get_by_role("button", name=re.compile(r"^Chat with Harbour Bank")).click()
    box = customer.get_by_role("textbox", name="Your message")
    box.fill(UPSET)
    box.press("Enter")
    queued = customer.locator('#tandem-chat-widget .notice[data-event="queued"]')
    if not queued.count():  # the escalation policy may judge it; the button is the customer's sure way
        customer.wait_for_timeout(int(3000 * TIME_SCALE))
        if not queued.count():
            customer.locator("#tandem-chat-widget button.human").click()
    expect(queued.last).to_be_visible()

    # The agent claims it: the summary and three drafts, before writing a word.
    row = agent.locator("[data-testid=queue-item]").filter(has_text=name)
    row.get_by_role("button", name="Claim").click()
    pane = agent.locator(".conversation:not([hidden])")
    summary = pane.locator(".assist-summary")
    expect(summary).to_contain_text(f"{name} (signed in, 1 card)")
    expect(summary).to_contain_text("Mood:")
    expect(summary).to_contain_text("Handed over:")
    drafts = pane.locator(".assist-draft")
    expect(drafts).to_have_count(3)
    expect(pane.locator(".assist-draft.assist-past_reply").first).to_contain_text("% similar")
    texts = drafts.locator(".assist-text").all_inner_texts()
    assert len(set(texts)) == 3
    screenshot(agent, "assist-console")

    # One click puts a past reply in the reply box; the agent edits it and sends it.
    chosen = pane.locator(".assist-draft.assist-past_reply").first
    draft = chosen.locator(".assist-text").inner_text()
    chosen.get_by_role("button", name="Insert").click()
    reply = pane.get_by_role("textbox", name="Reply")
    expect(reply).to_have_value(draft)
    reply.press("End")
    reply.type(EDIT)
    reply.press("Enter")
    sent = draft + EDIT
    expect(pane.locator(".msg-agent:not(.pending) .msg-text")).to_have_text([sent])

    # The customer sees the sent text and nothing else of the drafts (a bot-answer draft may repeat what the
    # bot itself told them before the hand-over: that is in the bot's bubbles, not the agent's).
    agent_bubbles = customer.locator("#tandem-chat-widget .msg.from-agent .bubble")
    expect(agent_bubbles).to_have_count(1)
    expect(agent_bubbles.first).to_have_text(sent)
    everything = " ".join(customer.locator("#tandem-chat-widget .msg .bubble").all_inner_texts())
    bot_said = " ".join(customer.locator("#tandem-chat-widget .msg.from-bot .bubble").all_inner_texts())
    for other in texts:
        if other != draft and other not in bot_said:
            assert other not in everything

    # Teach the bot: the reply as the answer for "card arrival".
    teach = pane.locator(".assist-teach")
    expect(teach).to_be_visible()
    teach.get_by_label("Propose as").select_option("answer")
    teach.get_by_label("Intent").select_option("card_arrival")
    teach.get_by_role("button", name="Propose").click()
    expect(teach.locator(".assist-teach-status")).to_have_text("Proposed to the admins.")

    # The admin accepts it on /admin.
    admin = open_page()
    sign_in(admin, assist_gateway, "/admin", "ada")
    admin.get_by_role("tab", name="Proposals").click()
    item = admin.locator(".proposal").filter(has_text=sent)
    expect(item).to_be_visible()
    expect(item).to_contain_text(UPSET[:40])
    expect(admin.locator('.assist-count[data-counter="edited"] strong')).to_have_text("1")
    item.get_by_role("button", name="Accept").click()
    expect(admin.locator("#toast")).to_contain_text("training data for the next retrain")

    # The next retrain reads data/nlu/*.yml from the project (bot/train.py training_files): it is there.
    examples = read_examples(workspace / NLU_FILE)
    learned = [text for text, intent in examples.items() if intent == "card_arrival"]
    assert any("hasn't arrived" in t for t in learned), learned
    monkeypatch.chdir(workspace)
    from bot.train import training_files

    assert str(NLU_FILE) in training_files(workspace / "out", None)
    assert accepted_answers(workspace)["card_arrival"][0] == sent
    assert (workspace / ACCEPTED_FILE).is_file() and os.path.getsize(workspace / ACCEPTED_FILE) > 0
