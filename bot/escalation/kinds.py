"""Why a conversation goes to a person: the one list of escalation kinds.

The policy decides with four of them (`signals`); the gateway adds the ones it names itself. Everything
that counts, stores, exports or shows a handover's `reason.kind` reads this module: the Prometheus
counter (one series per kind), the analytics and export, and the console's and dashboard's labels (the
gateway serves them as a generated module, /vocabulary.js). A `str` Enum, so a kind is its own JSON and
Redis value.
"""

from __future__ import annotations

from enum import Enum


class Kind(str, Enum):
    # The policy's reasons (bot/escalation/signals.py), in the order it checks them.
    EXPLICIT = "explicit"  # the customer asked for a person, in words or with the button
    SENSITIVE = "sensitive"  # fraud, bereavement, hardship, vulnerability, distress
    NEGATIVITY = "negativity"  # the customer is upset
    FAILURE = "failure"  # the bot keeps missing
    # Named outside the policy.
    UNSPECIFIED = "unspecified"  # action_handoff ran without a reason recorded on its turn
    CUSTOMER_REQUEST = "customer_request"  # a handoff that carried no kind at all (the gateway's default)

    def __str__(self) -> str:  # "explicit", not "Kind.EXPLICIT", in logs and f-strings alike
        return self.value

    @property
    def label(self) -> str:
        """Words for people (the console's queue and conversation panel, the dashboard's legend)."""
        return LABELS[self]


POLICY_KINDS = (Kind.EXPLICIT, Kind.SENSITIVE, Kind.NEGATIVITY, Kind.FAILURE)

LABELS = {
    Kind.EXPLICIT: "Asked for a person",
    Kind.SENSITIVE: "Sensitive topic",
    Kind.NEGATIVITY: "Upset customer",
    Kind.FAILURE: "Bot did not understand",
    Kind.UNSPECIFIED: "Unspecified",
    Kind.CUSTOMER_REQUEST: "Asked for a person",
}


def parse_kind(value: object) -> Kind | None:
    """The Kind spelled by `value`, or None for anything else (old or made-up names)."""
    try:
        return Kind(value)
    except (ValueError, TypeError):
        return None
