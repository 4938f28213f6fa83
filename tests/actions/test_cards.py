"""Lost or stolen card: which card (buttons from the customer's cards), lost or stolen, freeze, replace."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.bank_simulator import SimulatedCardService
from actions.cards import ActionAskCardLossFormCardLastFour, ActionFreezeCard, ValidateCardLossForm
from tests.actions.trackers import (
    WEDNESDAY,
    buttons,
    flows_domain,
    form_turn,
    human_offered,
    responses,
    slot_events,
    texts,
    tracker,
)

FORM = "card_loss_form"
DEBIT = {"last_four": "1234", "type": "debit", "label": "Everyday debit"}
CREDIT = {"last_four": "9876", "type": "credit", "label": "Rewards credit"}
SIGNED_IN = {"customer_id": "cus_042", "customer_cards": [DEBIT, CREDIT]}


async def ask(slots):
    dispatcher = CollectingDispatcher()
    await ActionAskCardLossFormCardLastFour().run(dispatcher, tracker(slots), flows_domain())
    return dispatcher


async def validate(t):
    dispatcher = CollectingDispatcher()
    events = await ValidateCardLossForm().run(dispatcher, t, flows_domain())
    return slot_events(events), dispatcher


# --- the question ---------------------------------------------------------------------------


async def test_without_cards_in_context_the_customer_types_the_digits():
    assert responses(await ask({"customer_cards": None})) == ["utter_ask_card_last_four"]


async def test_one_card_is_offered_for_confirmation():
    dispatcher = await ask({"customer_cards": [DEBIT]})
    assert texts(dispatcher) == ["Is it your Everyday debit ••1234?"]
    assert buttons(dispatcher) == [
        {"title": "Yes, Everyday debit ••1234", "payload": '/inform_card{"card_last_four":"1234"}'},
        {"title": "No, a different card", "payload": '/inform_card{"card_last_four":"other"}'},
    ]


async def test_several_cards_are_offered_as_buttons_with_all_and_other():
    dispatcher = await ask(SIGNED_IN)
    assert [b["title"] for b in buttons(dispatcher)] == [
        "Everyday debit ••1234",
        "Rewards credit ••9876",
        "All of these cards",
        "A different card",
    ]
    assert buttons(dispatcher)[1]["payload"] == '/inform_card{"card_last_four":"9876"}'


async def test_after_declining_the_offer_the_customer_is_asked_to_type_the_digits():
    dispatcher = await ask({"customer_cards": [DEBIT], "card_offer_declined": True})
    assert responses(dispatcher) == ["utter_ask_card_last_four"] and not buttons(dispatcher)


# --- reading the answers ----------------------------------------------------------------------


async def test_first_message_naming_a_card_type_and_theft_fills_both_slots():
    t = form_turn(FORM, None, "Someone stole my credit card", "lost_or_stolen_card", slots=SIGNED_IN)
    values, _ = await validate(t)
    assert values["card_last_four"] == "9876"
    assert values["card_loss_kind"] == "stolen"


async def test_first_message_without_details_fills_nothing():
    t = form_turn(FORM, None, "Can you help me freeze my card?", "lost_or_stolen_card", slots=SIGNED_IN)
    values, _ = await validate(t)
    assert values.get("card_last_four") is None and values.get("card_loss_kind") is None


async def test_a_card_button_fills_the_card():
    t = form_turn(
        FORM,
        "card_last_four",
        '/inform_card{"card_last_four":"1234"}',
        "inform_card",
        slots=SIGNED_IN,
        candidates={"card_last_four": "1234"},
    )
    values, _ = await validate(t)
    assert values["card_last_four"] == "1234"


async def test_yes_to_the_single_card_offer_picks_that_card():
    t = form_turn(
        FORM,
        "card_last_four",
        "yes that's the one",
        "affirm",
        slots={"customer_cards": [DEBIT]},
        candidates={"card_last_four": "yes that's the one"},
    )
    values, _ = await validate(t)
    assert values["card_last_four"] == "1234"


async def test_no_to_the_single_card_offer_asks_for_the_digits_instead_of_leaving():
    # "no" is excluded from from_text; the form's own extraction turns it into "a different card".
    t = form_turn(FORM, "card_last_four", "no", "deny", slots={"customer_cards": [DEBIT]})
    values, dispatcher = await validate(t)
    assert values["card_last_four"] is None
    assert values["card_offer_declined"] is True
    assert not dispatcher.messages


async def test_no_without_an_offer_is_left_for_the_stop_rule():
    t = form_turn(FORM, "card_last_four", "no", "deny", slots={"customer_cards": []})
    values, _ = await validate(t)
    assert "card_last_four" not in values  # nothing extracted: the form rejects, the deny rule runs


async def test_typed_digits_not_on_the_account_are_refused():
    t = form_turn(
        FORM, "card_last_four", "it's 5555", slots=SIGNED_IN, candidates={"card_last_four": "it's 5555"}
    )
    values, dispatcher = await validate(t)
    assert values["card_last_four"] is None
    assert responses(dispatcher) == ["utter_card_not_on_account"]


async def test_a_full_card_number_is_refused_and_not_kept():
    number = "4111 1111 1111 1234"
    t = form_turn(FORM, "card_last_four", number, slots=SIGNED_IN, candidates={"card_last_four": number})
    values, dispatcher = await validate(t)
    assert values["card_last_four"] is None
    assert responses(dispatcher) == ["utter_no_full_card_number"]
    assert number not in str(dispatcher.messages)


async def test_without_cards_in_context_any_four_digits_are_accepted():
    t = form_turn(FORM, "card_last_four", "ends with 4821", candidates={"card_last_four": "ends with 4821"})
    values, _ = await validate(t)
    assert values["card_last_four"] == "4821"


async def test_without_cards_in_context_all_my_cards_cannot_be_resolved():
    t = form_turn(FORM, "card_last_four", "all my cards", candidates={"card_last_four": "all my cards"})
    values, dispatcher = await validate(t)
    assert values["card_last_four"] is None
    assert responses(dispatcher) == ["utter_card_not_recognised"]


async def test_all_my_cards_with_cards_in_context_means_every_card():
    t = form_turn(
        FORM,
        "card_last_four",
        "both cards were in my wallet",
        slots=SIGNED_IN,
        candidates={"card_last_four": "both cards were in my wallet"},
    )
    values, _ = await validate(t)
    assert values["card_last_four"] == "all"


async def test_loss_kind_answers():
    for text, kind in [
        ("lost", "lost"),
        ("I think someone took it, it was stolen", "stolen"),
        ("not sure", "unsure"),
        ("I can't find it", "lost"),
    ]:
        t = form_turn(
            FORM,
            "card_loss_kind",
            text,
            slots={"card_last_four": "1234"},
            candidates={"card_loss_kind": text},
        )
        values, _ = await validate(t)
        assert values["card_loss_kind"] == kind, text


async def test_a_typed_yes_to_freezing_counts_even_when_not_classified_affirm():
    t = form_turn(
        FORM,
        "freeze_now",
        "yes please do it",
        "lost_or_stolen_card",
        slots={"card_last_four": "1234", "card_loss_kind": "lost", **SIGNED_IN},
    )
    values, _ = await validate(t)
    assert values["freeze_now"] is True


async def test_a_customer_who_is_not_signed_in_is_not_asked_to_freeze():
    t = form_turn(
        FORM,
        "card_loss_kind",
        "lost",
        slots={"card_last_four": "1234"},
        candidates={"card_loss_kind": "lost"},
    )
    values, _ = await validate(t)
    assert values["card_loss_kind"] == "lost"
    assert values["requested_slot"] is None  # form complete without freeze_now


# --- closing: freeze and next steps -------------------------------------------------------------


async def freeze(slots, service=None):
    dispatcher = CollectingDispatcher()
    action = ActionFreezeCard(cards=service or SimulatedCardService(), clock=lambda: WEDNESDAY)
    events = await action.run(dispatcher, tracker(slots), flows_domain())
    return slot_events(events), dispatcher


async def test_freezing_confirms_replacement_timing_and_clears_the_flow():
    service = SimulatedCardService()
    values, dispatcher = await freeze(
        {**SIGNED_IN, "card_last_four": "1234", "card_loss_kind": "lost", "freeze_now": True}, service
    )
    said = " ".join(texts(dispatcher))
    assert "Everyday debit ••1234 is now frozen" in said
    assert "3–5 working days (by Wed 19 Mar at the latest)" in said
    assert service.is_frozen("cus_042", "1234")
    assert human_offered(dispatcher)
    assert {k: values[k] for k in ("card_last_four", "card_loss_kind", "freeze_now")} == {
        "card_last_four": None, "card_loss_kind": None, "freeze_now": None
    }
    # What the bot froze stays known for the rest of the chat (the declined-payment flow reads it).
    assert values["customer_cards"] == [{**DEBIT, "state": "frozen"}, CREDIT]


async def test_stolen_card_gets_the_report_unknown_payments_offer():
    _, dispatcher = await freeze(
        {**SIGNED_IN, "card_last_four": "9876", "card_loss_kind": "stolen", "freeze_now": True}
    )
    assert "payments you don't recognise" in texts(dispatcher)[-1]
    assert buttons(dispatcher)[-1] == {"title": "Talk to a person", "payload": "/request_human"}


async def test_freezing_a_frozen_card_says_so():
    service = SimulatedCardService()
    service.freeze("cus_042", "1234")
    _, dispatcher = await freeze(
        {**SIGNED_IN, "card_last_four": "1234", "card_loss_kind": "lost", "freeze_now": True}, service
    )
    assert "Everyday debit ••1234 is already frozen" in texts(dispatcher)[0]


async def test_a_card_the_site_says_is_frozen_is_not_offered_for_freezing():
    frozen = {**SIGNED_IN, "customer_cards": [{**DEBIT, "state": "frozen"}, CREDIT]}
    t = form_turn(FORM, "card_last_four", "1234", slots={**frozen, "card_loss_kind": "stolen"},
                  candidates={"card_last_four": "1234"})
    validator = ValidateCardLossForm(cards=SimulatedCardService())
    events = await validator.run(CollectingDispatcher(), t, flows_domain())
    requested = [e["value"] for e in events if e.get("name") == "requested_slot"]
    assert requested == [None]  # the form is done: no "Shall I freeze the card now?"


async def test_a_card_frozen_earlier_says_already_frozen_and_sends_a_replacement():
    service = SimulatedCardService()
    service.freeze("cus_042", "1234")  # frozen earlier in this chat ("I lost my card")
    _, dispatcher = await freeze({**SIGNED_IN, "card_last_four": "1234", "card_loss_kind": "stolen"}, service)
    said = " ".join(texts(dispatcher))
    assert "Everyday debit ••1234 is already frozen" in said
    assert "A replacement card is on the way" in said


async def test_stolen_card_offers_checking_payments_as_the_next_step():
    _, dispatcher = await freeze(
        {**SIGNED_IN, "card_last_four": "9876", "card_loss_kind": "stolen", "freeze_now": True}
    )
    assert {"title": "I see a payment I don't recognise", "payload": "/card_payment_not_recognised"} in buttons(
        dispatcher
    )


async def test_all_cards_are_frozen_together():
    service = SimulatedCardService()
    await freeze(
        {**SIGNED_IN, "card_last_four": "all", "card_loss_kind": "lost", "freeze_now": True}, service
    )
    assert service.is_frozen("cus_042", "1234") and service.is_frozen("cus_042", "9876")


async def test_declining_the_freeze_of_a_stolen_card_urges_it_and_freezes_nothing():
    service = SimulatedCardService()
    _, dispatcher = await freeze(
        {**SIGNED_IN, "card_last_four": "1234", "card_loss_kind": "stolen", "freeze_now": False}, service
    )
    assert "haven't frozen" in texts(dispatcher)[0] and "stolen" in texts(dispatcher)[0]
    assert not service.is_frozen("cus_042", "1234")
    assert human_offered(dispatcher)


async def test_a_customer_who_is_not_signed_in_is_told_how_to_freeze_it():
    service = SimulatedCardService()
    _, dispatcher = await freeze({"card_last_four": "4821", "card_loss_kind": "lost"}, service)
    assert "not signed in" in texts(dispatcher)[0]
    assert "card ••4821" in texts(dispatcher)[0]
    assert not service.is_frozen("", "4821")
    assert human_offered(dispatcher)


async def test_a_form_that_gave_up_closes_with_a_person():
    values, dispatcher = await freeze({"flow_gave_up": True, "flow_attempts": 3.0})
    assert responses(dispatcher) == ["utter_flow_gave_up"]
    assert values == {"flow_gave_up": None, "flow_attempts": None}
