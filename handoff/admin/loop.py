"""One instance's learning-loop services, built by the composition root (handoff/app.py) and started with
the server: the inbox, the training data, the model registry, the retrainer and the model watcher.

The loop is optional at start-up: if building it fails, the desk serves customers and agents anyway and
the admin routes answer "unavailable" (handoff/admin/admin_routes.py). The watcher exists only where a
Rasa agent is loaded (settings.load_bot): it keeps that agent on the active model version.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from handoff.admin.inbox import Inbox
from handoff.admin.model_registry import ModelRegistry, ModelWatcher
from handoff.admin.retrain import Retrainer
from handoff.admin.training_data import TrainingData
from handoff.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AdminLoop:
    settings: Settings
    inbox: Inbox
    data: TrainingData
    registry: ModelRegistry
    retrainer: Retrainer
    watcher: ModelWatcher | None

    async def start(self, agent_loaded: bool) -> None:
        """Follow the active model version (only with a loaded agent to swap models into)."""
        if self.watcher is not None and agent_loaded:
            await self.watcher.start()

    async def stop(self) -> None:
        """Stop a running retraining (its lock then lapses) and unregister this instance's model status."""
        await self.retrainer.close()
        if self.watcher is not None:
            try:
                await self.watcher.stop()
            except Exception:  # noqa: BLE001 — Redis may already be gone at shutdown
                log.warning("could not unregister this instance's model status")
