"""A stand-in for Harbour Bank's card system, which this open-source desk does not have.

``SimulatedCardService`` is the ONLY simulated part of the flows: a real deployment replaces it with
a client for the bank's card API exposing the same two methods. It keeps state in memory for the
life of the action-server process, so freezing twice says "already frozen" like the real thing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class FreezeResult:
    last_four: str
    already_frozen: bool


class SimulatedCardService:
    """Bank backend simulator: freezes cards by (customer id, last four digits), in memory."""

    def __init__(self) -> None:
        self._frozen: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def freeze(self, customer_id: str, last_four: str) -> FreezeResult:
        """Freeze one card; freezing a frozen card is not an error (the customer may retry)."""
        if not customer_id or not (len(last_four) == 4 and last_four.isdigit()):
            raise ValueError("freeze needs a customer id and four card digits")
        key = (customer_id, last_four)
        with self._lock:
            already = key in self._frozen
            self._frozen.add(key)
        return FreezeResult(last_four, already)

    def is_frozen(self, customer_id: str, last_four: str) -> bool:
        with self._lock:
            return (customer_id, last_four) in self._frozen


# One simulated backend per action-server process, shared by every action that needs it.
card_service = SimulatedCardService()
