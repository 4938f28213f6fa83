"""The live-agent console in real Chromium against the live gateway (real Redis, reduced Rasa model, actions).

Customers use the widget on the demo page, each in their own browser context; agents use /console in theirs.
Every customer gets a unique name through a signed context (what the bank's site would send), so the tests
find their own conversation in the queue that the whole test session shares.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable

import pytest
import redis
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, expect

from handoff.core.context import sign_context
from handoff.storage import keys
from tests.browser.console_page import Console
from tests.gateway import LiveGateway
from tests.support import ROOT, TIME_SCALE

pytestmark = [pytest.mark.browser, pytest.mark.model]

ANGRY = "This is ridiculous, third time I'm asking, I want a real person NOW"
XSS = '<img src=x onerror="window.__pwned = 1">'
DOCS_SCREENSHOT = ROOT / "docs" / "img" / "console.png"

# Recorded in the agent's page (not the app): when each queue row first appeared, and the sound and
# notification calls the console made, observed on the real browser APIs.
OBSERVE_CONSOLE = """
window.__seen = {};
window.__beeps = 0;
window.__notified = [];
new MutationObserver(() => {
  for (const li of document.querySelectorAll("li.queue-item")) {
    const id = li.dataset.conversationId;
    if (!(id in window.__seen)) window.__seen[id] = Date.now();
  }
}).observe(document, { childList: true, subtree: true });
const osc = AudioContext.prototype.createOscillator;
AudioContext.prototype.createOscillator = function () { window.__beeps += 1; return osc.call(this); };
const RealNotification = window.Notification;
window.Notification = class extends RealNotification {
  constructor(title, options) { super(title, options); window.__notified.push(title); }
};
"""


class Customer:
    """A signed-in customer on the bank's demo page, with a name of their own."""

    def __init__(self, page: Page, gateway: LiveGateway, name: str) -> None:
        self.page, self.name = page, name
        context = sign_context({"name": name, "customer_id": f"HB-{uuid.uuid4().hex[:6]}",
                                "cards": [{"last_four": "4821", "type": "debit", "label": "Everyday debit"}]},
                               gateway.context_secret, 3600)
        # The bank's site signs who is logged in; here that endpoint answers for this test's customer.
        page.route("**/api/demo-context", lambda route: route.fulfill(json={"context": context}))
        page.goto(gateway + "/")
        page.get_by_role("button", name="Sign in as Alex Morgan").click()
        expect(page.get_by_text("Signed in as Alex Morgan")).to_be_visible()
        page.get_by_role("button", name=re.compile(r"^Chat with Harbour Bank")).click()
        self.input = page.get_by_role("textbox", name="Your message")
        expect(self.input).to_be_focused()

    def say(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")

    def ask_for_person(self) -> None:
        self.page.locator("#tandem-chat-widget button.human").click()
        expect(self.notices("queued").or_(self.notices("no_agents")).last).to_be_visible()

    def bubbles(self, sender: str) -> Locator:
        return self.page.locator(f"#tandem-chat-widget .msg.from-{sender}")

    def notices(self, event: str) -> Locator:
        return self.page.locator(f'#tandem-chat-widget .notice[data-event="{event}"]')


@pytest.fixture
def console(open_page: Callable[..., Page], live_gateway: LiveGateway) -> Callable[..., Console]:
    def make(observe: bool = False) -> Console:
        page = open_page(viewport={"width": 1440, "height": 900})
        if observe:
            page.context.grant_permissions(["notifications"])
            page.add_init_script(OBSERVE_CONSOLE)
        return Console(page, live_gateway)

    return make


@pytest.fixture
def customer(open_page: Callable[..., Page], live_gateway: LiveGateway) -> Callable[[str], Customer]:
    return lambda first_name: Customer(open_page(), live_gateway, f"{first_name} {uuid.uuid4().hex[:4]}")


def test_angry_customer_is_claimed_answered_handed_back_and_closed(console, customer, account, screenshot) -> None:
    kim = console(observe=True).sign_in(account("Kim"))
    jo = customer("Jordan")
    jo.say("hello")
    expect(jo.bubbles("bot")).to_have_count(1)

    # The customer gets angry: the agent's queue shows them within a second of the escalation.
    jo.say(ANGRY)
    row = kim.row(jo.name)
    expect(row).to_be_visible()
    cid = row.get_attribute("data-conversation-id")
    seen_ms = kim.page.evaluate(f"window.__seen['{cid}']")
    waiting_since = int(row.locator(".wait").get_attribute("data-since"))
    assert seen_ms - waiting_since < 1000 * TIME_SCALE, f"escalation took {seen_ms - waiting_since} ms to show"
    expect(row.locator(".emo")).to_be_visible()
    assert kim.page.evaluate("window.__beeps") >= 2  # two-tone beep
    assert any(jo.name in title for title in kim.page.evaluate("window.__notified"))

    # Claim: the whole story, bot part included, with an emotion chip per customer message and the trend.
    kim.claim(jo.name)
    expect(kim.messages("customer")).to_have_count(2)
    expect(kim.messages("customer").filter(has_text=ANGRY)).to_have_count(1)
    expect(kim.messages("bot").first).to_be_visible()
    expect(kim.messages("customer").locator(".emo")).to_have_count(2)
    expect(kim.pane.locator("svg.trend circle")).to_have_count(2)
    expect(kim.pane.locator(".reason-card .reason-kind")).not_to_be_empty()
    expect(kim.pane.locator(".context-card")).to_contain_text(jo.name)
    expect(kim.pane.locator(".context-card")).to_contain_text("•••• 4821")
    expect(jo.notices("claimed")).to_have_count(1)

    kim.write(f"Hi {jo.name.split()[0]}, I'm Kim. I've read everything above, so no need to repeat it.")
    expect(jo.bubbles("agent")).to_have_count(1)
    expect(jo.bubbles("agent")).to_contain_text("I'm Kim")
    jo.say("ok thank you, my card payment was declined twice")
    expect(kim.messages("customer")).to_have_count(3)
    expect(kim.pane.locator("svg.trend circle")).to_have_count(3)
    screenshot(kim.page, "console-conversation")
    if os.environ.get("TANDEM_UPDATE_DOCS_IMG") == "1":  # refresh the README's picture from a real run
        kim.page.screenshot(path=str(DOCS_SCREENSHOT))

    # Hand back: the bot answers the next message.
    kim.pane.get_by_role("button", name="Hand back to bot").click()
    expect(jo.notices("handback")).to_have_count(1)
    expect(kim.pane.locator(".state-pill")).to_have_text("with the bot")
    bot_before = jo.bubbles("bot").count()
    jo.say("Which currencies do you support?")
    # Exactly one new bot message, and it is the answer (not a fallback: the rules match after hand-back).
    expect(jo.bubbles("bot")).to_have_count(bot_before + 1)
    expect(jo.bubbles("bot").last).to_contain_text("Exchange → Add currency")
    expect(jo.bubbles("agent")).to_have_count(1)
    # Kim still watches (issue #24): the customer's message to the bot and the bot's answer reach her pane.
    expect(kim.pane.locator(".watch-bar")).to_contain_text("Handed back to the assistant")
    expect(kim.messages("customer").filter(has_text="Which currencies do you support?")).to_have_count(1)
    expect(kim.messages("bot").last).to_contain_text("Exchange → Add currency")

    # Back to a person, then closed: the customer rates, the agent sees it in "History" (closed today).
    jo.ask_for_person()
    kim.claim(jo.name)
    kim.pane.get_by_label("Resolution").select_option("resolved")
    kim.pane.get_by_role("button", name="Close chat").click()
    expect(jo.notices("closed")).to_have_count(1)
    jo.page.locator('#tandem-chat-widget label[for="tdm-star-4"]').click()
    jo.page.get_by_role("button", name="Send rating").click()
    expect(kim.toast).to_contain_text(f"{jo.name} rated the chat ★★★★☆")
    kim.page.get_by_role("tab", name=re.compile("History")).click()
    closed = kim.page.locator("#closed-body tr").filter(has_text=jo.name)
    expect(closed).to_contain_text("resolved")
    expect(closed).to_contain_text("★★★★☆")


def test_transfer_moves_the_conversation_and_only_the_new_agent_may_read_it(console, customer, account) -> None:
    lee_account = account("Lee")
    kim, lee = console().sign_in(account("Kim")), console().sign_in(lee_account)
    ana = customer("Ana")
    ana.ask_for_person()
    kim.claim(ana.name)
    cid = kim.pane.get_attribute("data-conversation-id")
    open_frame = f'{{"type": "open", "conversation_id": "{cid}"}}'
    assert lee.raw_socket_error(open_frame) == "forbidden"  # Kim's chat is not Lee's to read

    ana.say(XSS)  # markup from a customer stays text in the console
    expect(kim.messages("customer").filter(has_text=XSS)).to_have_count(1)
    assert kim.pane.locator(".transcript img").count() == 0
    assert kim.page.evaluate("window.__pwned") is None
    kim.write("Card checked: nothing suspicious. Passing to Lee for the refund.", note=True)
    expect(kim.messages("note")).to_have_count(1)

    # Away agents cannot receive transfers; back online they can.
    lee.page.get_by_role("button", name="Away").click()
    transfer = kim.pane.get_by_label("Transfer to")
    lee_option = transfer.locator(f'option[value="{lee_account[0]}"]')
    expect(lee_option).to_be_disabled()
    lee.page.get_by_role("button", name="Online").click()
    expect(lee_option).to_be_enabled()
    transfer.select_option(lee_account[0])
    kim.pane.get_by_role("button", name="Transfer").click()

    expect(lee.toast).to_contain_text(f"transferred {ana.name} to you")
    lee.tab(ana.name).click()
    expect(lee.messages("note")).to_contain_text("nothing suspicious")  # the private context travels
    expect(lee.messages("customer").filter(has_text=XSS)).to_have_count(1)
    expect(kim.tab(ana.name)).to_have_count(0)
    assert kim.raw_socket_error(open_frame) == "forbidden"  # and Kim can no longer read it
    assert lee.raw_socket_error(open_frame) == "transcript"
    ana.input.press_sequentially("where is my", delay=30)  # typing shows both ways
    expect(lee.pane.get_by_text("Customer is typing…")).to_be_visible()
    lee.pane.get_by_role("textbox", name="Reply").press_sequentially("One mo", delay=30)
    expect(ana.page.locator("#tandem-chat-widget .typing")).to_contain_text("Lee is typing")
    lee.write("Hi, Lee here. I'll sort the refund out.")
    expect(ana.bubbles("agent").last).to_contain_text("Lee here")
    expect(ana.page.get_by_text("nothing suspicious")).to_have_count(0)  # notes never reach the customer

    results = Axe().run(lee.page, options={"resultTypes": ["violations"]})
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, results.generate_report()


def test_agent_takes_several_chats_in_tabs_up_to_capacity(console, customer, account) -> None:
    kim = console().sign_in(account("Kim", capacity=2))
    people = [customer(name) for name in ("Bea", "Cal", "Dee")]
    for person in people:
        person.ask_for_person()
        expect(kim.row(person.name)).to_be_visible()
    kim.claim(people[0].name)
    kim.claim(people[1].name)
    expect(kim.page.locator(".tab-conv")).to_have_count(2)
    expect(kim.page.locator("#capacity")).to_have_text("2 / 2 chats")
    expect(kim.row(people[2].name).get_by_role("button", name="Claim")).to_be_disabled()

    people[0].say("are you there?")
    expect(kim.tab(people[0].name).locator(".unread")).to_have_text("1")  # the other tab is showing
    kim.tab(people[0].name).click()
    expect(kim.messages("customer").filter(has_text="are you there?")).to_have_count(1)
    for person in people[:2]:
        kim.tab(person.name).click()
        kim.pane.get_by_role("button", name="Close chat").click()
        expect(person.notices("closed")).to_have_count(1)
    expect(kim.row(people[2].name).get_by_role("button", name="Claim")).to_be_enabled()


def test_admin_manages_canned_responses_that_agents_use(console, customer, account) -> None:
    ola = console().sign_in(account("Ola", role="admin"))
    title = f"Lost card {uuid.uuid4().hex[:4]}"
    ola.page.get_by_role("button", name="Canned responses").click()
    dialog = ola.page.get_by_role("dialog", name="Canned responses")
    dialog.get_by_label("Title").fill(title)
    dialog.get_by_label("Text").fill("Sorry to hear that, {name}. I've frozen the card while we look.")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.locator("#canned-admin-list")).to_contain_text(title)
    dialog.get_by_role("button", name="Done").click()
    expect(dialog).to_be_hidden()  # the emptied add form does not hold it open

    kim = console().sign_in(account("Kim"))
    expect(kim.page.get_by_role("button", name="Canned responses")).to_be_hidden()
    status = kim.page.evaluate("""() => fetch("/api/canned", {method: "POST", headers: {"Content-Type":
        "application/json"}, body: JSON.stringify({title: "x", text: "y"})}).then((r) => r.status)""")
    assert status == 403  # the hidden button is a courtesy; the server refuses agents
    eve = customer("Eve")
    eve.ask_for_person()
    kim.claim(eve.name)
    kim.pane.get_by_label("Canned response").select_option(label=title)
    first = eve.name.split()[0]
    expect(kim.pane.get_by_role("textbox", name="Reply")).to_have_value(
        f"Sorry to hear that, {first}. I've frozen the card while we look.")
    kim.pane.get_by_role("textbox", name="Reply").press("Enter")
    expect(eve.bubbles("agent")).to_contain_text(f"Sorry to hear that, {first}.")


def test_wrong_password_is_refused_with_a_clear_message(console, account) -> None:
    page = console().sign_in(account("Kim"), password="not-my-password", ok=False)
    expect(page.login_error).to_have_text("Wrong username or password.")
    expect(page.page.locator("#app-view")).to_be_hidden()
    assert not [c for c in page.page.context.cookies() if c["name"] == "tandem_session"]


def test_expired_session_sends_the_agent_back_to_sign_in(console, account, live_gateway: LiveGateway) -> None:
    kim = console().sign_in(account("Kim"))
    sid = next(c["value"] for c in kim.page.context.cookies() if c["name"] == "tandem_session")
    client = redis.Redis.from_url(live_gateway.redis_url)
    try:
        # The idle TTL runs out. Deleted rather than shortened: a shortened TTL is renewed by any request the
        # console still has in flight (every session read refreshes it), which made this test flaky under load.
        assert client.delete(keys.session(sid)) == 1
    finally:
        client.close()
    kim.page.get_by_role("button", name="Away").click()  # the next thing the agent does
    expect(kim.login_error).to_have_text("Your session has expired. Please sign in again.")
    expect(kim.page.locator("#app-view")).to_be_hidden()
    kim.page.reload()
    expect(kim.page.locator("#login-view")).to_be_visible()  # the cookie alone does not get back in


def test_sign_out_ends_the_session(console, account) -> None:
    kim = console().sign_in(account("Kim"))
    kim.page.get_by_role("button", name="Sign out").click()
    expect(kim.login_error).to_have_text("You have signed out.")
    kim.page.reload()
    expect(kim.page.locator("#login-view")).to_be_visible()
    expect(kim.page.locator("#app-view")).to_be_hidden()


def test_chips_header_and_escalation_box_tell_one_emotion_story_with_readable_intents(console, customer, account) -> None:
    """Each customer message's chip is the escalation policy's reading of it, explained on hover; the header is the
    latest message's; the escalation box says what its score measured and the message it was about is marked."""
    kim = console().sign_in(account("Kim"))
    jo = customer("Jordan")
    jo.say("I was charged a fee on my card payment")
    expect(jo.bubbles("bot")).to_have_count(1)
    jo.say(ANGRY)
    expect(kim.row(jo.name)).to_be_visible()
    kim.claim(jo.name)
    chips = kim.messages("customer").locator(".emo")
    expect(chips).to_have_count(2)
    for i in range(2):
        expect(chips.nth(i)).to_have_attribute("title", re.compile("Negativity the escalation policy read in this message: [01]\\.\\d\\d"))
        expect(chips.nth(i)).to_have_text(re.compile(r"^\w+ [01]\.\d\d$"))
    expect(kim.pane.locator(".conv-emotion .emo")).to_have_text(chips.nth(1).inner_text())
    expect(kim.pane.locator(".reason-score")).to_have_attribute("title", re.compile("."))
    angry = kim.messages("customer").filter(has_text=ANGRY)
    expect(angry.locator(".escalated-mark")).to_have_count(1)
    for label in kim.pane.locator(".intent").all_inner_texts():
        assert "_" not in label and label[:1].isupper(), label  # readable names, never identifiers
