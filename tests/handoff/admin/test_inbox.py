"""The NLU inbox (handoff/admin/inbox.py) on a real Redis, and the labels it turns into training data
(handoff/admin/training_data.py) in a scratch copy of the project's data/ and domain/ folders."""
from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest
import yaml

from handoff.admin import inbox as inbox_mod
from handoff.admin.inbox import Inbox, item_id
from handoff.admin.training_data import AUDIT_DIR, DOMAIN_FILE, NLU_FILE, RULES_FILE, TrainingData
from handoff.core import errors
from handoff.storage import keys
from handoff.storage.inbox import InboxRecords
from tests.support import ROOT, copy_shipped, free_port


def parse(text: str, intent: str, confidence: float, ranking: list[tuple[str, float]] | None = None) -> dict:
    """A Rasa parse result as the gateway receives it."""
    rank = [{"name": n, "confidence": c} for n, c in (ranking or [(intent, confidence)])]
    return {"text": text, "intent": {"name": intent, "confidence": confidence}, "intent_ranking": rank,
            "entities": []}


@pytest.fixture
def inbox(redis) -> Inbox:  # type: ignore[no-untyped-def]
    return Inbox(InboxRecords(redis))


@pytest.fixture
def project(tmp_path: Path) -> TrainingData:
    """data/ and domain/ as the project has them (the held-out split included), in a temp folder."""
    copy_shipped(ROOT / "domain", tmp_path / "domain")  # not what an admin labelled in this checkout
    (tmp_path / "data" / "eval").mkdir(parents=True)
    shutil.copy(ROOT / "data" / "eval" / "banking77_validation.yml", tmp_path / "data" / "eval")
    return TrainingData(tmp_path)


# ------------------------------------------------------------------------------------------ what gets in


async def test_a_forms_slot_answer_and_a_button_never_go_in(inbox: Inbox) -> None:
    """"1234" while the card form waits for the last four digits is an answer, not a question the bot missed."""
    slot = {**parse("1234", "nlu_fallback", 0.35, [("nlu_fallback", 0.35), ("card_arrival", 0.2)]),
            "form": "card_form"}
    assert await inbox.maybe_add(slot, threshold=0.6) is None
    assert await inbox.maybe_add(parse("/affirm", "affirm", 0.3), threshold=0.6) is None
    assert (await inbox.search())["total"] == 0
    unsure = await inbox.maybe_add(parse("1234", "nlu_fallback", 0.35), threshold=0.6)  # outside a form: it goes in
    assert unsure is not None


async def test_a_confident_answer_stays_out_and_an_unsure_one_goes_in(inbox: Inbox) -> None:
    assert await inbox.maybe_add(parse("when does my card arrive", "card_arrival", 0.93), threshold=0.6) is None
    iid = await inbox.maybe_add(parse("is my plastic coming soon", "card_arrival", 0.41), conversation_id="c1",
                                seq=3, threshold=0.6)
    item = await inbox.get(iid)
    assert item["reasons"] == ["low_confidence"]
    assert (item["intent"], item["confidence"], item["status"]) == ("card_arrival", 0.41, "open")
    assert (item["conversation_id"], item["seq"], item["count"]) == ("c1", 3, 1)


async def test_a_fallback_is_kept_with_the_intents_the_classifier_leaned_to(inbox: Inbox) -> None:
    iid = await inbox.maybe_add(parse("erm the thing with the app", "nlu_fallback", 0.3,
                                      [("nlu_fallback", 0.3), ("exchange_via_app", 0.22), ("top_up_failed", 0.2)]))
    item = await inbox.get(iid)
    assert item["reasons"] == ["fallback"]
    assert [r["name"] for r in item["ranking"]] == ["exchange_via_app", "top_up_failed"]
    assert item["confidence"] == 0.22  # how sure it was of its best guess, not the fallback threshold


async def test_the_same_words_from_many_customers_are_one_item_with_a_count(inbox: Inbox) -> None:
    first = await inbox.maybe_add(parse("Where is my NEW card", "card_arrival", 0.3))
    again = await inbox.maybe_add(parse("  where is my new   card ", "card_delivery_estimate", 0.35))
    assert first == again
    item = await inbox.get(first)
    assert item["count"] == 2
    assert item["intent"] == "card_delivery_estimate"  # the latest prediction is what the bot does now
    assert (await inbox.search())["total"] == 1


async def test_card_numbers_emails_and_names_never_reach_redis(inbox: Inbox, redis) -> None:  # type: ignore[no-untyped-def]
    text = "my name is Jo Bloggs, card 4111 1111 1111 1111 was eaten, write to jo@example.com"
    iid = await inbox.maybe_add(parse(text, "card_swallowed", 0.2))
    stored = json.dumps(await redis.hgetall(keys.inbox_item(iid)))
    for secret in ("4111", "jo@example.com", "Bloggs"):
        assert secret not in stored
    assert "[CARD]" in (await inbox.get(iid))["text"]


async def test_a_hand_over_for_repeated_failure_tags_the_messages_that_caused_it(inbox: Inbox) -> None:
    iid = await inbox.maybe_add(parse("why is my thing not going", "nlu_fallback", 0.2))
    assert await inbox.mark_handover(["why is my thing not going", "a message the inbox never saw"]) == 1
    assert (await inbox.get(iid))["reasons"] == ["fallback", "handover"]


async def test_an_agents_correction_is_kept_with_the_intent_they_suggest(inbox: Inbox) -> None:
    iid = await inbox.add("i was charged twice for coffee", parse("x", "card_payment_fee_charged", 0.8),
                          "agent_correction", suggested="transaction_charged_twice", suggested_by="sam")
    item = await inbox.get(iid)
    assert item["reasons"] == ["agent_correction"]
    assert (item["suggested"], item["suggested_by"]) == ("transaction_charged_twice", "sam")


async def test_the_oldest_open_items_go_when_the_inbox_is_full(inbox: Inbox, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(inbox_mod, "MAX_OPEN", 3)
    clock = iter(range(1_000_000, 2_000_000, 1000))  # one second apart: a fast machine adds several per ms
    monkeypatch.setattr(inbox_mod, "now_ms", lambda: next(clock))
    ids = [await inbox.maybe_add(parse(f"question number {n}", "card_arrival", 0.1)) for n in range(5)]
    found = {i["id"] for i in (await inbox.search())["items"]}
    assert found == set(ids[2:])
    assert await inbox.get(ids[0]) is None  # its hash went with it


# ------------------------------------------------------------------------------------------ finding


async def test_search_groups_by_the_guessed_intent_and_filters_by_words_and_reason(inbox: Inbox) -> None:
    await inbox.maybe_add(parse("card still not here", "card_arrival", 0.4))
    await inbox.maybe_add(parse("card still not here", "card_arrival", 0.4))
    await inbox.maybe_add(parse("where's the card I ordered", "card_arrival", 0.5))
    await inbox.maybe_add(parse("can I pay my rent by app", "nlu_fallback", 0.2))
    found = await inbox.search()
    assert [(g["intent"], g["items"], g["messages"]) for g in found["groups"]] == [
        ("card_arrival", 2, 3), ("nlu_fallback", 1, 1)]
    assert [i["text"] for i in (await inbox.search(q="RENT"))["items"]] == ["can I pay my rent by app"]
    assert {i["text"] for i in (await inbox.search(reason="fallback"))["items"]} == {"can I pay my rent by app"}
    assert (await inbox.search(q="card_arrival"))["total"] == 2  # the intent name is searchable too
    with pytest.raises(errors.InvalidFrame):
        await inbox.search(status="everything")


# ------------------------------------------------------------------------------------------ labelling


async def test_labels_are_sorted_yaml_one_example_per_line_that_rasa_reads(inbox: Inbox,
                                                                          project: TrainingData) -> None:
    from rasa.shared.nlu.training_data.loading import load_data

    a = await inbox.maybe_add(parse("my plastic has not come", "card_linking", 0.3))
    b = await inbox.maybe_add(parse("Apple pay top up failed", "nlu_fallback", 0.2))
    c = await inbox.maybe_add(parse("card never turned up", "lost_or_stolen_card", 0.4))
    items = await inbox.items([a, c])
    project.label([i["text"] for i in items], "card_arrival", "ada", item_ids=[a, c])
    project.label([(await inbox.get(b))["text"]], "top_up_failed", "ada", item_ids=[b])
    text = project.path(NLU_FILE).read_text()
    assert text.splitlines()[3:] == [
        'version: "3.1"', "nlu:",
        "- intent: card_arrival", "  examples: |", "    - card never turned up", "    - my plastic has not come",
        "- intent: top_up_failed", "  examples: |", "    - Apple pay top up failed"]
    loaded = load_data(str(project.path(NLU_FILE)))
    assert sorted((m.get("text"), m.get("intent")) for m in loaded.intent_examples) == [
        ("Apple pay top up failed", "top_up_failed"), ("card never turned up", "card_arrival"),
        ("my plastic has not come", "card_arrival")]


async def test_the_audit_log_says_who_and_when_but_never_repeats_the_text(project: TrainingData) -> None:
    project.label(["is my card on its way"], "card_arrival", "ada", item_ids=["0123456789abcdef"])
    lines = (project.path(AUDIT_DIR) / "labels.jsonl").read_text().splitlines()
    record = json.loads(lines[-1])
    assert (record["action"], record["by"], record["intent"], record["item"]) == (
        "label", "ada", "card_arrival", "0123456789abcdef")
    assert record["ts"].endswith("Z") and len(record["text_sha"]) == 16
    assert "on its way" not in lines[-1]


def test_a_new_intent_needs_its_answer_and_gets_a_domain_entry_and_a_rule(project: TrainingData) -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader

    with pytest.raises(errors.InvalidFrame, match="answer"):
        project.label(["what time does the branch open"], "branch_hours", "ada")
    assert not project.path(NLU_FILE).exists()  # nothing half-written
    assert project.label(["what time does the branch open"], "branch_hours", "ada",
                         answer="Our branches open 9:00-17:00, Monday to Friday.") is True
    domain = Domain.from_directory(str(project.path(Path("domain"))))
    assert "branch_hours" in domain.intents
    assert domain.responses["utter_branch_hours"][0]["text"] == "Our branches open 9:00-17:00, Monday to Friday."
    steps = YAMLStoryReader(domain).read_from_file(str(project.path(RULES_FILE)))
    named = [getattr(e, "intent_name", None) or getattr(e, "action_name", None) for e in steps[0].events]
    assert [n for n in named if n and n != "action_listen" and not n.startswith("...")] == [
        "branch_hours", "utter_branch_hours"]
    # a second label for it is a plain label now: the intent exists
    assert project.label(["branch opening times"], "branch_hours", "ada") is False
    assert "branch_hours" in project.intents()


def test_bad_intent_names_reserved_names_and_long_answers_are_refused(project: TrainingData) -> None:
    for bad in ("Card Arrival", "x", "1card", "card-arrival", ""):
        with pytest.raises(errors.InvalidFrame, match="intent"):
            project.label(["hello"], bad, "ada", answer="hi")
    with pytest.raises(errors.InvalidFrame, match="reserved"):
        project.label(["hello"], "nlu_fallback", "ada", answer="hi")
    with pytest.raises(errors.InvalidFrame, match="reserved"):  # a proactive event is a payload, never typed
        project.label(["my card got declined"], "event_card_declined", "ada", answer="hi")
    assert "event_card_declined" not in project.intents() and "check_balance" in project.intents()
    with pytest.raises(errors.InvalidFrame, match="longer"):
        project.label(["hello"], "new_thing", "ada", answer="x" * 1001)
    assert not project.path(DOMAIN_FILE).exists()


def test_rasa_entity_markup_in_a_customer_message_stays_plain_text(project: TrainingData) -> None:
    from rasa.shared.nlu.training_data.loading import load_data

    project.label(["send [100](MONEY) to {bob}"], "transfer_into_account", "ada")
    message = load_data(str(project.path(NLU_FILE))).intent_examples[0]
    assert message.get("text") == "send (100)(MONEY) to {bob}"
    assert not message.get("entities")


def test_a_held_out_message_cannot_be_labelled(project: TrainingData) -> None:
    held = next(iter(yaml.safe_load(project.path(Path("data/eval/banking77_validation.yml")).read_text())["nlu"]))
    text = held["examples"].splitlines()[0][2:]
    with pytest.raises(errors.Conflict, match="held-out"):
        project.label([text.upper()], held["intent"], "ada")
    assert not project.path(NLU_FILE).exists()


def test_two_admins_labelling_at_once_lose_nothing(project: TrainingData) -> None:
    def label(n: int) -> None:
        for k in range(10):
            project.label([f"message {n}-{k}"], "card_arrival", f"admin{n}")

    threads = [threading.Thread(target=label, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(project.labelled()) == 40
    assert len((project.path(AUDIT_DIR) / "labels.jsonl").read_text().splitlines()) == 40


# ------------------------------------------------------------------------------------------ decisions


async def test_labelled_and_ignored_items_leave_the_open_list_and_can_be_reopened(inbox: Inbox) -> None:
    a = await inbox.maybe_add(parse("first", "card_arrival", 0.1))
    b = await inbox.maybe_add(parse("second", "card_arrival", 0.1))
    await inbox.set_labelled([a], "card_arrival", "ada")
    await inbox.set_ignored([b], "ada")
    assert (await inbox.search())["total"] == 0
    assert [i["label"] for i in (await inbox.search(status="labelled"))["items"]] == ["card_arrival"]
    assert [i["id"] for i in (await inbox.search(status="ignored"))["items"]] == [b]
    await inbox.maybe_add(parse("second", "card_arrival", 0.1))  # asked again: still ignored, counted
    assert (await inbox.get(b))["status"] == "ignored" and (await inbox.get(b))["count"] == 2
    await inbox.reopen([a, b])
    assert {i["id"] for i in (await inbox.search())["items"]} == {a, b}
    assert "label" not in await inbox.get(a)


async def test_deleting_forgets_the_message_and_its_training_example(inbox: Inbox, project: TrainingData) -> None:
    iid = await inbox.maybe_add(parse("delete me please", "card_arrival", 0.1))
    project.label(["delete me please"], "card_arrival", "ada", item_ids=[iid])
    await inbox.set_labelled([iid], "card_arrival", "ada")
    assert project.unlabel(["delete me please"], "ada", "delete", [iid]) == 1
    await inbox.delete([iid])
    assert await inbox.get(iid) is None
    assert not project.path(NLU_FILE).exists()
    assert "delete me" not in (project.path(AUDIT_DIR) / "labels.jsonl").read_text()


async def test_a_bulk_action_with_an_unknown_or_malformed_id_changes_nothing(inbox: Inbox) -> None:
    a = await inbox.maybe_add(parse("known", "card_arrival", 0.1))
    with pytest.raises(errors.NotFound):
        await inbox.items([a, item_id("never seen")])
    for bad in ([], ["../etc"], [a] * 0, [1], ["x" * 16]):
        with pytest.raises(errors.InvalidFrame):
            await inbox.items(bad)  # type: ignore[arg-type]
    with pytest.raises(errors.InvalidFrame):
        await inbox.items([item_id(str(n)) for n in range(inbox_mod.MAX_IDS + 1)])
    assert (await inbox.get(a))["status"] == "open"


async def test_a_redis_failure_never_breaks_the_customers_turn() -> None:
    import redis.asyncio as aioredis

    client = aioredis.from_url(f"redis://127.0.0.1:{free_port()}/0", decode_responses=True)  # nobody there
    broken = Inbox(InboxRecords(client))
    assert await broken.maybe_add(parse("unsure message", "card_arrival", 0.1)) is None
    assert await broken.mark_handover(["unsure message"]) == 0
    await client.close()
