"""Feedback on the bot's answers in Redis: one hash per conversation (keys.feedback), expiring with it.

handoff/admin/answer_feedback.py decides what may be stored; the dashboard reads it back with the transcript
(handoff/storage/analytics_store.py).
"""

from __future__ import annotations

import json
from typing import Any

from handoff.storage import keys
from handoff.storage.store import Store


class FeedbackRecords:
    def __init__(self, store: Store) -> None:
        self.r = store.r
        self.ttl = store.ttl

    async def put(self, conversation_id: str, kind: str, seq: int, record: dict[str, Any]) -> bool:
        """Store (or replace: a customer may change their mind) one verdict; True when it is new."""
        key = keys.feedback(conversation_id)
        async with self.r.pipeline(transaction=True) as p:
            p.hset(key, f"{kind}:{seq}", json.dumps(record, separators=(",", ":")))
            p.expire(key, self.ttl)
            created, _ = await p.execute()
        return bool(created)

    async def all(self, conversation_id: str) -> list[dict[str, Any]]:
        """Every verdict of the conversation: {kind, seq, value, by, comment, ts}, in seq order."""
        raw = await self.r.hgetall(keys.feedback(conversation_id))
        out = []
        for field, value in raw.items():
            kind, _, seq = field.partition(":")
            out.append({**json.loads(value), "kind": kind, "seq": int(seq)})
        return sorted(out, key=lambda f: (f["seq"], f["kind"]))
