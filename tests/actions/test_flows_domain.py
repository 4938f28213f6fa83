"""The flows' domain, rules and actions agree with each other, read with Rasa's and rasa-sdk's own loaders.

No model needed: a missing question, an action the server does not serve, or a rule naming an
unknown action would otherwise only show up in a live conversation.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa_sdk.executor import ActionExecutor

from actions.flow import FORM_SLOTS
from tests.support import ROOT, is_admin_written, shipped_domain_files

FLOW_MODULES = ["session", "flow", "cards", "transfers", "payments", "exchange", "topups"]
FLOW_INTENTS = {
    "lost_or_stolen_card": "card_loss_form",
    "transfer_not_received_by_recipient": "transfer_form",
    "declined_card_payment": "declined_payment_form",
    "exchange_rate": "exchange_form",
    "top_up_failed": "topup_form",
}


@lru_cache(maxsize=1)
def merged_domain() -> Domain:
    return Domain.load(shipped_domain_files())


@lru_cache(maxsize=1)
def flows_file() -> Domain:
    return Domain.load(str(ROOT / "domain" / "flows.yml"))


def steps(path):
    return YAMLStoryReader(merged_domain()).read_from_file(str(path))


def test_every_flow_action_in_the_domain_is_served_by_the_action_server():
    executor = ActionExecutor()
    executor.register_package("actions")
    for action in [a for a in flows_file().user_actions if not a.startswith("utter_")]:
        assert action in executor.actions, f"{action} is in domain/flows.yml but no class serves it"


def test_every_action_class_of_the_flows_is_declared_in_the_domain():
    executor = ActionExecutor()
    executor.register_package("actions")
    ours = {
        name
        for name, action in executor.actions.items()
        if any(action.__module__ == f"actions.{m}" for m in FLOW_MODULES)
    }
    assert ours <= set(flows_file().user_actions)


@pytest.mark.parametrize("form", sorted(FORM_SLOTS))
def test_every_form_question_has_a_response_or_an_ask_action(form):
    names = set(merged_domain().action_names_or_texts)
    for slot in flows_file().forms[form]["required_slots"]:
        asks = {
            f"utter_ask_{slot}",
            f"utter_ask_{form}_{slot}",
            f"action_ask_{slot}",
            f"action_ask_{form}_{slot}",
        }
        assert asks & names, f"nothing asks for {slot} in {form}"


def test_every_response_the_actions_name_exists():
    responses = set(merged_domain().responses)
    for module in FLOW_MODULES:
        source = (ROOT / "actions" / f"{module}.py").read_text()
        for name in re.findall(r'"(utter_[a-z_]+)"', source):
            assert name in responses, f"actions/{module}.py says {name}, which no domain file defines"


def test_button_payloads_point_at_declared_intents():
    intents = set(merged_domain().intents)
    for name, variants in flows_file().responses.items():
        for variant in variants:
            for button in variant.get("buttons", []):
                payload = button["payload"]
                if payload.startswith("/"):
                    assert re.match(r"/(\w+)", payload)[1] in intents, f"{name}: {payload}"


def test_rules_and_stories_load_and_use_only_known_actions_and_intents():
    domain = merged_domain()
    trackers = steps(ROOT / "data" / "core" / "flows.yml")
    assert len(trackers) >= 5 * 5
    for block in trackers:
        for event in block.events:
            if isinstance(event, ActionExecuted) and event.action_name:
                assert event.action_name in domain.action_names_or_texts, event.action_name
            if isinstance(event, UserUttered) and event.intent_name:
                assert event.intent_name in domain.intents, event.intent_name


@pytest.mark.parametrize("intent, form", sorted(FLOW_INTENTS.items()))
def test_each_flow_intent_starts_its_form_after_a_reset(intent, form):
    rules = [
        b for b in steps(ROOT / "data" / "core" / "flows.yml") if b.block_name.endswith("starts its flow")
    ]
    sequences = [
        [
            getattr(e, "intent_name", None) or getattr(e, "action_name", None)
            for e in b.events
            if isinstance(e, UserUttered) or (isinstance(e, ActionExecuted) and e.action_name != "...")
        ]
        for b in rules
    ]
    assert [intent, "action_reset_flow_slots", form] in [s[:3] for s in sequences]


def test_no_other_rule_file_answers_a_flow_intent_directly():
    # A one-shot answer rule for these intents would contradict the flow's start rule.
    for path in sorted((ROOT / "data" / "core").glob("*.yml")):
        if path.name == "flows.yml" or is_admin_written(path):  # the admin's rules: a used desk's, not ours
            continue
        for block in steps(path):
            first = next((e for e in block.events if isinstance(e, UserUttered)), None)
            assert first is None or first.intent_name not in FLOW_INTENTS, f"{path.name}: {block.block_name}"
