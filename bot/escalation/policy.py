"""EscalationPolicy: the Rasa adapter around `bot.escalation.signals`.

It outranks RulePolicy (priority 7 > 4, both at confidence 1.0, and it marks its prediction as one
that does not depend on the user's input, the tier a form's own continuation sits in), so on the
turn it fires nothing else answers: not a rule, not a form asking for the next slot. Otherwise it abstains with all-zero
probabilities and never influences the other policies.

It fires at most once per escalation episode: the turns since the last ConversationResumed (the
gateway appends one when an agent hands the conversation back), SessionStarted or Restarted. The
reason travels to `action_handoff` as a SlotSet in the prediction's optional events, which Rasa
applies only when this policy wins and before the action runs, and is also stamped on the
ActionExecuted event (action metadata) so the tracker keeps it even if the action server is down.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ConversationResumed,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import InvalidConfigException

from bot.escalation import live
from bot.escalation.signals import Decision, Thresholds, Turn, decide

logger = logging.getLogger(__name__)

EPISODE_START = (ConversationResumed, SessionStarted, Restarted)
CONFIG_FILE = "escalation.json"


def episode(events: list[Event]) -> tuple[list[Event], int]:
    """The events since the episode began, and how many customer turns came before it."""
    start = 0
    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], EPISODE_START):
            start = index + 1
            break
    earlier_turns = sum(isinstance(e, UserUttered) for e in events[:start])
    return events[start:], earlier_turns


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class EscalationPolicy(Policy):
    """Predicts `action_handoff` once, right after the customer message that tips the conversation."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "priority": 7,
            "handoff_action": "action_handoff",
            "reason_slot": "handoff_reason",
            **Thresholds().as_config(),
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Any = None,
    ) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        self.thresholds = Thresholds.from_config(config)
        self.handoff_action: str = config["handoff_action"]
        self.reason_slot: str = config["reason_slot"]

    def train(
        self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        """Nothing to learn; checks the domain declares what the policy predicts and sets, so a
        missing `action_handoff` fails the training run instead of the first angry customer."""
        if self.handoff_action not in domain.action_names_or_texts:
            raise InvalidConfigException(
                f"EscalationPolicy predicts '{self.handoff_action}', which the domain does not declare"
            )
        if self.reason_slot not in {slot.name for slot in domain.slots}:
            raise InvalidConfigException(
                f"EscalationPolicy sets slot '{self.reason_slot}', which the domain does not declare"
            )
        with self._model_storage.write_to(self._resource) as path:
            (path / CONFIG_FILE).write_text(json.dumps(self.thresholds.as_config()), encoding="utf-8")
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        decision, offset = self.decision_for(tracker)
        if decision is None:
            return self._prediction(probabilities)
        reason = decision.reason(turn_offset=offset)
        logger.info(
            "escalation: handing over (kind=%s detail=%s score=%.2f turn=%d)",
            reason["kind"], reason["detail"], reason["score"], reason["turn"],
        )
        probabilities[domain.index_for_action(self.handoff_action)] = 1.0
        # is_no_user_prediction puts it in the tier the ensemble ranks first, beside a form's "carry
        # on with the loop" prediction, where priority 7 beats RulePolicy's 4. Without it an active
        # form would swallow "can I speak to someone?" as a slot value.
        return self._prediction(
            probabilities,
            optional_events=[SlotSet(self.reason_slot, reason)],
            is_no_user_prediction=True,
            action_metadata={"handoff": reason},
        )

    def decision_for(self, tracker: DialogueStateTracker) -> tuple[Decision | None, int]:
        """The escalation decision for the newest customer turn, or None if the policy abstains."""
        if tracker.latest_action_name != ACTION_LISTEN_NAME or tracker.is_paused():
            return None, 0  # only right after a customer message, never while an agent has it
        events, offset = episode(list(tracker.events))
        if not events or not any(isinstance(e, UserUttered) for e in events):
            return None, 0
        if any(isinstance(e, ActionExecuted) and e.action_name == self.handoff_action for e in events):
            return None, 0  # already handed over in this episode
        turns = [Turn.from_parse_data(e.parse_data) for e in events if isinstance(e, UserUttered)]
        return decide(turns, live.effective(self.thresholds)), offset  # the admin's live values on top

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(priority={self.priority})"
