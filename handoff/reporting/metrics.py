"""Every Prometheus metric of the gateway, in one registry, with the small `record_*` calls that feed them.

Two kinds of numbers live here:
- per instance, counted where things happen (messages, escalations, errors, latencies, open sockets):
  each instance exports its own and Prometheus sums them (`sum by (reason) (rate(...))`);
- desk-wide, read from Redis when /metrics is scraped (queue length, oldest wait, conversations by state):
  every instance reports the same value, so aggregate them with `max`, not `sum`.

Label values are bounded (unknown reasons and codes become "other") so a client cannot grow the series
count. Names follow Prometheus conventions: `_total` counters, `_seconds` histograms, base units.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, disable_created_metrics
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from bot.escalation.kinds import Kind
from handoff.core import errors
from handoff.core.protocol import Sender, State

CONTENT_TYPE = CONTENT_TYPE_LATEST
disable_created_metrics()  # no `_created` series: they double the output and no dashboard of ours reads them
REGISTRY = CollectorRegistry()

# Escalation reasons: the kinds of bot/escalation/kinds.py, one series each (anything else is "other").
REASONS = tuple(k.value for k in Kind)
SENDERS = tuple(s.value for s in Sender)
SIDES = ("customer", "agent")
ACTIVE_STATES = (State.BOT.value, State.QUEUED.value, State.AGENT.value)

_FAST = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 15.0, 30.0)
_HUMAN = (5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0, 7200.0)

BOT_REPLY = Histogram(
    "tandem_bot_reply_seconds", "Customer message stored to the bot's answer stored (NLU + policy + actions).",
    buckets=_FAST, registry=REGISTRY)
AGENT_FIRST_RESPONSE = Histogram(
    "tandem_agent_first_response_seconds", "Escalation to the first message of the agent who claimed it.",
    buckets=_HUMAN, registry=REGISTRY)
QUEUE_WAIT = Histogram(
    "tandem_queue_wait_seconds", "Time a conversation waited in the queue before an agent claimed it.",
    buckets=_HUMAN, registry=REGISTRY)
MESSAGES = Counter("tandem_messages_total", "Transcript messages stored, by sender.", ["sender"],
                   registry=REGISTRY)
ESCALATIONS = Counter("tandem_escalations_total", "Conversations handed to the agent queue, by reason.",
                      ["reason"], registry=REGISTRY)
ERRORS = Counter("tandem_errors_total", "Error frames sent to clients, by code and socket side.",
                 ["code", "side"], registry=REGISTRY)
WEBSOCKETS = Gauge("tandem_websocket_connections", "Open websocket connections on this instance.", ["side"],
                   registry=REGISTRY)
PARSES = Counter("tandem_nlu_parses_total",
                 "Customer messages parsed, by where: an NLU worker process or the gateway's own loop "
                 "(while a worker starts, reloads or is replaced).", ["where"], registry=REGISTRY)
MODEL = Info("tandem_model", "The Rasa model this instance answers with.", registry=REGISTRY)
QUEUE_LENGTH = Gauge("tandem_queue_length", "Conversations waiting for an agent (desk-wide, from Redis).",
                     registry=REGISTRY)
QUEUE_OLDEST = Gauge("tandem_queue_oldest_wait_seconds",
                     "How long the longest-waiting queued conversation has waited (desk-wide).", registry=REGISTRY)
ACTIVE = Gauge("tandem_conversations_active",
               "Conversations by state (desk-wide): queued and agent exactly, bot when active in the last "
               "30 minutes.", ["state"], registry=REGISTRY)
AGENTS_ONLINE = Gauge("tandem_agents_online", "Agents with a live console and presence online (desk-wide).",
                      registry=REGISTRY)

# Every labelled series exists from the start, so dashboards show 0 instead of "no data".
for _s in SENDERS:
    MESSAGES.labels(_s)
for _r in REASONS + ("other",):
    ESCALATIONS.labels(_r)
for _side in SIDES:
    WEBSOCKETS.labels(_side)
for _state in ACTIVE_STATES:
    ACTIVE.labels(_state)
MODEL.info({"version": "none", "model_id": "none", "loaded_at": "0"})  # until set_model is called


def _bounded(value: str, allowed: tuple[str, ...]) -> str:
    return value if value in allowed else "other"


def record_message(sender: str) -> None:
    MESSAGES.labels(_bounded(sender, SENDERS)).inc()


def record_bot_reply(seconds: float) -> None:
    BOT_REPLY.observe(max(0.0, seconds))


def record_parse(where: str) -> None:
    PARSES.labels(_bounded(where, ("worker", "gateway"))).inc()


def record_escalation(reason_kind: str) -> None:
    ESCALATIONS.labels(_bounded(reason_kind, REASONS)).inc()


def record_queue_wait(seconds: float) -> None:
    QUEUE_WAIT.observe(max(0.0, seconds))


def record_agent_first_response(seconds: float) -> None:
    AGENT_FIRST_RESPONSE.observe(max(0.0, seconds))


def record_error(code: str, side: str) -> None:
    ERRORS.labels(_bounded(code, errors.ERROR_CODES), _bounded(side, SIDES)).inc()


@contextmanager
def track_websocket(side: str) -> Iterator[None]:
    """`with metrics.track_websocket("customer"): await session.run()` — counts the socket while open."""
    gauge = WEBSOCKETS.labels(_bounded(side, SIDES))
    gauge.inc()
    try:
        yield
    finally:
        gauge.dec()


def set_model(version: str, agent: Any = None) -> None:
    """Record the model this instance answers with; call after loading or hot-swapping one.

    `version` is what people call it (the registry's version name, or the model file's name); the Rasa
    model id comes from `agent` when given."""
    metadata = getattr(getattr(agent, "processor", None), "model_metadata", None)
    model_id = str(getattr(metadata, "model_id", "") or "")
    MODEL.info({"version": version.removesuffix(".tar.gz") or "none", "model_id": model_id or "none", "loaded_at": str(int(time.time()))})


def set_desk(snapshot: dict[str, Any]) -> None:
    """Desk-wide gauges from `analytics_store.desk_snapshot`."""
    QUEUE_LENGTH.set(snapshot["queue_length"])
    QUEUE_OLDEST.set(snapshot["oldest_wait_s"])
    AGENTS_ONLINE.set(snapshot["agents_online"])
    for state in ACTIVE_STATES:
        ACTIVE.labels(state).set(snapshot["active"].get(state, 0))


def exposition() -> bytes:
    """The text format Prometheus scrapes."""
    return generate_latest(REGISTRY)
