"""Numbers an admin can trust, end to end in Chromium: seven conversations of known kinds are driven through
the widget (the real assistant, reduced model) and the console, then every dashboard figure is compared with
its value worked out by hand, each figure's list with exactly the conversations behind it, and the NLU inbox
with what it must and must not hold.

The conversations (A-G), on a gateway and Redis database of their own, so no other test's chats count:
- A contained: a routine question.
- B contained, and its answer rated thumbs-down with "what was wrong".
- C contained: a form (a failed top-up) whose questions the customer answers ("Apple Pay", "50"): slot
  answers, which must never be fallbacks, top intents or inbox items.
- D escalated with the "talk to a person" button (explicit); Sam claims it, answers, and flags the bot's
  earlier answer as wrong.
- E escalated for negativity, F for a sensitive topic, G for failure, by the policy on their first message.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.console_page import Console
from tests.browser.widget_page import Widget, conversation_id
from tests.gateway import ACCOUNTS, LiveGateway, seed_accounts, start_gateway
from tests.support import stop

pytestmark = [pytest.mark.browser, pytest.mark.model]
NUMBERS_DB = 14  # its own (console_day uses 12)
BOT_WAIT_MS = 60_000


@pytest.fixture(scope="module")
def desk(redis_url: str, reduced_model: Path, action_server_url: str,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    import redis

    url = redis_url.rsplit("/", 1)[0] + f"/{NUMBERS_DB}"
    redis.Redis.from_url(url).flushdb()
    seed_accounts(url)
    gw = start_gateway(url, reduced_model, action_server_url, tmp_path_factory.mktemp("gateway-numbers"), "gw-numbers")
    try:
        yield gw
    finally:
        stop(gw.proc)


def signed_in(open_page: Callable[..., Page], gw: str, username: str) -> Page:
    page = open_page(viewport={"width": 1280, "height": 900})
    resp = page.context.request.post(gw + "/api/login", data={"username": username, "password": ACCOUNTS[username][0]})
    assert resp.ok, resp.text()
    return page


def bot_answer(w: Widget, text: str) -> None:
    """Say `text` and wait for the assistant's (or the queue's) answer to it."""
    before = w.page.locator("#tandem-chat-widget .msg.from-bot, #tandem-chat-widget .notice").count()
    w.say(text)
    expect(w.page.locator("#tandem-chat-widget .msg.from-bot, #tandem-chat-widget .notice")).not_to_have_count(
        before, timeout=BOT_WAIT_MS)
    expect(w.mine(text)).to_have_attribute("data-status", "sent")


def chat(open_page: Callable[..., Page], gw: str, *texts: str) -> Widget:
    w = Widget(open_page()).load(gw).open()
    for text in texts:
        bot_answer(w, text)
    return w


def handed_over(w: Widget) -> None:
    expect(w.handover_notice()).to_have_count(1, timeout=BOT_WAIT_MS)


def slot_answers(gw: LiveGateway, cid: str) -> dict[str, str]:
    """Customer text -> the form that was waiting for it, as stored with the message's NLU annotation."""
    import json

    import redis

    from handoff.storage import keys

    r = redis.Redis.from_url(gw.redis_url, decode_responses=True)
    texts = {int(entry_id.split("-")[0]): json.loads(f["m"]).get("text") for entry_id, f in r.xrange(keys.log(cid))}
    notes = {int(seq): json.loads(v) for seq, v in r.hgetall(keys.nlu(cid)).items()}
    return {texts[seq]: n["form"] for seq, n in notes.items() if n.get("form")}


def listed(page: Page, button: str) -> set[str]:
    """Open the list behind a figure (the button's CSS selector) and read the conversations it names."""
    page.locator(button).click()
    expect(page.locator("#drill")).to_have_attribute("data-state", "ready")
    rows = page.locator("#drill-table tbody tr")
    return {rows.nth(i).get_attribute("data-conversation") or "" for i in range(rows.count())}


def test_every_figure_equals_its_hand_computed_value_and_lists_exactly_its_conversations(
        desk: LiveGateway, open_page: Callable[..., Page], tmp_path: Path) -> None:
    gw = str(desk)
    sam = Console(open_page(viewport={"width": 1280, "height": 900}), gw).sign_in(
        ("sam", ACCOUNTS["sam"][0], "agent", "Sam", 3))

    a = chat(open_page, gw, "when will my new card arrive?")
    b = chat(open_page, gw, "how much is 1 pound in dollars today")
    answer = b.page.locator("#tandem-chat-widget .msg.from-bot").last
    answer.get_by_role("button", name="Not helpful").click()
    answer.get_by_role("textbox", name="What was wrong? (optional)").fill("I asked about dollars, not fees")
    answer.get_by_role("button", name="Send").click()
    expect(answer.locator(".feedback-status")).to_have_text("Thanks for telling us.")
    c = chat(open_page, gw, "top up failed", "Apple Pay", "50")
    d = chat(open_page, gw, "I have a question about my account")
    d.human.click()
    handed_over(d)
    e = chat(open_page, gw, "this is useless, I am absolutely furious with you")
    f = chat(open_page, gw, "someone stole my card and took money from my account")
    g = chat(open_page, gw, "you keep going round in circles")
    for w in (e, f, g):
        handed_over(w)
    for w in (a, b, c):
        expect(w.handover_notice()).to_have_count(0)
    ids = {name: conversation_id(w.page) for name, w in zip("abcdefg", (a, b, c, d, e, f, g))}
    assert slot_answers(desk, ids["c"]) == {"Apple Pay": "topup_form", "50": "topup_form"}

    # Sam takes D, answers, and marks the bot's answer before the hand-over as wrong.
    sam.page.locator(f'[data-testid=queue-item][data-conversation-id="{ids["d"]}"]').get_by_role(
        "button", name="Claim").click()
    sam.write("Hi, Sam here. Let me look at your account.")
    expect(sam.messages("agent")).to_have_count(1)
    flag = sam.messages("bot").last.get_by_role("button", name="Bot got this wrong")
    flag.click()
    expect(sam.messages("bot").last.locator("[data-flagged=true]")).to_have_text("Flagged for review")

    page = signed_in(open_page, gw, "ada")
    page.goto(gw + "/dashboard")
    expect(page.locator("body")).to_have_attribute("data-state", "ready")
    kpi = lambda name, part: page.locator(f"#kpi-{name} .{part}")
    # By hand: 7 counted; A, B, C never escalated; D, E, F, G once each, one reason each; one handover (D).
    expect(kpi("containment", "value")).to_have_text("43%")  # 3 / 7
    expect(kpi("containment", "sub")).to_have_text("3 of 7 conversations resolved without a person")
    expect(kpi("escalation", "value")).to_have_text("57%")  # 4 / 7
    expect(kpi("escalation", "sub")).to_have_text("4 conversations escalated (4 escalations)")
    expect(kpi("first-response", "sub")).to_contain_text("median of 1 ·")
    expect(kpi("handle", "sub")).to_contain_text("median of 0 handovers")  # D is still with Sam
    expect(kpi("answers", "value")).to_have_text("0 · 1")
    expect(kpi("answers", "sub")).to_have_text("0% up · 1 flagged by agents")
    expect(kpi("ratings", "sub")).to_have_text("bot 0 ratings · agents 0 ratings")
    reasons = {row.get_attribute("data-kind"): row.locator("td.num").inner_text()
               for row in page.locator("#table-reasons tbody tr").all()}
    assert reasons == {"explicit": "1", "negativity": "1", "sensitive": "1", "failure": "1"}
    agents = page.locator("#table-agents tbody tr")
    expect(agents).to_have_count(1)
    expect(agents.first.locator("td").nth(0)).to_have_text("sam")
    expect(agents.first.locator("td").nth(1)).to_have_text("1")
    expect(agents.first.locator("td").nth(2)).to_have_text("1")
    for slot_answer in ("Apple Pay", "50"):  # the form's answers are not the bot's failures
        expect(page.locator("#table-fallbacks tbody td").filter(has_text=slot_answer)).to_have_count(0)

    every = set(ids.values())
    assert listed(page, '#kpi-containment [data-figure="conversations"]') == every
    assert listed(page, '#kpi-containment [data-figure="contained"]') == {ids["a"], ids["b"], ids["c"]}
    assert listed(page, '#kpi-escalation [data-figure="escalated"]') == {ids[k] for k in "defg"}
    for kind, who in (("explicit", "d"), ("negativity", "e"), ("sensitive", "f"), ("failure", "g")):
        assert listed(page, f'#table-reasons tr[data-kind="{kind}"] button') == {ids[who]}
    assert listed(page, '#kpi-first-response [data-figure="queue_wait"]') == {ids["d"]}
    assert listed(page, '#kpi-answers [data-figure="thumbs_down"]') == {ids["b"]}
    assert listed(page, '#kpi-answers [data-figure="thumbs_up"]') == set()
    assert listed(page, '#kpi-answers [data-figure="flagged"]') == {ids["d"]}
    assert listed(page, '#table-agents tr[data-agent="sam"] button') == {ids["d"]}
    # Each row opens its conversation read-only in the console (the #24 view).
    expect(page.locator(f'#drill-table tr[data-conversation="{ids["d"]}"] a')).to_have_attribute(
        "href", f"/console/?view={ids['d']}")

    # CSV of the list: the same rows, full ids.
    with page.expect_download() as download:
        page.locator('#drill button[data-csv="drill-table"]').click()
    path = tmp_path / "list.csv"
    download.value.save_as(path)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert rows[0][:3] == ["Conversation", "Started", "Handled by"] and [r[0] for r in rows[1:]] == [ids["d"]]

    # The inbox: the thumbs-down and the flagged answers' questions, in their conversations; no slot answer.
    admin = page.context.request
    down = admin.get(gw + "/api/admin/inbox?reason=thumbs_down").json()["items"]
    assert [(i["text"], i["conversation_id"]) for i in down] == [("how much is 1 pound in dollars today", ids["b"])]
    flagged = admin.get(gw + "/api/admin/inbox?reason=agent_flag").json()["items"]
    assert [(i["text"], i["conversation_id"]) for i in flagged] == [("I have a question about my account", ids["d"])]
    texts = [i["text"] for i in admin.get(gw + "/api/admin/inbox").json()["items"]]
    assert "Apple Pay" not in texts and "50" not in texts
    page.goto(gw + "/admin")
    page.locator("#inbox-reason").select_option("thumbs_down")
    item = page.locator(".item").filter(has_text="how much is 1 pound in dollars today")
    expect(item).to_have_count(1)
    expect(item.get_by_role("link", name="in its conversation")).to_have_attribute("href", f"/console/?view={ids['b']}")
