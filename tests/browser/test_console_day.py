"""The console for a whole working day (issue #24) in real Chromium: two agents and a supervisor.

The gateway is a real one without the Rasa model (LOAD_BOT=0: what is proven here is the desk, not the bot),
on its own Redis database; customers use the real customer socket from a thread (tests/browser/desk_day.py),
the staff use /console in their own browser contexts.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.console_page import Console
from tests.browser.desk_day import ThreadCustomer, make_account
from tests.gateway import LiveGateway, start_gateway
from tests.handoff.gateway.test_history_routes import close_a_chat
from tests.support import ROOT, run_coroutine, stop

pytestmark = [pytest.mark.browser]
DAY_DB = 12


@pytest.fixture(scope="module")
def desk(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    url = redis_url.rsplit("/", 1)[0] + f"/{DAY_DB}"
    gw = start_gateway(url, ROOT / "models" / "unused", "http://127.0.0.1:9/webhook",
                       tmp_path_factory.mktemp("console-day"), "console-day", extra_env={"LOAD_BOT": "0"}, timeout=120)
    try:
        yield gw
    finally:
        stop(gw.proc)


@pytest.fixture
def staff(open_page: Callable[..., Page], desk: LiveGateway) -> Callable[..., Console]:
    def make(name: str, role: str = "agent") -> Console:
        page = open_page(viewport={"width": 1440, "height": 900})
        account = make_account(desk, name, role)
        console = Console(page, desk).sign_in(account)
        console.username = account[0]  # type: ignore[attr-defined]
        return console

    return make


@pytest.fixture
def customers(desk: LiveGateway) -> Iterator[Callable[..., ThreadCustomer]]:
    made: list[ThreadCustomer] = []

    def make(first_name: str, customer_id: str | None = None) -> ThreadCustomer:
        made.append(ThreadCustomer(desk, f"{first_name} {uuid.uuid4().hex[:4]}", customer_id))
        return made[-1]

    yield make
    for c in made:
        c.close()


def queued_and_claimed(agent: Console, customer: ThreadCustomer) -> None:
    customer.ask_for_person()
    agent.claim(customer.name)


def test_search_finds_a_closed_conversation_by_a_word_in_it_and_opens_it(staff, desk: LiveGateway) -> None:
    word = "parrot" + uuid.uuid4().hex[:5]
    kim_account = make_account(desk, "Kim")
    name = f"Quinn {uuid.uuid4().hex[:4]}"
    cid = run_coroutine(close_a_chat(desk, kim_account[:4], {"name": name, "customer_id": "HB-810001"},
                                     [f"my {word} ate the card reader"], note="told them to visit a branch"))
    lee = staff("Lee")
    lee.page.get_by_role("tab", name=re.compile("History")).click()
    lee.page.get_by_label("Words").fill(word)
    lee.page.get_by_role("button", name="Search").click()
    row = lee.page.locator("#closed-body tr").filter(has_text=name)
    expect(row).to_have_count(1)
    expect(lee.page.locator("#history-status")).to_contain_text("1–1 of 1")
    row.get_by_role("button", name=re.compile("^Open")).click()
    expect(lee.pane.locator(".conv-name")).to_have_text(name)
    expect(lee.messages("customer").filter(has_text=word)).to_have_count(1)
    expect(lee.messages("note")).to_contain_text("told them to visit a branch")
    expect(lee.pane.locator(".state-pill")).to_have_text("closed — resolved")
    expect(lee.pane.get_by_role("textbox", name="Reply")).to_be_disabled()

    # The same conversation from a link (the dashboard's click-through): /console/?view=<id>.
    lee.page.goto(f"{desk}/console/?view={cid}")
    expect(lee.pane.locator(".conv-name")).to_have_text(name)
    expect(lee.messages("customer").filter(has_text=word)).to_have_count(1)


def test_the_customers_earlier_chat_is_one_click_from_the_new_one(staff, customers, desk: LiveGateway) -> None:
    customer_id = f"HB-{uuid.uuid4().hex[:6]}"
    earlier_name = f"Rosa {uuid.uuid4().hex[:4]}"
    run_coroutine(close_a_chat(desk, make_account(desk, "Mia")[:4], {"name": earlier_name, "customer_id": customer_id},
                               ["my standing order to the landlord failed"]))
    kim = staff("Kim")
    rosa = customers("Rosa", customer_id)
    queued_and_claimed(kim, rosa)
    earlier = kim.pane.locator(".story .story-item")
    expect(earlier).to_have_count(1)
    earlier.click()
    expect(kim.pane.locator(".conv-name")).to_have_text(earlier_name)
    expect(kim.messages("customer").filter(has_text="standing order to the landlord")).to_have_count(1)
    expect(kim.pane.get_by_role("textbox", name="Reply")).to_be_disabled()


def test_a_second_live_chat_of_the_same_customer_is_flagged_and_merged_into_the_first(staff, customers) -> None:
    kim = staff("Kim")
    first = customers("Sol")
    second = customers("Sol", first.customer_id)
    second.say("hello from my phone, the card is still blocked")
    queued_and_claimed(kim, first)
    flag = kim.pane.locator(".story .story-live")
    expect(flag).to_contain_text("Also chatting now (with the assistant)")
    flag.get_by_role("button", name="Merge into this chat").click()
    expect(kim.messages("note")).to_contain_text("hello from my phone, the card is still blocked")
    expect(flag).to_have_count(0)
    told = second.expect("message", event="merged")
    assert "continues in your other chat window" in told["text"]
    second.expect("state", state="closed")


def test_a_transfer_note_is_seen_first_by_the_receiver(staff, customers) -> None:
    kim, lee = staff("Kim"), staff("Lee")
    ana = customers("Ana")
    queued_and_claimed(kim, ana)
    kim.pane.get_by_label("Transfer to").select_option(lee.username)
    kim.pane.get_by_label("Transfer note").fill("Disputed €40 charge; she has the receipt")
    kim.pane.get_by_role("button", name="Transfer").click()
    banner = lee.pane.locator(".transfer-banner")
    expect(banner).to_contain_text("Transfer note from Kim: Disputed €40 charge; she has the receipt")
    reply = lee.pane.get_by_role("textbox", name="Reply")
    expect(reply).to_be_disabled()
    expect(lee.pane.locator(".msg-system").last).to_have_text(re.compile("Kim transferred the chat to Lee"))
    banner.get_by_role("button", name="Accept").click()
    expect(banner).to_be_hidden()
    expect(reply).to_be_enabled()
    lee.write("Hi, I'm Lee; I have the details of the charge.")
    ana.expect("message", sender="agent", text="Hi, I'm Lee; I have the details of the charge.")
    transferred = ana.expect("message", event="transferred")
    assert transferred["text"] == "You're now chatting with Lee." and "agent_text" not in transferred


def test_after_hand_back_the_agent_sees_the_next_message_and_takes_the_chat_back(staff, customers) -> None:
    kim = staff("Kim")
    bo = customers("Bo")
    queued_and_claimed(kim, bo)
    kim.pane.get_by_role("button", name="Hand back to bot").click()
    expect(kim.pane.locator(".state-pill")).to_have_text("with the bot")
    watch = kim.pane.locator(".watch-bar")
    expect(watch).to_contain_text("Handed back to the assistant")
    bo.say("the assistant keeps misunderstanding me")
    expect(kim.messages("customer").filter(has_text="keeps misunderstanding me")).to_have_count(1)
    watch.get_by_role("button", name="Take it back").click()
    expect(kim.pane.locator(".state-pill")).to_have_text("with you")
    expect(watch).to_be_hidden()
    bo.expect("message", event="taken_back")
    kim.write("I'm back — let's sort this out together.")
    bo.expect("message", sender="agent", text="I'm back — let's sort this out together.")


def test_private_note_mode_resets_after_each_note(staff, customers) -> None:
    kim = staff("Kim")
    cy = customers("Cy")
    queued_and_claimed(kim, cy)
    kim.write("checked the ledger: charge is pending", note=True)
    expect(kim.messages("note")).to_contain_text("checked the ledger")
    expect(kim.pane.get_by_label("Private note")).not_to_be_checked()
    expect(kim.pane.get_by_role("button", name="Send")).to_be_visible()
    box = kim.pane.get_by_role("textbox", name="Reply")
    box.fill("The charge is still pending; it will drop off in 3 days.")
    box.press("Enter")
    cy.expect("message", sender="agent", text="The charge is still pending; it will drop off in 3 days.")


def test_a_long_conversation_opens_at_its_newest_message(staff, customers) -> None:
    kim = staff("Kim")
    dee = customers("Dee")
    for i in range(18):  # under the socket's burst of 20 frames
        dee.say(f"line {i} of a long story")
    queued_and_claimed(kim, dee)
    expect(kim.messages("customer")).to_have_count(18)
    newest = kim.messages("customer").last
    expect(newest).to_be_in_viewport()
    expect(kim.messages("customer").first).not_to_be_in_viewport()


def test_closing_a_chat_and_the_history_tab_are_told_apart(staff, customers) -> None:
    kim = staff("Kim")
    eve = customers("Eve")
    queued_and_claimed(kim, eve)
    close = kim.pane.get_by_role("button", name="Close chat")
    history = kim.page.get_by_role("tab", name=re.compile("History"))
    expect(close).to_be_visible()
    expect(history).to_be_visible()
    assert close.bounding_box()["y"] > history.bounding_box()["y"] + 10  # a row below the tabs, in the chat


def test_slash_in_the_reply_box_finds_a_personal_canned_reply(staff, customers) -> None:
    kim = staff("Kim")
    kim.page.get_by_role("button", name="My replies").click()
    dialog = kim.page.locator("#mine-dialog")
    dialog.get_by_label("Title").fill("Chargeback steps")
    dialog.get_by_label("Text").fill("Hi {name}, I've opened a chargeback; you'll hear from us within 10 days.")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.locator("#mine-list")).to_contain_text("Chargeback steps")
    dialog.get_by_role("button", name="Done").click()

    fay = customers("Fay")
    queued_and_claimed(kim, fay)
    box = kim.pane.get_by_role("textbox", name="Reply")
    box.press_sequentially("/charge")
    option = kim.pane.get_by_role("listbox", name="Canned replies").get_by_role("option").filter(has_text="Chargeback steps")
    expect(option).to_contain_text("mine")
    box.press("Enter")
    expect(box).to_have_value("Hi Fay, I've opened a chargeback; you'll hear from us within 10 days.")
    box.press("Enter")
    fay.expect("message", sender="agent", text="Hi Fay, I've opened a chargeback; you'll hear from us within 10 days.")

    lee = staff("Lee")  # personal means personal: a colleague does not get it
    lee.page.get_by_role("button", name="My replies").click()
    expect(lee.page.locator("#mine-list")).to_contain_text("No personal replies yet")


def test_the_supervisor_sees_live_chats_and_agents_opens_one_and_takes_it_over(staff, customers) -> None:
    kim, _idle_colleague = staff("Kim"), staff("Lee")  # Lee is online with nothing: shown at 0 / 3
    ada = staff("Ada", role="admin")
    gus, hal = customers("Gus"), customers("Hal")
    queued_and_claimed(kim, gus)
    kim.write("Looking into it now.")
    hal.ask_for_person()

    expect(kim.page.get_by_role("tab", name="Supervisor")).to_be_hidden()  # agents have no supervisor tab
    ada.page.get_by_role("tab", name="Supervisor").click()
    chats = ada.page.locator("#supervisor-chats tr")
    gus_row, hal_row = chats.filter(has_text=gus.name), chats.filter(has_text=hal.name)
    expect(gus_row).to_contain_text("with an agent")
    expect(gus_row).to_contain_text("Kim")
    expect(hal_row).to_contain_text("waiting")
    expect(hal_row.locator(".emo")).to_be_visible()
    agents = ada.page.locator("#supervisor-agents tr")
    expect(agents.filter(has_text="Kim")).to_contain_text("1 / 3")
    expect(agents.filter(has_text="Lee")).to_contain_text("0 / 3")

    gus_row.get_by_role("button", name="Open").click()
    expect(ada.pane.locator(".conv-name")).to_have_text(gus.name)
    expect(ada.messages("agent")).to_contain_text("Looking into it now.")
    expect(ada.pane.get_by_role("textbox", name="Reply")).to_be_disabled()

    ada.page.get_by_role("tab", name="Supervisor").click()
    gus_row.get_by_role("button", name="Take over").click()
    expect(ada.pane.locator(".conv-name")).to_have_text(gus.name)
    expect(ada.pane.locator(".state-pill")).to_have_text("with you")
    expect(kim.toast).to_contain_text(f"{gus.name} is now with Ada")
    expect(kim.tab(gus.name)).to_have_count(0)
    ada.write("Hello, I'm Ada, the team lead; I'll finish this with you.")
    gus.expect("message", sender="agent", text="Hello, I'm Ada, the team lead; I'll finish this with you.")
