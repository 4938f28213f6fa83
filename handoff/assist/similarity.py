"""The nearest past replies to a customer message: cosine similarity over unit MiniLM vectors, in memory.

Pure (numpy only). The entries come from the index in Redis (handoff/storage/assist_index.py), which every
instance follows; this holds one instance's copy as one matrix, so a search is one product.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from handoff.assist.drafts import Neighbour

MIN_SIMILARITY = 0.5  # below it a "similar" message is about something else (MiniLM cosine)
MAX_ENTRIES = 50_000  # newest kept; ~80 MB of float32 vectors at the most


@dataclass(frozen=True)
class Entry:
    entry_id: str
    customer: str  # the customer's message the reply answered (redacted)
    reply: str  # the agent's reply (redacted)
    intent: str = ""


def unit(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (zero rows stay zero)."""
    v = np.asarray(vectors, np.float32)
    norms = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.divide(v, norms, out=np.zeros_like(v), where=norms > 0)


class VectorIndex:
    def __init__(self, dim: int = 384, max_entries: int = MAX_ENTRIES) -> None:
        self.dim, self.max_entries = dim, max_entries
        self.entries: list[Entry] = []
        self.matrix = np.zeros((0, dim), np.float32)

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, entries: Sequence[Entry], vectors: np.ndarray) -> None:
        vectors = unit(np.asarray(vectors, np.float32).reshape(len(entries), self.dim))
        self.entries.extend(entries)
        self.matrix = np.vstack([self.matrix, vectors]) if len(self.matrix) else vectors
        if len(self.entries) > self.max_entries:
            drop = len(self.entries) - self.max_entries
            self.entries, self.matrix = self.entries[drop:], self.matrix[drop:]

    def search(self, vector: np.ndarray, k: int = 3, min_similarity: float = MIN_SIMILARITY,
               exclude: frozenset[str] = frozenset()) -> list[Neighbour]:
        """The k entries most similar to `vector` with distinct replies, above `min_similarity`."""
        if not self.entries:
            return []
        scores = self.matrix @ unit(np.asarray(vector, np.float32).reshape(-1))
        out: list[Neighbour] = []
        seen: set[str] = set()
        want = min(len(scores), k * 4 + len(exclude))  # spare candidates: repeated replies are skipped
        top = np.argpartition(-scores, want - 1)[:want]  # O(n), not a full sort of the index
        for i in top[np.argsort(-scores[top])]:
            e, s = self.entries[int(i)], float(scores[int(i)])
            if s < min_similarity:
                break
            key = " ".join(e.reply.casefold().split())
            if e.entry_id in exclude or key in seen:
                continue
            seen.add(key)
            out.append(Neighbour(e.entry_id, e.reply, s, e.intent))
            if len(out) >= k:
                break
        return out


def closed_well(conv: dict) -> bool:
    """A conversation whose replies may teach: rated 4 or 5, or closed as resolved (issue #23)."""
    rating = conv.get("rating")
    try:
        rated_well = rating not in (None, "") and int(rating) >= 4
    except (TypeError, ValueError):
        rated_well = False
    return rated_well or conv.get("resolution") == "resolved"


def reply_pairs(transcript: Sequence[dict]) -> list[tuple[dict, dict]]:
    """(customer message, agent reply) for each customer message an agent answered: the agent's first reply
    after it. Notes, bot and system lines are skipped; a customer message the bot answered is not paired."""
    pairs: list[tuple[dict, dict]] = []
    waiting: dict | None = None
    for m in transcript:
        sender = m.get("sender")
        if sender == "customer" and str(m.get("text") or "").strip():
            waiting = m
        elif sender == "bot":
            waiting = None
        elif sender == "agent" and waiting is not None and str(m.get("text") or "").strip():
            pairs.append((waiting, m))
            waiting = None
    return pairs
