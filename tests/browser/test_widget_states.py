"""Every state the widget shows is true and every control works only while it can: the queue banner with and
without advisers online and outside opening hours, stale buttons after a hand-back, the call-back form's
confirmation and errors, ending and rating a chat, the transcript download, starter topics, focus and Esc,
axe in each state, and a proactive event's transport.

Real Chromium against real gateway processes (real Redis) without the Rasa model (LOAD_BOT=0): these are
about the widget and the desk, not the bot's answers (those are in test_widget_queued.py). Each desk has its
own Redis database and opening hours, so which advisers are online is this module's business alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from handoff.core.proactive import sign_event
from tests.browser.conftest import PHONE
from tests.browser.test_widget import AgentOnAThread
from tests.browser.widget_page import Widget, conversation_id, serious_violations
from tests.gateway import LiveGateway, seed_accounts, start_gateway
from tests.support import stop

pytestmark = [pytest.mark.browser]

LONDON = "Europe/London"
SIZES = pytest.mark.parametrize("size", [{}, PHONE], ids=["desktop", "phone"])


def _desk(redis_url: str, tmp: Path, name: str, db: int, hours: str) -> Iterator[LiveGateway]:
    url = redis_url.rsplit("/", 1)[0] + f"/{db}"
    seed_accounts(url)
    gw = start_gateway(url, Path("no-model"), "http://127.0.0.1:9/webhook", tmp, name,
                       extra_env={"LOAD_BOT": "0", "OPENING_HOURS": hours, "OPENING_TIMEZONE": LONDON,
                                  "OPENING_HOLIDAYS": ""})
    try:
        yield gw
    finally:
        stop(gw.proc)


@pytest.fixture(scope="module")
def open_desk(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    """Open around the clock (so only who is online decides what the customer is told)."""
    yield from _desk(redis_url, tmp_path_factory.mktemp("open-desk"), "gw-open", 11, "Mon-Sun 00:00-24:00")


@pytest.fixture(scope="module")
def closed_desk(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    """Open only tomorrow, 09:00-17:00 London time: closed now, whenever the test runs."""
    tomorrow = (datetime.now(ZoneInfo(LONDON)) + timedelta(days=1)).strftime("%a")
    yield from _desk(redis_url, tmp_path_factory.mktemp("closed-desk"), "gw-closed", 15,
                     f"{tomorrow} 09:00-17:00")


@pytest.fixture
def customer(widget: Callable[..., Widget]) -> Callable[..., Widget]:
    """customer(gateway, **context_options): the widget open on the gateway's demo page, in London, en-GB."""
    return lambda gw, **options: widget(timezone_id=LONDON, locale="en-GB", **options).load(gw).open()


def queued(w: Widget) -> None:
    w.human.click()
    expect(w.handover_notice()).to_have_count(1)
    expect(w.subtitle).to_have_text("Waiting for a person")


# ---- the queue banner -----------------------------------------------------------------------------------


@SIZES
def test_nobody_online_the_banner_promises_no_wait(open_desk: LiveGateway, customer, size, screenshot) -> None:
    w = customer(open_desk, **size)
    queued(w)
    expect(w.queue).to_contain_text(re.compile(r"You're (next|number \d+) in the queue\."))
    expect(w.queue).to_contain_text("No advisers are online right now")
    expect(w.queue).not_to_contain_text("wait")
    expect(w.notices("no_agents")).not_to_contain_text("typical wait")
    screenshot(w.page, f"widget-queued-nobody-{'phone' if size else 'desktop'}")
    assert not serious_violations(w.page)


@SIZES
def test_with_an_adviser_online_the_banner_gives_the_position_and_wait(open_desk: LiveGateway, customer,
                                                                        size) -> None:
    agent = AgentOnAThread(open_desk, "sam")
    try:
        agent.do("presence", status="online")
        agent.expect("presence", status="online")
        w = customer(open_desk, **size)
        queued(w)
        expect(w.queue).to_have_text(re.compile(r"You're (next|number \d+) in the queue\. Estimated wait: "))
        expect(w.notices("queued")).to_contain_text("typical wait")
        assert not serious_violations(w.page)  # queued

        agent.do("claim", conversation_id=conversation_id(w.page))
        expect(w.subtitle).to_have_text("Chatting with Sam")
        expect(w.queue).to_be_hidden()
        assert not serious_violations(w.page)  # with an adviser
    finally:
        agent.close()


@SIZES
def test_outside_opening_hours_the_banner_says_when_advisers_are_back(closed_desk: LiveGateway, customer,
                                                                      size) -> None:
    w = customer(closed_desk, **size)
    queued(w)
    expect(w.queue).to_contain_text("Our advisers are back tomorrow at 09:00.")
    expect(w.notices("no_agents")).to_contain_text("Our advisers are back tomorrow at 09:00.")
    expect(w.queue).not_to_contain_text("wait")


# ---- controls that outlive their state ------------------------------------------------------------------


def test_after_hand_back_the_queue_buttons_are_disabled(open_desk: LiveGateway, customer) -> None:
    w = customer(open_desk)
    queued(w)
    offer = w.notices("no_agents")
    stay = offer.get_by_role("button", name="Stay in the queue")
    leave = offer.get_by_role("button", name="Leave a message for a call back")
    expect(stay).to_be_enabled()
    stay.focus()
    w.page.keyboard.press("Enter")
    expect(w.notices("stayed")).to_contain_text("You're staying in the queue")  # acknowledged
    expect(w.input).to_be_focused()  # the pressed button is disabled now: focus is back in the composer
    expect(stay).to_be_disabled()
    expect(leave).to_be_disabled()  # one choice per offer

    agent = AgentOnAThread(open_desk, "sam")
    try:
        cid = conversation_id(w.page)
        agent.do("claim", conversation_id=cid)
        agent.expect("claimed", conversation_id=cid)
        expect(w.subtitle).to_have_text("Chatting with Sam")
        agent.do("handback", conversation_id=cid)
        expect(w.notices("handback")).to_have_count(1)
        expect(w.human).to_be_visible()
        for button in offer.get_by_role("button").all():
            expect(button).to_be_disabled()  # the old queue offer cannot book anything now
    finally:
        agent.close()


def test_the_call_back_form_ends_in_a_confirmation(open_desk: LiveGateway, customer, screenshot) -> None:
    w = customer(open_desk)
    queued(w)
    w.notices("no_agents").get_by_role("button", name="Leave a message for a call back").click()
    form = w.page.locator("#tandem-chat-widget form.callback")
    text = form.get_by_label("What should we call you back about?")
    expect(text).to_be_focused()
    assert not serious_violations(w.page)  # the call-back form
    form.get_by_role("button", name="Request a call back").click()
    expect(form.get_by_role("alert")).to_have_text("Please say what we should call you back about.")
    text.fill("Please call me about my blocked card, 07700 900123")
    form.get_by_role("button", name="Request a call back").click()
    expect(w.notices("callback")).to_contain_text("An adviser will call you back")
    expect(form).to_have_count(0)
    expect(w.page.get_by_text("This chat has ended.")).to_be_visible()
    expect(w.page.get_by_role("button", name="Start a new chat")).to_be_focused()
    screenshot(w.page, "widget-callback-confirmed")


def test_the_call_back_form_says_so_when_it_cannot_be_sent(open_desk: LiveGateway, customer) -> None:
    w = customer(open_desk)
    queued(w)
    w.notices("no_agents").get_by_role("button", name="Leave a message for a call back").click()
    form = w.page.locator("#tandem-chat-widget form.callback")
    form.get_by_label("What should we call you back about?").fill("Call me about my card")
    w.page.context.set_offline(True)
    expect(w.banner).to_contain_text("offline")
    form.get_by_role("button", name="Request a call back").click()
    expect(form.get_by_role("alert")).to_have_text("We're offline right now. Please try again in a moment.")
    expect(w.notices("callback")).to_have_count(0)
    w.page.context.set_offline(False)
    expect(w.banner).to_be_hidden()
    form.get_by_role("button", name="Request a call back").click()
    expect(w.notices("callback")).to_contain_text("An adviser will call you back")


def test_a_server_refusal_of_the_call_back_is_shown_in_the_form(open_desk: LiveGateway, customer) -> None:
    """The widget thinks the chat is queued, the server knows it is not (a state frame lost in transit)."""
    w = customer(open_desk)
    w.page.route_web_socket(re.compile(r"/ws/customer$"), _drop_closing_state_frames)
    w.page.reload()
    expect(w.panel).to_be_visible()
    queued(w)
    w.notices("no_agents").get_by_role("button", name="Leave a message for a call back").click()
    agent = AgentOnAThread(open_desk, "ada")  # an admin closes the queued chat; the widget never hears of it
    try:
        agent.do("close", conversation_id=conversation_id(w.page), resolution="duplicate")
        expect(w.notices("closed")).to_have_count(1)
    finally:
        agent.close()
    form = w.page.locator("#tandem-chat-widget form.callback")
    form.get_by_label("What should we call you back about?").fill("Call me about my card")
    form.get_by_role("button", name="Request a call back").click()
    expect(form.get_by_role("alert")).to_have_text(
        "This chat is no longer waiting for an adviser, so that could not be sent.")
    expect(form.get_by_role("button", name="Request a call back")).to_be_enabled()


def _drop_closing_state_frames(ws) -> None:  # type: ignore[no-untyped-def]
    server = ws.connect_to_server()
    ws.on_message(lambda message: server.send(message))
    server.on_message(lambda message: None if '"state":"closed"' in str(message) else ws.send(message))


# ---- no silence: ending, rating, keeping a copy, starting points ----------------------------------------


@SIZES
def test_the_customer_ends_the_chat_and_rates_it(open_desk: LiveGateway, customer, size, screenshot) -> None:
    w = customer(open_desk, **size)
    w.say("hello")
    expect(w.mine("hello")).to_have_attribute("data-status", "sent")
    w.page.get_by_role("button", name="End chat").click()
    confirm = w.page.get_by_role("group", name="End this chat?")
    expect(confirm.get_by_role("button", name="Yes, end chat")).to_be_focused()
    confirm.get_by_role("button", name="Cancel").click()
    expect(w.page.get_by_role("button", name="End chat")).to_be_focused()  # nothing ended
    w.page.get_by_role("button", name="End chat").click()
    confirm.get_by_role("button", name="Yes, end chat").click()
    expect(w.notices("ended")).to_contain_text("You ended the chat")
    expect(w.subtitle).to_have_text("Chat ended")
    expect(w.input).to_be_hidden()
    rating = w.page.get_by_role("group", name=re.compile("How did we do"))
    expect(rating).to_be_visible()
    assert not serious_violations(w.page)  # closed, with the rating form
    screenshot(w.page, f"widget-ended-rating-{'phone' if size else 'desktop'}")
    rating.locator("label", has_text="5 stars out of 5").click()
    w.page.get_by_role("button", name="Send rating").click()
    expect(w.notices("rated")).to_have_count(1)
    expect(rating).to_have_count(0)
    assert not serious_violations(w.page)  # closed


def test_the_transcript_downloads_as_the_customer_saw_it(open_desk: LiveGateway, customer) -> None:
    w = customer(open_desk)
    w.say("Where is my card?")
    expect(w.mine("Where is my card?")).to_have_attribute("data-status", "sent")
    queued(w)
    with w.page.expect_download() as info:
        w.page.locator("#tandem-chat-widget .tools").get_by_role("button", name="Download transcript").click()
    download = info.value
    assert re.fullmatch(r"harbour-bank-chat-\d{4}-\d{2}-\d{2}\.txt", download.suggested_filename)
    text = Path(download.path()).read_text(encoding="utf-8")
    assert text.startswith("Chat with Harbour Bank")
    assert re.search(r"^You \(\d\d:\d\d\): Where is my card\?$", text, re.MULTILINE), text
    assert "No advisers are online right now" in text  # the notices too, in order
    assert text.index("Where is my card?") < text.index("No advisers are online")


def test_the_empty_chat_offers_starter_topics_and_one_talk_to_a_person(open_desk: LiveGateway, customer) -> None:
    w = customer(open_desk)
    starters = w.page.get_by_role("group", name="Popular topics")
    expect(starters).to_be_visible()
    expect(w.page.get_by_role("button", name="Talk to a person")).to_have_count(1)
    starters.get_by_role("button", name="I've lost my card").click()
    expect(w.mine("I've lost my card")).to_have_attribute("data-status", "sent")
    expect(starters).to_be_hidden()
    expect(w.input).to_be_focused()


def test_escape_closes_even_after_focus_fell_out_of_the_chat(open_desk: LiveGateway, customer) -> None:
    w = customer(open_desk)
    w.page.evaluate("document.activeElement && document.activeElement.blur()")
    w.page.locator("h1").first.click()  # focus on the page's body, as after a button that went away
    w.page.keyboard.press("Escape")
    expect(w.panel).to_be_hidden()


# ---- proactive help: transport ----------------------------------------------------------------------------


@SIZES
def test_a_proactive_event_is_offered_quietly_and_sent_signed_when_accepted(open_desk: LiveGateway, widget,
                                                                           size, screenshot) -> None:
    w = widget(timezone_id=LONDON, **size).load(open_desk)
    frames: list[str] = []
    w.page.on("websocket", lambda ws: ws.on("framesent", lambda payload: frames.append(str(payload))))
    signed = sign_event({"type": "card_declined", "merchant": "Coffee Corner", "amount": "12.50",
                         "currency": "GBP"}, open_desk.context_secret)
    w.page.locator("h1").first.click()
    assert w.page.evaluate("(s) => window.Tandem.notify(s)", signed) is True
    nudge = w.page.get_by_role("region", name="Help with something that just happened")
    expect(nudge).to_contain_text("Your card payment at Coffee Corner of GBP 12.50 was declined. Can we help?")
    expect(w.launcher).to_have_accessible_name("Chat with Harbour Bank, 1 new")
    expect(w.panel).to_be_hidden()  # never a pop-up
    assert w.page.evaluate("document.activeElement === document.body")  # and focus stays where it was
    screenshot(w.page, f"widget-proactive-offer-{'phone' if size else 'desktop'}")
    assert not serious_violations(w.page)

    nudge.get_by_role("button", name="Get help").click()
    expect(w.panel).to_be_visible()
    expect(w.mine()).to_have_text(re.compile(r"Help me with my declined card payment at Coffee Corner \(GBP 12\.50\)\."))
    expect(w.mine().first).to_have_attribute("data-status", "sent")
    sent = [f for f in frames if '"type":"event"' in f]
    assert len(sent) == 1 and signed in sent[0]  # passed on untouched: the gateway checks the signature
    assert "/event_" not in " ".join(w.transcript())  # the payload is the bot's, never the customer's words
    expect(nudge).to_be_hidden()


def test_a_forged_or_unknown_event_is_not_offered(open_desk: LiveGateway, widget) -> None:
    w = widget().load(open_desk)
    assert w.page.evaluate("(s) => window.Tandem.notify(s)", "not-a-signed-event") is False
    unknown = sign_event({"type": "mortgage_offer"}, open_desk.context_secret)
    assert w.page.evaluate("(s) => window.Tandem.notify(s)", unknown) is False
    expect(w.page.get_by_role("region", name="Help with something that just happened")).to_be_hidden()
