"""Live knobs: the escalation thresholds and the fallback threshold an admin saves on /admin reach every
instance within a second, without a retrain (bot/escalation/live.py, bot/live_fallback.py).

The values live in Redis (RetrainRecords: the same overrides the next retrained model is built with); a save
publishes on keys.CH_KNOBS, and every instance re-reads them then, at start, and after the hub reconnects
(its "catchup" event), and hands them to `bot.escalation.live`, which the policy reads on each turn.
A poll every POLL_S more is the floor for a lost message: no instance runs old values for long.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from bot import live_fallback
from bot.escalation import live
from handoff.storage import keys
from handoff.storage.retraining import RetrainRecords

log = logging.getLogger(__name__)
POLL_S = 3.0


class LiveKnobs:
    """One per instance (handoff/app.py starts it where a Rasa agent runs)."""

    def __init__(self, records: RetrainRecords, hub: Any, poll_s: float = POLL_S) -> None:
        self.records, self.hub, self.poll_s = records, hub, poll_s
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    async def start(self) -> None:
        await self.hub.subscribe(keys.CH_KNOBS, self._on_event)
        await self.sync()
        self._task = asyncio.create_task(self._run(), name="tandem-live-knobs")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):  # Redis may already be gone at shutdown
            await self.hub.unsubscribe(keys.CH_KNOBS, self._on_event)

    def _on_event(self, _channel: str, _event: dict[str, Any]) -> None:
        self._wake.set()  # never read Redis inside the hub's delivery loop

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_s)
            self._wake.clear()
            await self.sync()

    async def sync(self) -> None:
        """Read the saved values and apply them; a bad or unreadable set keeps the ones in force."""
        try:
            values = await self.records.thresholds()
            if values != live.overrides():
                applied = live.set_overrides(values)
                log.info("live escalation thresholds now %s", applied or "the model's own")
            cut = await self.records.fallback_threshold()
            if cut != live_fallback.threshold():
                live_fallback.set_threshold(cut)
                log.info("live fallback threshold now %s", cut if cut is not None else "the model's own")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 — keep serving with the values in force
            log.warning("live escalation thresholds not reloaded (%s)", type(exc).__name__)


async def announce(publish: Any) -> None:
    """After a save: tell every instance (`publish`: Store.publish)."""
    await publish(keys.CH_KNOBS, {"kind": "knobs"})
