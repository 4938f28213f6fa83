"""The widget with the real (reduced) Rasa model: no silence while queued, focus after a quick reply, and a
proactive offer reaching the bot. Real Chromium, live gateway, real Redis and action server."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from handoff.core.proactive import sign_event
from tests.browser.conftest import PHONE
from tests.browser.widget_page import conversation_id, serious_violations
from tests.handoff.rasa_tracker import tracker_events

pytestmark = [pytest.mark.browser, pytest.mark.model]


@pytest.mark.parametrize("size", [{}, PHONE], ids=["desktop", "phone"])
def test_a_routine_question_while_queued_gets_an_answer_saying_a_person_is_coming(live_gateway: str, widget,
                                                                                  size, screenshot) -> None:
    w = widget(**size).load(live_gateway).open()
    w.say("hello")
    w.wait_for_replies(1)
    w.human.click()
    expect(w.handover_notice()).to_have_count(1)
    w.say("How do I top up my account?")
    w.wait_for_replies(2)
    answer = w.replies().last
    expect(answer.locator(".interim")).to_have_text("Automatic answer · a person is still coming")
    expect(w.subtitle).to_have_text("Waiting for a person")  # still queued
    screenshot(w.page, f"widget-queued-answer-{'phone' if size else 'desktop'}")
    assert not serious_violations(w.page)

    switch = w.page.get_by_label("Let the assistant answer my questions while I wait")
    expect(switch).to_be_checked()
    switch.uncheck()
    expect(switch).not_to_be_checked()
    w.say("Is there a fee for that?")
    expect(w.mine("Is there a fee for that?")).to_have_attribute("data-status", "sent")
    w.page.reload()  # what the server stored: the switch is remembered, and no answer came
    expect(w.replies()).to_have_count(2)
    expect(switch).not_to_be_checked()
    said = [e.get("text") for e in tracker_events(live_gateway.redis_url, conversation_id(w.page))  # type: ignore[attr-defined]
            if e.get("event") == "user"]
    assert "Is there a fee for that?" not in said


def test_focus_returns_to_the_composer_after_a_quick_reply_chosen_with_enter(live_gateway: str, widget) -> None:
    w = widget().load(live_gateway).open()
    w.say("When will my new card arrive?")
    quick = w.page.locator("#tandem-chat-widget .quick button")
    expect(quick.first).to_be_visible()
    assert "Talk to a person" not in quick.all_inner_texts()  # it is the one button below the chat
    quick.first.focus()
    w.page.keyboard.press("Enter")
    expect(w.input).to_be_focused()
    w.page.keyboard.press("Escape")
    expect(w.panel).to_be_hidden()
    expect(w.launcher).to_be_focused()


def test_an_accepted_proactive_offer_is_answered_by_the_bot(live_gateway: str, widget) -> None:
    w = widget().load(live_gateway)
    signed = sign_event({"type": "card_declined", "merchant": "Coffee Corner", "amount": "12.50",
                         "currency": "GBP"}, live_gateway.context_secret)  # type: ignore[attr-defined]
    w.page.evaluate("(s) => window.Tandem.notify(s)", signed)
    w.page.get_by_role("region", name="Help with something that just happened").get_by_role(
        "button", name="Get help").click()
    expect(w.mine()).to_have_text(re.compile(r"declined card payment at Coffee Corner"))
    # The declined-payment flow starts with what the event said: merchant and amount are not asked again.
    expect(w.replies().last).to_have_text(re.compile(r"online or in a shop"))
    expect(w.replies().first).to_have_text(re.compile(r"12\.50 at Coffee Corner was declined just now"))
    events = tracker_events(live_gateway.redis_url, conversation_id(w.page))  # type: ignore[attr-defined]
    turn = next(e for e in events if e.get("event") == "user")
    assert turn["text"] == '/event_card_declined{"merchant": "Coffee Corner", "amount": "12.50", "currency": "GBP"}'
    assert turn["metadata"]["proactive"] is True
