"""The history index (handoff/storage/history.py) on a real Redis: both ways HISTORY_SEARCH answers agree."""
from __future__ import annotations

import json

from handoff.storage import keys
from handoff.storage.history import History, HistoryQuery, index_keys_of
from handoff.storage.history_terms import document_terms, query_terms


async def fill(redis, n: int = 30) -> None:  # type: ignore[no-untyped-def]
    history = History(redis, 3600)
    entries = []
    for i in range(n):
        cid = f"{i:032x}"
        conv = {"conversation_id": cid, "customer": {"name": f"Ann {i}", "customer_id": f"HB-{i % 3}"},
                "reason": {"kind": "explicit"}, "resolution": "resolved"}
        said = ["card blocked"] + (["account frozen"] if i % 2 else []) + (["refund"] if i % 5 == 0 else [])
        entries.append((cid, index_keys_of(conv, said, [f"agent{i % 2}"]), 1_000_000 + i))
        await redis.hset(keys.conv(cid), mapping={"customer": json.dumps(conv["customer"]), "resolution": "resolved"})
    await history.add_many(entries)


async def test_a_walked_search_finds_the_same_page_as_an_intersection_and_stops_counting_at_the_cap(redis) -> None:  # type: ignore[no-untyped-def]
    await fill(redis)
    exact, walked = History(redis, 3600), History(redis, 3600, walk_above=2, count_cap=4)
    query = HistoryQuery(words=["card", "account"])
    full = await exact.search(query, 0, 50)
    assert (full.total, full.more) == (15, False)
    assert [r["conversation_id"] for r in full.rows] == [f"{i:032x}" for i in range(29, 0, -2)]  # newest first
    first = await walked.search(query, 0, 3)
    assert [r["conversation_id"] for r in first.rows] == [r["conversation_id"] for r in full.rows[:3]]
    assert (first.total, first.more) == (4, True)
    second = await walked.search(query, 3, 3)
    assert [r["conversation_id"] for r in second.rows] == [r["conversation_id"] for r in full.rows[3:6]]
    dated = await walked.search(HistoryQuery(words=["card", "refund"], from_ms=1_000_010, to_ms=1_000_020), 0, 10)
    assert [r["conversation_id"] for r in dated.rows] == [f"{20:032x}", f"{15:032x}", f"{10:032x}"]
    assert (dated.total, dated.more) == (3, False)
    assert [r["conversation_id"] for r in (await exact.search(HistoryQuery(customer_id="HB-1", agent="agent0"))).rows] \
        == [f"{i:032x}" for i in (28, 22, 16, 10, 4)]
    assert not [k async for k in redis.scan_iter(keys.hist_tmp("*"))]  # no scratch key is left behind


def test_terms_leave_out_card_numbers_stop_words_and_punctuation() -> None:
    assert document_terms(["My card 4111 1111 1111 1111 was STOLEN!", "it's the card-reader"]) == {
        "card", "stolen", "its", "card-reader"}
    assert query_terms("  Stolen   card ") == ["stolen", "card"]
