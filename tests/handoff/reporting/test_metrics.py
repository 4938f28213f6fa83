"""The metrics registry and its record_* calls, and the Redis-read figures behind them (real Redis).

The end-to-end check of every metric against a driven desk is in test_dashboard_routes.py."""
from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.escalation.kinds import Kind
from handoff.accounts.auth import Accounts
from handoff.admin.inbox import Inbox
from handoff.assistant.bot_bridge import BotBridge
from handoff.core import conversation as sm
from handoff.core.clock import now_ms
from handoff.core.protocol import State
from handoff.gateway.desk import Desk, snapshot
from handoff.reporting import metrics
from handoff.settings import Settings
from handoff.storage import analytics_store
from handoff.storage.accounts import AccountRecords
from handoff.storage.inbox import InboxRecords
from handoff.storage.store import Store


def sample(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


def test_every_metric_is_exported_under_its_documented_name() -> None:
    names = {f.name for f in text_string_to_metric_families(metrics.exposition().decode())}
    assert names >= {
        "tandem_bot_reply_seconds", "tandem_agent_first_response_seconds", "tandem_queue_wait_seconds",
        "tandem_messages", "tandem_escalations", "tandem_errors", "tandem_websocket_connections",
        "tandem_model_info", "tandem_queue_length", "tandem_queue_oldest_wait_seconds",
        "tandem_conversations_active", "tandem_agents_online", "tandem_nlu_parses",
    }


def test_parses_are_counted_by_where_they_ran_and_unknown_places_become_other() -> None:
    before = {w: sample("tandem_nlu_parses_total", where=w) for w in ("worker", "gateway", "other")}
    metrics.record_parse("worker")
    metrics.record_parse("gateway")
    metrics.record_parse("elsewhere")
    after = {w: sample("tandem_nlu_parses_total", where=w) for w in before}
    assert {w: after[w] - before[w] for w in before} == {"worker": 1, "gateway": 1, "other": 1}


def test_unknown_label_values_are_folded_into_other() -> None:
    """A client must not be able to create new time series with made-up reasons or codes."""
    before = sample("tandem_escalations_total", reason="other")
    metrics.record_escalation("<script>alert(1)</script>")
    assert sample("tandem_escalations_total", reason="other") == before + 1
    assert metrics.REGISTRY.get_sample_value("tandem_escalations_total",
                                             {"reason": "<script>alert(1)</script>"}) is None
    before = sample("tandem_errors_total", code="other", side="other")
    metrics.record_error("made_up", "sideways")
    assert sample("tandem_errors_total", code="other", side="other") == before + 1
    before = sample("tandem_errors_total", code="rate_limited", side="customer")
    metrics.record_error("rate_limited", "customer")
    assert sample("tandem_errors_total", code="rate_limited", side="customer") == before + 1


@pytest.mark.parametrize("kind", list(Kind), ids=str)
async def test_each_escalation_kind_is_counted_under_its_own_name(kind: Kind, store: Store, redis) -> None:  # type: ignore[no-untyped-def]
    """The desk's escalate, as a handover from the policy or the gateway reaches it: one series per kind
    (they used to fall into "other" for sensitive, negativity and failure)."""
    desk = Desk(Settings(load_bot=False), store, Accounts(AccountRecords(redis)), BotBridge(lambda: None, 1.0),
                Inbox(InboxRecords(redis)))
    cid, _ = await store.create_conversation({}, None)
    before = {k.value: sample("tandem_escalations_total", reason=k.value) for k in Kind}
    other = sample("tandem_escalations_total", reason="other")
    assert await desk.escalate(cid, {"kind": kind.value, "score": 0.9}, paused_by_bot=True)
    after = {k.value: sample("tandem_escalations_total", reason=k.value) for k in Kind}
    assert {k: after[k] - before[k] for k in after} == {k.value: float(k is kind) for k in Kind}
    assert sample("tandem_escalations_total", reason="other") == other


def test_every_kind_has_its_series_from_the_start() -> None:
    names = {s.labels["reason"] for f in text_string_to_metric_families(metrics.exposition().decode())
             if f.name == "tandem_escalations" for s in f.samples if s.name == "tandem_escalations_total"}
    assert names == {k.value for k in Kind} | {"other"}


def test_a_websocket_is_counted_while_open_even_when_its_handler_fails() -> None:
    base = sample("tandem_websocket_connections", side="agent")
    with pytest.raises(RuntimeError), metrics.track_websocket("agent"):
        assert sample("tandem_websocket_connections", side="agent") == base + 1
        raise RuntimeError("handler crashed")
    assert sample("tandem_websocket_connections", side="agent") == base


def test_histograms_never_take_negative_durations() -> None:
    count, total = sample("tandem_bot_reply_seconds_count"), sample("tandem_bot_reply_seconds_sum")
    metrics.record_bot_reply(-3.0)  # a clock step backwards
    metrics.record_bot_reply(0.4)
    assert sample("tandem_bot_reply_seconds_count") == count + 2
    assert sample("tandem_bot_reply_seconds_sum") == pytest.approx(total + 0.4)
    assert sample("tandem_bot_reply_seconds_bucket", le="0.5") >= 2


def test_model_info_names_the_version() -> None:
    metrics.set_model("20250313-101500.tar.gz")
    info = next(s for f in text_string_to_metric_families(metrics.exposition().decode())
                if f.name == "tandem_model_info" for s in f.samples)
    assert info.labels["version"] == "20250313-101500" and info.labels["model_id"] == "none"


# ---------------------------------------------------------------- figures read from Redis


async def escalated(store: Store, customer_text: str = "help") -> str:
    cid, _ = await store.create_conversation({"name": "Ada"}, "en")
    await store.append(cid, {"sender": "customer", "text": customer_text, "client_id": "c1"}, dedupe="c:c1")
    conv = await store.get(cid)
    await store.apply(cid, sm.escalate(snapshot(conv), {"kind": "explicit"}, 0.5, now_ms()), {"state": "queued"})
    await store.append(cid, sm.queued_note(1, 60, 1).message())
    return cid


async def claimed_by_sam(store: Store, accounts: Accounts) -> str:
    if await accounts.get("sam") is None:
        await accounts.create("sam", "Sam", "agent", 3, "sam-password-123")
    cid = await escalated(store)
    conv = await store.get(cid)
    await store.apply(cid, sm.claim(snapshot(conv), "sam", "Sam"), {"state": "agent"})
    return cid


async def agent_says(store: Store, cid: str, text: str, sender: str = "agent") -> int:
    seq, _, _ = await store.append(cid, {"sender": sender, "text": text, "agent": "sam", "agent_name": "Sam"})
    return seq


async def test_first_agent_reply_after_an_escalation_is_observed_once(store: Store, accounts: Accounts) -> None:
    cid = await claimed_by_sam(store, accounts)
    count, total = sample("tandem_agent_first_response_seconds_count"), sample("tandem_agent_first_response_seconds_sum")
    note_seq = await agent_says(store, cid, "private", sender="note")
    await analytics_store.record_agent_reply(store, cid, note_seq)  # a note is not a reply
    assert sample("tandem_agent_first_response_seconds_count") == count
    seq = await agent_says(store, cid, "Hello, Sam here.")
    await analytics_store.record_agent_reply(store, cid, seq)
    log = await store.read_log(cid)
    queued = next(m["ts"] for m in log if m.get("event") == "queued")
    replied = next(m["ts"] for m in log if m["seq"] == seq)
    assert sample("tandem_agent_first_response_seconds_count") == count + 1
    assert sample("tandem_agent_first_response_seconds_sum") == pytest.approx(total + (replied - queued) / 1000)
    seq2 = await agent_says(store, cid, "Anything else?")
    await analytics_store.record_agent_reply(store, cid, seq2)
    assert sample("tandem_agent_first_response_seconds_count") == count + 1


async def test_desk_snapshot_counts_queue_agents_and_recent_bot_conversations(store: Store,
                                                                              accounts: Accounts) -> None:
    active_bot, _ = await store.create_conversation({}, None)
    idle_bot, _ = await store.create_conversation({}, None)
    await store.update_fields(idle_bot, {"updated": str(now_ms() - analytics_store.ACTIVE_BOT_WINDOW_MS - 1000)})
    await escalated(store)
    with_agent = await claimed_by_sam(store, accounts)
    closed = await escalated(store)
    conv = await store.get(closed)
    await store.apply(closed, sm.close(snapshot(conv), "sam", "spam"), {"state": State.CLOSED.value})
    await store.heartbeat("sam", "conn-1")
    snap = await analytics_store.desk_snapshot(store)
    assert snap["queue_length"] == 1
    assert snap["active"] == {"bot": 1, "queued": 1, "agent": 1}
    assert snap["agents_online"] == 1
    assert 0 <= snap["oldest_wait_s"] < 60
    assert {active_bot, with_agent} <= {c async for c in analytics_store.conversation_ids(store)}
    metrics.set_desk(snap)
    assert sample("tandem_queue_length") == 1 and sample("tandem_conversations_active", state="agent") == 1


async def test_records_between_reads_only_the_range_with_annotations(store: Store) -> None:
    early, _ = await store.create_conversation({}, None)
    await store.update_fields(early, {"created": "1000"})
    cid = await escalated(store, "my card 4539 1488 0343 6467 is gone")
    await store.annotate(cid, 1, {"intent": "lost_or_stolen_card", "confidence": 0.9, "negativity": 0.7,
                                  "emotions": {"fear": 0.6}})
    records, truncated = await analytics_store.records_between(store, 5000, now_ms() + 1)
    assert not truncated and [r.conversation_id for r in records] == [cid]
    first = records[0].messages[0]
    assert first["intent"] == "lost_or_stolen_card" and first["negativity"] == 0.7
    assert records[0].names == ("Ada",)
    _, truncated = await analytics_store.records_between(store, 0, now_ms() + 1, limit=1)
    assert truncated
