"""The answer content: every Banking77 intent has a real answer and a rule that gives it, quick-reply
buttons only point at intents the assistant knows, and the entity patterns extract what they should.

Nothing here needs a trained model: the domain and rules are read with Rasa's own loaders, and the
entity patterns run through a freshly trained RegexEntityExtractor (training it is pattern collection).
"""

from __future__ import annotations

import itertools
import json

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.extractors.regex_entity_extractor import RegexEntityExtractor
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from tests.support import ROOT, shipped_domain_files

CATEGORIES = json.loads((ROOT / "data" / "banking77" / "categories.json").read_text())
# These start multi-turn flows, so their rules live with the flows, not with the one-shot answers.
FLOW_INTENTS = {
    "lost_or_stolen_card",
    "transfer_not_received_by_recipient",
    "declined_card_payment",
    "exchange_rate",
    "top_up_failed",
}
CHITCHAT_RULES = {
    "greet": "action_greet",  # picks utter_greet_named when the customer's name is known
    "goodbye": "utter_goodbye",
    "thank_you": "utter_thank_you",
    "bot_challenge": "utter_bot_challenge",
    "out_of_scope": "utter_out_of_scope",
    "nlu_fallback": "action_fallback",  # utter_default, unless the message acknowledges or follows up
}
FORBIDDEN = ("todo", "lorem", "placeholder", "tbd", "xxx")


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(shipped_domain_files())


@pytest.fixture(scope="module")
def answer_rules(domain: Domain) -> dict[str, set[str]]:
    """Intent → actions that a single-intent rule in data/core/answers.yml runs right after it."""
    steps = YAMLStoryReader(domain).read_from_file(ROOT / "data" / "core" / "answers.yml")
    rules: dict[str, set[str]] = {}
    for step in steps:
        events = [e for e in step.events if isinstance(e, (UserUttered, ActionExecuted))]
        for user, action in itertools.pairwise(events):
            if isinstance(user, UserUttered) and isinstance(action, ActionExecuted):
                rules.setdefault(user.intent_name, set()).add(action.action_name)
    return rules


@pytest.fixture(scope="module")
def extractor(tmp_path_factory: pytest.TempPathFactory) -> RegexEntityExtractor:
    """A RegexEntityExtractor trained, as in the real pipeline, on data/nlu/entities.yml."""
    storage = LocalModelStorage(tmp_path_factory.mktemp("regex_storage"))
    context = ExecutionContext(GraphSchema({}), "test_answers")
    component = RegexEntityExtractor.create({}, storage, Resource("regex_entities"), context)
    component.train(load_data(str(ROOT / "data" / "nlu" / "entities.yml")))
    return component


def _entities(extractor: RegexEntityExtractor, text: str, entity: str) -> list[str]:
    [message] = extractor.process([Message(data={TEXT: text})])
    return [e["value"] for e in message.get(ENTITIES, []) if e["entity"] == entity]


def _texts(domain: Domain, response: str) -> list[str]:
    return [variation.get("text") or "" for variation in domain.responses.get(response, [])]


def test_categories_file_lists_the_77_banking77_intents() -> None:
    assert len(CATEGORIES) == 77 == len(set(CATEGORIES))


@pytest.mark.parametrize("intent", CATEGORIES)
def test_every_banking77_intent_has_a_substantial_answer(domain: Domain, intent: str) -> None:
    assert intent in domain.intents
    texts = _texts(domain, f"utter_{intent}")
    assert texts, f"no response utter_{intent}"
    for text in texts:
        assert len(text) >= 60, f"utter_{intent} is too short to help: {len(text)} chars"
        assert not any(word in text.lower() for word in FORBIDDEN), f"utter_{intent} looks unfinished"
        assert "{" not in text, f"utter_{intent} has a template slot; the 77 answers must stand alone"


@pytest.mark.parametrize(
    "response",
    [
        "utter_greet",
        "utter_greet_named",
        "utter_goodbye",
        "utter_thank_you",
        "utter_bot_challenge",
        "utter_out_of_scope",
        "utter_default",
        "utter_ask_rephrase",
    ],
)
def test_chitchat_and_fallback_responses_exist(domain: Domain, response: str) -> None:
    assert any(len(text) >= 30 for text in _texts(domain, response)), response


def test_named_greeting_uses_the_customer_name_slot(domain: Domain) -> None:
    assert all("{customer_name}" in text for text in _texts(domain, "utter_greet_named"))
    assert all("{" not in text for text in _texts(domain, "utter_greet"))


def test_out_of_scope_and_fallback_offer_a_person(domain: Domain) -> None:
    for response in ("utter_out_of_scope", "utter_default"):
        payloads = [b["payload"] for v in domain.responses[response] for b in v.get("buttons", [])]
        assert "/request_human" in payloads, response


def test_every_button_payload_names_a_declared_intent(domain: Domain) -> None:
    """Slash payloads must name intents; plain payloads (form answers like "lost") are sent as text."""
    checked = 0
    for name, variations in domain.responses.items():
        for variation in variations:
            for button in variation.get("buttons", []):
                assert button.get("title"), f"{name} has a button without a title"
                if not button["payload"].startswith("/"):
                    continue
                # Parsed exactly as Rasa parses a typed "/intent" message; unknown intents stay unparsed.
                parsed = YAMLStoryReader.unpack_regex_message(Message(data={TEXT: button["payload"]}), domain)
                intent = (parsed.get(INTENT) or {}).get("name")
                assert intent in domain.intents, f"{name}: payload {button['payload']!r} is not an intent"
                checked += 1
    assert checked >= 20, "expected quick replies on many answers"


@pytest.mark.parametrize("intent", [c for c in CATEGORIES if c not in FLOW_INTENTS])
def test_every_one_shot_intent_has_a_rule_to_its_answer(
    answer_rules: dict[str, set[str]], intent: str
) -> None:
    assert answer_rules.get(intent) == {f"utter_{intent}"}


@pytest.mark.parametrize("intent", sorted(FLOW_INTENTS | {"request_human"}))
def test_flow_and_control_intents_have_no_one_shot_rule(
    answer_rules: dict[str, set[str]], intent: str
) -> None:
    assert intent not in answer_rules


@pytest.mark.parametrize("intent", ["affirm", "deny"])
def test_a_yes_or_no_outside_a_flow_gets_only_the_polite_fallback(
    answer_rules: dict[str, set[str]], intent: str
) -> None:
    """Inside a flow the form takes "ok"/"no"; outside one they acknowledge, so no answer is given."""
    assert answer_rules.get(intent) == {"action_fallback"}


@pytest.mark.parametrize(("intent", "action"), sorted(CHITCHAT_RULES.items()))
def test_chitchat_and_fallback_rules(answer_rules: dict[str, set[str]], intent: str, action: str) -> None:
    assert answer_rules.get(intent) == {action}


def test_every_rule_action_is_a_declared_response(domain: Domain, answer_rules: dict[str, set[str]]) -> None:
    for actions in answer_rules.values():
        assert actions <= set(domain.responses) | set(domain.user_actions)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my card ending in 4821", ["4821"]),
        ("the last 4 digits are 0917 and it was stolen", ["0917"]),
        ("Card ****3302 is not working", ["3302"]),
        ("my Card Ending 7735 got declined", ["7735"]),
        ("I paid 1200 euros", []),
        ("in 2023", []),
        ("ending in 48213", []),
        ("my pin is 1234", []),
    ],
)
def test_card_last_four_needs_a_signal_and_keeps_only_the_digits(
    extractor: RegexEntityExtractor, text: str, expected: list[str]
) -> None:
    assert _entities(extractor, text, "card_last_four") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("how many yen for 100 euros", ["yen", "euros"]),
        ("change GBP to chf", ["GBP", "chf"]),
        ("rate for Swiss francs today", ["Swiss francs"]),
        ("let me try again with my card", []),
    ],
)
def test_currency_lookup_finds_codes_and_names(
    extractor: RegexEntityExtractor, text: str, expected: list[str]
) -> None:
    assert sorted(_entities(extractor, text, "currency")) == sorted(expected)


def test_entity_examples_annotate_both_entities() -> None:
    """RegexEntityExtractor drops a pattern whose entity is never annotated, so both must be."""
    data = load_data(str(ROOT / "data" / "nlu" / "entities.yml"))
    assert {"currency", "card_last_four"} <= data.entities


def test_chitchat_intents_have_at_least_30_examples() -> None:
    data = load_data(str(ROOT / "data" / "nlu" / "chitchat.yml"))
    counts = {
        intent: 0
        for intent in ("greet", "goodbye", "thank_you", "affirm", "deny", "bot_challenge", "request_human")
    }
    for example in data.training_examples:
        counts[example.get(INTENT)] += 1
    assert min(counts.values()) >= 30, counts
    assert len({e.get(TEXT).lower() for e in data.training_examples}) == len(data.training_examples)
