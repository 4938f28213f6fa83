"""Model versions, the one active pointer every instance agrees on, and the in-process hot swap.

Files: models/versions/<version>/tandem.tar.gz (+ train_info.json, config.yml, compare.json, ...). The
model the desk started from (settings.model_path) is the version called "base". The pointer lives in
Redis (tandem:models:active: version, previous, by, ts), so any instance can read it at start-up and a
rollback is "activate previous". Activation publishes on tandem:pub:models; every instance's
ModelWatcher loads the new model in a worker thread and then swaps the agent's processor between two
turns of the event loop — open websockets, trackers (in Redis) and conversations carry on untouched; a
turn already running finishes on the processor it started with.

models/ must be shared by the instances (one host, or a shared volume): an instance that cannot find a
version's file keeps serving its current model and reports the failure in tandem:models:instances.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from handoff.core import errors
from handoff.core.clock import now_ms
from handoff.reporting import metrics
from handoff.storage import keys
from handoff.storage.models import ModelRecords

log = logging.getLogger(__name__)
BASE = "base"
MODEL_FILE = "tandem.tar.gz"
HISTORY_KEPT = 100


def new_version_name(now: float | None = None) -> str:
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime(now or time.time()))


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


class ModelRegistry:
    def __init__(self, records: ModelRecords, versions_dir: Path, base_model: Path) -> None:
        self.records = records
        self.versions_dir = Path(versions_dir)
        self.base_model = Path(base_model)

    # ------------------------------------------------------------ files

    def version_dir(self, version: str) -> Path:
        if version == BASE or not _valid_name(version):
            raise errors.NotFound("no such model version")
        return self.versions_dir / version

    def create_version_dir(self) -> tuple[str, Path]:
        """A fresh, empty folder named by the UTC time (suffixed if two start in one second)."""
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        base = new_version_name()
        for n in range(1, 100):
            name = base if n == 1 else f"{base}-{n}"
            path = self.versions_dir / name
            try:
                path.mkdir()
                return name, path
            except FileExistsError:
                continue
        raise errors.Conflict("too many model versions started this second")

    def model_file(self, version: str) -> Path | None:
        """The .tar.gz to load for a version, or None when it is not (or no longer) on disk."""
        if version == BASE:
            if self.base_model.is_file():
                return self.base_model
            found = sorted(self.base_model.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
            return found[-1] if found else None
        try:
            path = self.version_dir(version) / MODEL_FILE
        except errors.NotFound:
            return None
        return path if path.is_file() else None

    def versions(self) -> list[dict[str, Any]]:
        """Every version with a trained model, newest first, with its evaluation figures if any."""
        out = []
        if self.versions_dir.is_dir():
            for d in sorted(self.versions_dir.iterdir(), reverse=True):
                if not d.is_dir() or not _valid_name(d.name) or not (d / MODEL_FILE).is_file():
                    continue
                meta, info = _read_json(d / "meta.json"), _read_json(d / "train_info.json")
                report = _read_json(d / "compare.json")
                cand = report.get("candidate") or {}
                out.append({"version": d.name, "by": meta.get("by"), "started": meta.get("started"),
                            "training_seconds": info.get("seconds"), "config": meta.get("config"),
                            "accuracy": cand.get("accuracy"), "macro_f1": cand.get("macro_f1"),
                            "compared_with": (report.get("running") or {}).get("version"),
                            "has_report": bool(report)})
        out.append({"version": BASE, "by": None, "started": None, "training_seconds": None,
                    "config": None, "accuracy": None, "macro_f1": None, "compared_with": None,
                    "has_report": False, "path": str(self.base_model)})
        return out

    def report(self, version: str) -> dict[str, Any]:
        report = _read_json(self.version_dir(version) / "compare.json")
        if not report:
            raise errors.NotFound("this version has no comparison report")
        return report

    # ------------------------------------------------------------ pointer

    async def active(self) -> dict[str, Any]:
        raw = await self.records.active()
        return {"version": raw.get("version") or BASE, "previous": raw.get("previous") or None,
                "by": raw.get("by") or None, "ts": int(raw["ts"]) if raw.get("ts") else None}

    async def activate(self, version: str, by: str, *, expect: str = "", action: str = "activate") -> dict:
        """Point every instance at `version`; returns the new pointer. Conflict if `expect` is stale."""
        if self.model_file(version) is None:
            raise errors.NotFound("that model version has no model file on this server")
        ts = now_ms()
        outcome, _ = await self.records.activate(
            version, by, now=ts, entry={"action": action, "version": version, "by": by, "ts": ts}, base=BASE,
            expect=expect, event={"version": version, "by": by}, history_kept=HISTORY_KEPT)
        if outcome == "conflict":
            raise errors.Conflict("another admin changed the active model meanwhile; reload")
        return await self.active()

    async def rollback(self, by: str) -> dict:
        """Back to the model that was active before the current one (one click, every instance)."""
        cur = await self.active()
        if not cur["previous"]:
            raise errors.BadState("there is no earlier model to roll back to")
        return await self.activate(cur["previous"], by, expect=cur["version"], action="rollback")

    async def history(self, limit: int = 20) -> list[dict[str, Any]]:
        return await self.records.history(limit)

    async def instances(self) -> list[dict[str, Any]]:
        raw = await self.records.instances()
        return sorted(({"instance": k, **v} for k, v in raw.items()), key=lambda i: i["instance"])

    async def set_instance_status(self, instance: str, status: dict[str, Any]) -> None:
        """What `instance` has loaded (or is loading, or failed to load), for the admin page."""
        await self.records.set_instance(instance, status)

    async def forget_instance(self, instance: str) -> None:
        await self.records.forget_instance(instance)

    async def startup_model(self) -> Path | None:
        """What an instance should load when it starts: the active version's file (None: settings' model)."""
        version = (await self.active())["version"]
        return self.model_file(version) if version != BASE else None


def _valid_name(name: str) -> bool:
    return bool(name) and len(name) <= 40 and all(c.isalnum() or c == "-" for c in name)


Loader = Callable[[Path], Awaitable[None]]


class ModelWatcher:
    """One per instance: follows the active pointer (pub/sub + a check at start) and swaps the model."""

    def __init__(self, registry: ModelRegistry, hub: Any, instance: str, load: Loader,
                 loaded: str = BASE) -> None:
        self.registry, self.hub, self.instance, self.load = registry, hub, instance, load
        self.loaded = loaded
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # Any event — an activation, or the hub's "catchup" after a lost connection — means: look again.
        await self.hub.subscribe(keys.CH_MODELS, self._on_event)
        self._resync()  # in the background: the server answers while a newer model loads

    async def stop(self) -> None:
        await self.hub.unsubscribe(keys.CH_MODELS, self._on_event)
        await self.registry.forget_instance(self.instance)

    def _on_event(self, _channel: str, _event: dict[str, Any]) -> None:
        # Loading takes seconds: never inside the hub's delivery loop, which serves every socket.
        self._resync()

    def _resync(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.sync(), name="tandem-model-sync")
        else:
            self._task.add_done_callback(lambda _t: self._resync())

    async def sync(self) -> None:
        """Load the active version unless it is already loaded; the newest pointer always wins."""
        async with self._lock:
            while True:
                target = (await self.registry.active())["version"]
                if target == self.loaded:
                    await self._report("ready")
                    return
                path = self.registry.model_file(target)
                if path is None:
                    log.error("model version %s is not on this instance's disk; keeping %s", target, self.loaded)
                    await self._report("failed", target, "model file not found on this instance")
                    return
                await self._report("loading", target)
                try:
                    await self.load(path)
                except Exception as exc:
                    log.exception("loading model version %s failed; keeping %s", target, self.loaded)
                    await self._report("failed", target, type(exc).__name__)
                    return
                self.loaded = target
                metrics.set_model(target)
                log.info("now serving model version %s", target)

    async def wait(self) -> None:
        """Until any sync in progress has finished (tests and shutdown)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def _report(self, status: str, target: str | None = None, error: str | None = None) -> None:
        entry: dict[str, Any] = {"version": self.loaded, "status": status, "ts": now_ms()}
        if target and target != self.loaded:
            entry["target"] = target
        if error:
            entry["error"] = error
        await self.registry.set_instance_status(self.instance, entry)


def swap_loader(get_agent: Callable[[], Any]) -> Loader:
    """A Loader that hot-swaps the Rasa agent's processor (Agent.load_model, split so that only the
    slow part runs in a thread and the switch itself happens between two event-loop steps)."""

    async def load(path: Path) -> None:
        from rasa.core.nlg import TemplatedNaturalLanguageGenerator
        from rasa.core.processor import MessageProcessor

        agent = get_agent()
        if agent is None:
            raise errors.Unavailable("no Rasa agent to swap a model into")
        processor = await asyncio.to_thread(
            MessageProcessor, model_path=path, tracker_store=agent.tracker_store, lock_store=agent.lock_store,
            action_endpoint=agent.action_endpoint, generator=agent.nlg, http_interpreter=agent.http_interpreter)
        # From here to the end nothing awaits: no turn can see half a swap.
        agent.processor = processor
        agent.domain = processor.domain
        agent._set_fingerprint(None)
        agent.tracker_store.domain = agent.domain
        if isinstance(agent.nlg, TemplatedNaturalLanguageGenerator):
            agent.nlg.responses = agent.domain.responses if agent.domain else {}

    return load
