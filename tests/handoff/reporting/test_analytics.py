"""Dashboard figures from hand-written transcripts whose every number is known in advance."""
from __future__ import annotations

from typing import Any

import pytest

from handoff.reporting import analytics
from handoff.reporting.analytics import ConversationRecord, dashboard, facts, percentile

DAY = analytics.DAY_MS
HOUR = analytics.HOUR_MS
T0 = 1_741_824_000_000  # 2025-03-13 00:00 UTC
S = 1000


def conv(cid: str, created: int, messages: list[dict[str, Any]], **fields: Any) -> ConversationRecord:
    seq_msgs = [{**m, "seq": i} for i, m in enumerate(messages, start=1)]
    return ConversationRecord.from_store({"conversation_id": cid, "created": created, "state": "closed", **fields},
                                         seq_msgs)


def cust(ts: int, text: str = "hi", intent: str | None = None, neg: float | None = None) -> dict[str, Any]:
    m: dict[str, Any] = {"sender": "customer", "text": text, "ts": ts}
    if intent:
        m["intent"] = intent
    if neg is not None:
        m["negativity"] = neg
    return m


def bot(ts: int) -> dict[str, Any]:
    return {"sender": "bot", "text": "answer", "ts": ts}


def agent(ts: int, who: str = "sam") -> dict[str, Any]:
    return {"sender": "agent", "text": "I can help", "ts": ts, "agent": who, "agent_name": "Sam"}


def system(ts: int, event: str, **extra: Any) -> dict[str, Any]:
    return {"sender": "system", "text": event, "ts": ts, "event": event, **extra}


# Day 1, hour 9: A contained; B escalated (sensitive), claimed, closed, rated 5.
# Day 1, hour 10: C escalated twice by fallbacks, never claimed (callback); D bot-only, rated 2 by admin close.
# Day 2, hour 9: E escalated, claimed, handed back, escalated again, requeued, claimed, closed; F empty.
# Outside the range: G.
H9, H10 = T0 + 9 * HOUR, T0 + 10 * HOUR
A = conv("a" * 32, H9, [cust(H9 + 1 * S, "when will my card arrive", "card_arrival", 0.1), bot(H9 + 2 * S),
                        cust(H9 + 30 * S, "thanks", "thank_you", 0.0), bot(H9 + 31 * S)], state="bot")
B = conv("b" * 32, H9 + 60 * S, [
    cust(H9 + 61 * S, "my card was stolen", "lost_or_stolen_card", 0.8), bot(H9 + 62 * S),
    system(H9 + 63 * S, "queued"),
    cust(H9 + 90 * S, "hello??", "greet", 0.9),
    system(H9 + 123 * S, "claimed"),  # queue wait 60 s
    agent(H9 + 153 * S),  # first response 90 s after the escalation
    cust(H9 + 200 * S, "ok thanks", "thank_you", 0.2),
    agent(H9 + 210 * S),
    system(H9 + 363 * S, "closed"),  # handle 240 s
], reason={"kind": "sensitive", "score": 0.9}, rating=5, customer={"name": "Chidinma Okafor"})
C = conv("c" * 32, H10, [
    cust(H10 + 1 * S, "blorp card 4539 1488 0343 6467 zzz", "nlu_fallback", 0.5), bot(H10 + 2 * S),
    cust(H10 + 5 * S, "Blorp card 4539 1488 0343 6467 zzz!", "nlu_fallback", 0.6), bot(H10 + 6 * S),
    system(H10 + 7 * S, "no_agents", reason="failure"),
    cust(H10 + 20 * S, "call me"), system(H10 + 21 * S, "callback"),
], reason={"kind": "failure"}, resolution="callback")
D = conv("d" * 32, H10 + 120 * S, [cust(H10 + 121 * S, "I'm Okafor, what is my pin", "get_pin", 0.3),
                                   bot(H10 + 122 * S), system(H10 + 500 * S, "closed")],
         rating=2, customer={"name": "Chidinma Okafor"})
D2 = T0 + DAY + 9 * HOUR
E = conv("e" * 32, D2, [
    cust(D2 + 1 * S, "I want a person", "request_human", 0.4),
    system(D2 + 2 * S, "queued", reason="explicit"),
    system(D2 + 12 * S, "claimed"),  # wait 10 s
    cust(D2 + 20 * S, "thanks", "thank_you", 0.2),
    agent(D2 + 32 * S),  # first response 30 s
    system(D2 + 42 * S, "handback"),  # handle 30 s
    cust(D2 + 50 * S, "this is useless", "nlu_fallback", 0.9),
    system(D2 + 51 * S, "queued"),  # reason from the hash: negativity (the latest)
    system(D2 + 111 * S, "claimed", ),  # wait 60 s
    system(D2 + 131 * S, "requeued"),  # handle 20 s; no reply: no first response
    system(D2 + 141 * S, "claimed"),  # wait 10 s, no first response counted (not an escalation)
    agent(D2 + 151 * S, "alex"),
    cust(D2 + 160 * S, "fine", "affirm", 0.5),
    system(D2 + 241 * S, "closed"),  # handle 100 s
], reason={"kind": "negativity"}, rating=4)
F = conv("f" * 32, D2 + 5 * S, [], state="bot")
G = conv("9" * 32, T0 + 3 * DAY, [cust(T0 + 3 * DAY + S, "hi", "greet", 0.0)])
ALL = [A, B, C, D, E, F, G]


def test_percentile_interpolates_like_numpy() -> None:
    assert percentile([], 0.5) is None
    assert percentile([3.0], 0.9) == 3.0
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile([10, 20, 30, 40, 50], 0.9) == pytest.approx(46.0)


def test_facts_follow_the_phases_of_one_conversation() -> None:
    f = facts(E)
    assert f.escalations == ["explicit", "negativity"]
    assert f.escalation_intents == ["request_human", "nlu_fallback"]
    assert [(h.queue_wait_s, h.first_response_s, h.handle_s) for h in f.handovers] == [
        (10.0, 30.0, 30.0), (60.0, None, 20.0), (10.0, None, 100.0)]
    assert f.handovers[0].negativity_before == pytest.approx(0.4)
    assert f.handovers[0].negativity_after == pytest.approx(0.2)
    assert f.handovers[1].negativity_before == pytest.approx(0.9)  # the new bot phase starts at the handback
    assert f.handled_by == "agent" and not f.contained


def test_a_conversation_without_customer_messages_does_not_count() -> None:
    assert not facts(F).counted and not facts(F).contained


def test_totals_match_the_known_conversations() -> None:
    d = dashboard(ALL, T0, T0 + 2 * DAY, "day")
    t = d["totals"]
    assert t["conversations"] == 5  # A B C D E; F is empty, G outside the range
    assert t["contained"] == 2 and t["containment"] == 0.4  # A and D
    assert t["escalated"] == 3 and t["escalation_rate"] == 0.6
    assert t["escalations"] == 4
    assert t["reasons"] == {"explicit": 1, "negativity": 1, "failure": 1, "sensitive": 1}
    assert t["handovers"] == 4
    assert t["queue_wait_s"]["n"] == 4 and t["queue_wait_s"]["median"] == 35.0  # 60, 10, 60, 10
    assert t["first_response_s"] == {"n": 2, "median": 60.0, "p90": 84.0, "mean": 60.0}  # 90 and 30
    assert t["handle_s"]["n"] == 4 and t["handle_s"]["median"] == 65.0  # 240, 30, 20, 100
    assert t["ratings"]["agent"]["n"] == 2 and t["ratings"]["agent"]["mean"] == 4.5
    assert t["ratings"]["agent"]["distribution"] == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 1}
    assert t["ratings"]["bot"] == {"n": 1, "mean": 2.0, "distribution": {"1": 0, "2": 1, "3": 0, "4": 0, "5": 0}}


def test_negativity_before_and_after_each_handover() -> None:
    neg = dashboard(ALL, T0, T0 + 2 * DAY)["totals"]["negativity"]
    # B: before (0.8, 0.9) -> 0.85, after 0.2.  E: (0.4 | 0.2), (0.9 | none: requeued without a reply), (none: the vanished agent heard nothing | 0.5).
    assert neg["n"] == 2
    assert neg["before"] == pytest.approx((0.85 + 0.4) / 2, abs=1e-3)
    assert neg["after"] == pytest.approx((0.2 + 0.2) / 2, abs=1e-3)
    assert neg["improved"] == 2


def test_fallback_messages_are_grouped_and_redacted() -> None:
    d = dashboard(ALL, T0, T0 + 2 * DAY)
    assert d["top_fallbacks"][0]["count"] == 2
    assert "4539" not in d["top_fallbacks"][0]["text"] and "[CARD]" in d["top_fallbacks"][0]["text"]
    assert {"text": "this is useless", "count": 1} in d["top_fallbacks"]
    # Only what the bot had to understand: B's "hello??" (queued) and "ok thanks" (with Sam) and E's "thanks"
    # and "fine" (with an agent) are not the bot's; A's "thanks" is.
    assert d["top_intents"] == [{"intent": i, "count": 1} for i in (
        "card_arrival", "get_pin", "lost_or_stolen_card", "request_human", "thank_you")]
    assert "nlu_fallback" not in [i["intent"] for i in d["top_intents"]]
    assert {"intent": "nlu_fallback", "count": 2} in d["escalation_intents"]


def test_known_names_are_redacted_in_fallback_text() -> None:
    c = conv("1" * 32, H9, [cust(H9, "Okafor here, blah", "nlu_fallback", 0.1)], customer={"name": "Chidinma Okafor"})
    assert dashboard([c], T0, T0 + DAY)["top_fallbacks"] == [{"text": "[NAME] here, blah", "count": 1}]


def test_series_cover_every_bucket_and_place_conversations_by_creation() -> None:
    days = dashboard(ALL, T0, T0 + 2 * DAY, "day")["series"]
    assert [b["start"] for b in days] == [T0, T0 + DAY]
    assert [b["conversations"] for b in days] == [4, 1]
    assert days[0]["reasons"] == {"failure": 1, "sensitive": 1}
    assert days[0]["containment"] == 0.5
    hours = dashboard(ALL, T0, T0 + DAY, "hour")["series"]
    assert len(hours) == 24
    assert hours[9]["conversations"] == 2 and hours[10]["conversations"] == 2
    assert hours[9]["first_response_s"]["median"] == 90.0
    assert hours[0]["conversations"] == 0 and hours[0]["containment"] is None


def test_range_parsing_defaults_and_limits() -> None:
    now = T0 + 5 * HOUR + 123
    assert analytics.dashboard_range({}, now) == (T0 + DAY - 14 * DAY, T0 + DAY, "day")
    assert analytics.dashboard_range({"bucket": "hour"}, now) == (T0 + 6 * HOUR - 2 * DAY, T0 + 6 * HOUR, "hour")
    since, until, _ = analytics.dashboard_range({"since": "2025-03-13", "until": "2025-03-13"}, now)
    assert (since, until) == (T0, T0 + DAY)  # a bare until date includes that day
    assert analytics.dashboard_range({"since": "2025-03-13T09:00:00Z", "until": str(T0 + 10 * HOUR),
                                      "bucket": "hour"}, now)[:2] == (T0 + 9 * HOUR, T0 + 10 * HOUR)
    for bad in ({"bucket": "week"}, {"since": "yesterday"}, {"since": "2025-03-14", "until": "2025-03-13"},
                {"since": "2024-01-01", "until": "2025-03-13", "bucket": "hour"}):
        with pytest.raises(ValueError):
            analytics.dashboard_range(bad, now)


def test_dashboard_rejects_an_empty_range() -> None:
    with pytest.raises(ValueError):
        dashboard([], T0, T0)


def test_slot_answers_buttons_and_agent_mode_messages_are_never_bot_failures_or_top_intents() -> None:
    """A transfer form asks for an amount: "£950" is a slot answer (NLU reads it as a fallback), the "Yes"
    button a payload; after the hand-over the customer writes to the agent. None of these is the bot's."""
    slot = {**cust(H9 + 3 * S, "£950", "nlu_fallback", 0.1), "form": "transfer_form"}
    button = {**cust(H9 + 5 * S, "/affirm", "affirm", 0.0), "button": True}
    record = conv("7" * 32, H9, [
        cust(H9 + 1 * S, "I want to send money", "transfer", 0.1), bot(H9 + 2 * S), slot, bot(H9 + 4 * S),
        button, bot(H9 + 6 * S), cust(H9 + 7 * S, "blorp", "nlu_fallback", 0.2),
        system(H9 + 8 * S, "queued", reason="explicit"), cust(H9 + 9 * S, "1234", "nlu_fallback", 0.1),
        system(H9 + 10 * S, "claimed"), cust(H9 + 11 * S, "ok thanks", "thank_you", 0.0)])
    f = facts(record)
    assert f.intents == ["transfer"]
    assert f.fallbacks == ["blorp"]
    assert f.escalation_intents == ["nlu_fallback"]  # "blorp", not the slot answer or the button


def test_each_escalation_keeps_its_own_reason_kind() -> None:
    """Two hand-overs of one conversation for different reasons: the first is not lost to "unknown"."""
    record = conv("6" * 32, H9, [
        cust(H9 + 1 * S, "I am furious", "complain", 0.9), system(H9 + 2 * S, "queued", reason="negativity"),
        system(H9 + 3 * S, "claimed"), system(H9 + 4 * S, "handback"),
        cust(H9 + 5 * S, "my card was stolen", "lost_or_stolen_card", 0.5),
        system(H9 + 6 * S, "queued", reason="sensitive")], reason={"kind": "sensitive"})
    assert facts(record).escalations == ["negativity", "sensitive"]


def behind(figure: str, value: str = "") -> list[str]:
    listed = analytics.conversations_behind(ALL, T0, T0 + 2 * DAY, figure, value)
    assert listed["total"] == len(listed["conversations"])
    return [row["conversation_id"][0] for row in listed["conversations"]]


def test_each_figure_lists_exactly_the_conversations_behind_it() -> None:
    """Worked out by hand from the transcripts above (F is empty, so never counted; G is outside the range)."""
    assert behind("conversations") == ["a", "b", "c", "d", "e"]
    assert behind("contained") == ["a", "d"]
    assert behind("escalated") == ["b", "c", "e"]
    assert behind("reason", "sensitive") == ["b"] and behind("reason", "failure") == ["c"]
    assert behind("reason", "explicit") == ["e"] and behind("reason", "negativity") == ["e"]
    assert behind("handovers") == behind("queue_wait") == behind("handle") == ["b", "e"]
    assert behind("first_response") == ["b", "e"] and behind("negativity") == ["b", "e"]
    assert behind("rated_bot") == ["d"] and behind("rated_agent") == ["b", "e"]
    assert behind("fallback", "Blorp card [CARD] zzz") == ["c"] and behind("fallback", "this is useless") == ["e"]
    assert behind("intent", "card_arrival") == ["a"] and behind("escalation_intent", "nlu_fallback") == ["c", "e"]
    assert behind("agent", "sam") == ["b", "e"] and behind("agent", "alex") == ["e"]
    row = analytics.conversations_behind(ALL, T0, T0 + 2 * DAY, "contained")["conversations"][0]
    assert row["view"] == "/console/?view=" + "a" * 32


def test_every_count_on_the_page_equals_the_length_of_its_list() -> None:
    t = dashboard(ALL, T0, T0 + 2 * DAY)["totals"]
    assert t["conversations"] == len(behind("conversations")) and t["contained"] == len(behind("contained"))
    assert t["escalated"] == len(behind("escalated"))
    assert t["ratings"]["bot"]["n"] == len(behind("rated_bot")) and t["ratings"]["agent"]["n"] == len(behind("rated_agent"))


def test_a_figure_that_needs_a_value_or_does_not_exist_is_refused() -> None:
    with pytest.raises(ValueError, match="needs a value"):
        analytics.conversations_behind(ALL, T0, T0 + DAY, "reason")
    with pytest.raises(ValueError, match="figure must be one of"):
        analytics.conversations_behind(ALL, T0, T0 + DAY, "nonsense")


def test_per_agent_rows_split_the_desks_figures_by_who_claimed() -> None:
    rows = {r["agent"]: r for r in dashboard(ALL, T0, T0 + 2 * DAY)["agents"]}
    assert set(rows) == {"sam", "alex"}
    sam, alex = rows["sam"], rows["alex"]
    # Sam claimed B (first response 90 s, handle 240 s) and E's first hand-over (30 s, 30 s); E's second claim
    # nobody answered before the requeue, so it is nobody's. Alex claimed E's third and closed it.
    assert (sam["conversations"], sam["handovers"]) == (2, 2)
    assert sam["first_response_s"]["median"] == 60.0 and sam["handle_s"]["median"] == 135.0
    assert sam["ratings"] == {"n": 1, "mean": 5.0}  # B; E was last with Alex
    assert (alex["conversations"], alex["handovers"], alex["handle_s"]["median"]) == (1, 1, 100.0)
    assert alex["first_response_s"]["n"] == 0 and alex["ratings"] == {"n": 1, "mean": 4.0}


def test_thumbs_and_flags_count_per_answer_and_list_their_conversations() -> None:
    rated = ConversationRecord.from_store(
        {"conversation_id": "8" * 32, "created": H9, "state": "bot"},
        [{**cust(H9 + S, "rate abroad?", "card_payment_fee_charged", 0.1), "seq": 1}, {**bot(H9 + 2 * S), "seq": 2},
         {**cust(H9 + 3 * S, "and at home?", "card_payment_fee_charged", 0.1), "seq": 3}, {**bot(H9 + 4 * S), "seq": 4}],
        feedback=[{"kind": "thumbs", "seq": 2, "value": "down"}, {"kind": "thumbs", "seq": 4, "value": "up"},
                  {"kind": "flag", "seq": 2, "value": "wrong", "by": "sam"}])
    d = dashboard([*ALL, rated], T0, T0 + 2 * DAY)
    assert d["totals"]["answers"] == {"up": 1, "down": 1, "approval": 0.5, "flagged": 1}
    for figure in ("thumbs_down", "thumbs_up", "flagged"):
        assert [r["conversation_id"] for r in analytics.conversations_behind(
            [*ALL, rated], T0, T0 + 2 * DAY, figure)["conversations"]] == ["8" * 32]
