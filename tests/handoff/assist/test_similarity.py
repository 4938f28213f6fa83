"""The in-memory index of good past replies and which conversations may feed it (handoff/assist/similarity.py)."""
from __future__ import annotations

import numpy as np

from handoff.assist.similarity import Entry, VectorIndex, closed_well, reply_pairs


def test_search_returns_the_nearest_distinct_replies_above_the_floor() -> None:
    index = VectorIndex(dim=3)
    index.add([Entry("a", "c1", "reply one"), Entry("b", "c2", "Reply  ONE"), Entry("c", "c3", "reply two"),
               Entry("d", "c4", "far away")],
              np.array([[1, 0, 0], [0.99, 0.1, 0], [0.9, 0.3, 0], [0, 0, 1]], np.float32))
    found = index.search(np.array([1, 0, 0], np.float32), k=3, min_similarity=0.5)
    assert [n.entry_id for n in found] == ["a", "c"]  # "b" repeats a's reply; "d" is below the floor
    assert found[0].similarity > found[1].similarity


def test_the_index_keeps_only_the_newest_entries() -> None:
    index = VectorIndex(dim=2, max_entries=2)
    index.add([Entry(str(i), "c", f"r{i}") for i in range(3)], np.eye(3, 2, dtype=np.float32) + 0.1)
    assert [e.entry_id for e in index.entries] == ["1", "2"] and index.matrix.shape == (2, 2)


def test_a_conversation_closed_well_is_resolved_or_rated_four_or_five() -> None:
    assert closed_well({"resolution": "resolved"})
    assert closed_well({"resolution": "unresolved", "rating": 4})
    assert not closed_well({"resolution": "unresolved", "rating": 3})
    assert not closed_well({"resolution": "spam"})


def test_each_answered_customer_message_pairs_with_the_agents_first_reply() -> None:
    log = [{"seq": 1, "sender": "customer", "text": "hi"}, {"seq": 2, "sender": "bot", "text": "hello"},
           {"seq": 3, "sender": "customer", "text": "card?"}, {"seq": 4, "sender": "note", "text": "check it"},
           {"seq": 5, "sender": "agent", "text": "It is on its way."}, {"seq": 6, "sender": "agent", "text": "Anything else?"},
           {"seq": 7, "sender": "customer", "text": "no thanks"}]
    assert [(c["seq"], r["seq"]) for c, r in reply_pairs(log)] == [(3, 5)]
