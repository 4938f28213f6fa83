"""Retraining in the background: `python -m bot.train`, then `python -m handoff.admin.model_compare`.

Both run as subprocesses at lower CPU priority (nice 10), so the gateway keeps answering customers on the
same cores while a model trains. One job at a time across all instances (a Redis lock kept alive by a
heartbeat: if the instance running it dies, the lock lapses within a minute). Progress lines go to a Redis
stream, so the admin page can poll any instance; everything is also kept in the version's train.log.

Escalation thresholds edited on the admin page are stored in Redis and written into the candidate's
training config (the EscalationPolicy block): they ship inside the model, are compared with it, go live
on activation and come back with a rollback. Nothing changes under a running conversation's feet.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import os
import re
import shutil
import signal
import sys
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from handoff.admin.holdout import hold_back
from handoff.admin.model_registry import MODEL_FILE, ModelRegistry
from handoff.admin.training_data import (
    DOMAIN_FILE,
    NLU_FILE,
    RULES_FILE,
    VALIDATION,
    TrainingData,
    read_examples,
)
from handoff.core import errors
from handoff.core.clock import now_ms
from handoff.storage.retraining import RetrainRecords

log = logging.getLogger(__name__)
CODE_ROOT = Path(__file__).resolve().parents[2]
LOCK_TTL_S = 60
HEARTBEAT_S = 10
LOG_KEPT = 2000
LINE_MAX = 300
PROGRESS_EVERY_S = 1.0
RUNNING = ("preparing", "training", "evaluating")
SNAPSHOT = "training_data"
HOLDOUT = "holdout.json"  # a new intent's examples kept back from training (handoff/admin/holdout.py)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\[\d{1,2}m")
_BAR = re.compile(r"^(Epochs|Processed [a-z ]+|Batches|Iteration)\b[^:]*:")
_NOTEWORTHY = re.compile(r"^trained |error|exception|traceback|failed|not found|parsing |held-out|accuracy ",
                         re.IGNORECASE)
_NOISE = re.compile(r"\[debug|^\[state \d|Warning:|^\s*$")
_BAR_END = re.compile(r"^[^\[]*\[[^\]]*\]")
TAIL_KEPT = 25
_STREAM_ID = re.compile(r"^\d{1,20}-\d{1,20}$")


@dataclass(frozen=True)
class RetrainConfig:
    root: Path  # the project folder: data/, domain/, the config; bot.train runs with it as cwd
    config: str = "config.yml"
    max_per_intent: int | None = None
    eval_max_per_intent: int | None = None
    python: str = sys.executable


# ------------------------------------------------------------------ escalation thresholds


def threshold_fields() -> list[dict[str, Any]]:
    """The numeric EscalationPolicy thresholds an admin may tune, with their defaults and ranges."""
    from bot.escalation.signals import Thresholds

    out = []
    for f in fields(Thresholds):
        default = getattr(Thresholds, f.name)
        if isinstance(default, bool) or not isinstance(default, (int, float)):
            continue
        kind = "float" if isinstance(default, float) else "int"
        out.append({"name": f.name, "type": kind, "default": default,
                    "min": 0.0 if kind == "float" else 1, "max": 1.0 if kind == "float" else 20})
    return out


def check_thresholds(values: dict[str, Any]) -> dict[str, Any]:
    """Only known numeric thresholds, validated by the policy's own parser (same errors as config.yml)."""
    from bot.escalation.signals import Thresholds

    known = {f["name"]: f for f in threshold_fields()}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise errors.InvalidFrame(f"unknown escalation setting: {unknown[0]}")
    for name, value in values.items():
        if known[name]["type"] == "int" and isinstance(value, int) and value > known[name]["max"]:
            raise errors.InvalidFrame(f"escalation setting '{name}' must be at most {known[name]['max']}")
    try:
        Thresholds.from_config(values)
    except ValueError as exc:
        raise errors.InvalidFrame(str(exc)) from None
    return values


def config_thresholds(config: dict[str, Any]) -> dict[str, Any] | None:
    """The EscalationPolicy block of a training config (None when the config has no such policy)."""
    for policy in config.get("policies") or []:
        if str(policy.get("name", "")).endswith("EscalationPolicy"):
            return policy
    return None


def apply_thresholds(config: dict[str, Any], overrides: dict[str, Any]) -> bool:
    """Write the overrides into the config's EscalationPolicy block; False when there is none."""
    block = config_thresholds(config)
    if block is None:
        return False
    block.update(overrides)
    return True


# ------------------------------------------------------------------ the job


def _append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def _lower_priority() -> None:  # runs in the child before exec
    os.nice(10)


class LineFilter:
    """Which of a trainer's output lines the admin page sees (all of them go to train.log).

    Rasa prints thousands of lines: progress bars redrawn many times a second, debug records, library
    warnings. The page gets each progress bar at most once a second (and its last state), the trainer's
    own summary lines and anything that looks like an error; on failure, the last lines of the output.
    """

    def __init__(self, every_s: float = PROGRESS_EVERY_S) -> None:
        self.every_s = every_s
        self.last_emit: dict[str, float] = {}
        self.pending: tuple[str, str] | None = None  # (bar, newest line not shown yet)
        self.tail: collections.deque[str] = collections.deque(maxlen=TAIL_KEPT)

    def feed(self, line: str, now: float) -> list[str]:
        out = []
        bar = _BAR.match(line)
        if self.pending and (bar is None or bar.group(1) != self.pending[0]):
            out.append(self.pending[1])
            self.pending = None
        if bar:
            name = bar.group(1)
            line = _BAR_END.match(line).group(0) if _BAR_END.match(line) else line  # cut glued-on output
            last = self.last_emit.get(name)
            if last is None or now - last >= self.every_s:
                self.last_emit[name] = now
                out.append(line)
            else:
                self.pending = (name, line)
            return out
        if not _NOISE.search(line):
            self.tail.append(line)
            if _NOTEWORTHY.search(line):
                out.append(line)
        return out

    def flush(self) -> list[str]:
        out = [self.pending[1]] if self.pending else []
        self.pending = None
        return out


class Retrainer:
    def __init__(self, records: RetrainRecords, registry: ModelRegistry, data: TrainingData, cfg: RetrainConfig,
                 instance: str) -> None:
        self.records, self.registry, self.data, self.cfg, self.instance = records, registry, data, cfg, instance
        self._task: asyncio.Task[None] | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._cancelled = False
        self._log_path: Path | None = None

    # ------------------------------------------------------------ API

    async def start(self, by: str) -> dict[str, Any]:
        """Start a job; Conflict when one is already running anywhere."""
        if not (self.cfg.root / self.cfg.config).is_file():
            raise errors.Unavailable(f"the training config {self.cfg.config} is missing on this server")
        version, out = self.registry.create_version_dir()
        if not await self.records.lock(version, LOCK_TTL_S):
            shutil.rmtree(out, ignore_errors=True)
            raise errors.Conflict("a retraining is already running")
        active = await self.registry.active()
        job = {"version": version, "state": "preparing", "by": by, "instance": self.instance,
               "started": now_ms(), "heartbeat": now_ms(), "running_version": active["version"],
               "estimate_s": self._estimate_s(), "error": "", "finished": ""}
        await self.records.new_job(job)
        self._cancelled = False
        self._task = asyncio.create_task(self._run(version, out, by, active["version"]), name="tandem-retrain")
        return await self.status_job()

    async def thresholds(self) -> dict[str, Any]:
        """The escalation thresholds saved for the next candidate (only those that differ from the defaults)."""
        return await self.records.thresholds()

    async def save_thresholds(self, values: dict[str, Any]) -> dict[str, Any]:
        """Replace the overrides (a value equal to the default is dropped: defaults stay the policy's); returns
        what is saved now."""
        defaults = {f["name"]: f["default"] for f in threshold_fields()}
        await self.records.replace_thresholds({k: v for k, v in check_thresholds(values).items() if v != defaults[k]})
        return await self.thresholds()

    async def status_job(self) -> dict[str, Any] | None:
        raw = await self.records.job()
        if not raw:
            return None
        job: dict[str, Any] = dict(raw)
        for k in ("started", "heartbeat", "finished", "estimate_s"):
            job[k] = int(raw[k]) if raw.get(k) else None
        if job["state"] in RUNNING and now_ms() - (job["heartbeat"] or 0) > LOCK_TTL_S * 1000:
            job["state"], job["error"] = "lost", "the instance running this job stopped answering"
        job["report"] = json.loads(raw["report"]) if raw.get("report") else None
        return job

    async def status(self, after: str = "0-0") -> dict[str, Any]:
        """The job and its progress lines after stream id `after` (poll with the returned `next`)."""
        if not _STREAM_ID.match(after):
            raise errors.InvalidFrame("after: a stream id like 1700000000000-0")
        entries = await self.records.lines(after, 500)
        lines = [{"id": eid, "text": f.get("line", ""), "phase": f.get("phase", "")} for eid, f in entries]
        return {"job": await self.status_job(), "lines": lines, "next": lines[-1]["id"] if lines else after,
                "facts": await asyncio.to_thread(self.facts)}

    def facts(self) -> dict[str, Any]:
        """What the retrain page says before anyone presses the button: how long the last retraining took and
        how many labelled examples differ from the ones the newest candidate was trained with (new or
        relabelled, and removed since)."""
        now = self.data.labelled()
        last: dict[str, str] | None = None
        version = None
        for v in self.registry.versions():
            snap = self.registry.versions_dir / v["version"] / SNAPSHOT / NLU_FILE.name
            if v["version"] != "base" and snap.exists():
                last, version = read_examples(snap), v["version"]
                break
        before = last if last is not None else {}
        return {"last_took_s": self._estimate_s() or None, "since_version": version,
                "labels_new": sum(1 for t, i in now.items() if before.get(t) != i),
                "labels_removed": sum(1 for t in before if t not in now)}

    async def cancel(self) -> None:
        job = await self.status_job()
        if job is None or job["state"] not in RUNNING + ("lost",):
            raise errors.BadState("no retraining is running")
        if job["state"] == "lost":
            await self._finish(job["version"], "failed", "abandoned: its instance stopped")
            return
        if job["instance"] != self.instance or self._task is None:
            raise errors.BadState("the retraining runs on another instance; cancel it there")
        self._cancelled = True
        self._kill()

    async def close(self) -> None:
        """Shutdown: stop the child process and the task (the lock then lapses)."""
        if self._task and not self._task.done():
            self._cancelled = True
            self._kill()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def wait(self) -> None:
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(self._task)

    # ------------------------------------------------------------ the run

    async def _run(self, version: str, out: Path, by: str, running_version: str) -> None:
        beat = asyncio.create_task(self._heartbeat(version))
        try:
            self._log_path = out / "train.log"
            overrides = await self.thresholds()
            config = await asyncio.to_thread(self._prepare, out, by, running_version, overrides)
            await self._line(f"training candidate {version} with {self.cfg.config}"
                             + (f", at most {self.cfg.max_per_intent} examples per intent"
                                if self.cfg.max_per_intent else ""), "preparing")
            await self.records.update_job({"state": "training"})
            cmd = [self.cfg.python, "-m", "bot.train", "--config", str(config), "--out", str(out)]
            held = json.loads((out / HOLDOUT).read_text(encoding="utf-8"))["held"]
            if held:  # a new intent's kept-back phrasings: scored by the comparison, never trained on
                (out / "hold_out_texts.json").write_text(json.dumps(sorted(held)), encoding="utf-8")
                cmd += ["--hold-out", str(out / "hold_out_texts.json")]
            if self.cfg.max_per_intent:
                cmd += ["--max-per-intent", str(self.cfg.max_per_intent)]
            rc = await self._step(cmd, "training")
            if self._cancelled:
                return await self._finish(version, "cancelled", "cancelled by an admin")
            if rc != 0 or not (out / MODEL_FILE).is_file():
                return await self._finish(version, "failed", f"training failed (exit code {rc}); see the log")
            running_file = self.registry.model_file(running_version)
            if running_file is None:
                return await self._finish(version, "failed", "the running model's file is missing")
            await self.records.update_job({"state": "evaluating"})
            await self._line(f"comparing with the running model ({running_version}) on the held-out split",
                             "evaluating")
            cmd = [self.cfg.python, "-m", "handoff.admin.model_compare", "--candidate", str(out),
                   "--running", str(running_file), "--running-version", running_version,
                   "--validation", str(self.data.path(VALIDATION)),
                   "--labelled", str(out / SNAPSHOT / NLU_FILE.name), "--out", str(out / "compare.json"),
                   "--held-out", str(out / HOLDOUT)]
            if self.cfg.eval_max_per_intent:
                cmd += ["--max-per-intent", str(self.cfg.eval_max_per_intent)]
            rc = await self._step(cmd, "evaluating")
            if self._cancelled:
                return await self._finish(version, "cancelled", "cancelled by an admin")
            if rc != 0 or not (out / "compare.json").is_file():
                return await self._finish(version, "failed", f"evaluation failed (exit code {rc}); see the log")
            report = json.loads((out / "compare.json").read_text(encoding="utf-8"))
            brief = {"verdict": report["verdict"], "delta": report["delta"],
                     "accuracy": report["candidate"]["accuracy"], "macro_f1": report["candidate"]["macro_f1"],
                     "now_right": len(report["inbox"]["now_right"])}
            await self.records.update_job({"report": json.dumps(brief)})
            await self._finish(version, "ready", "")
        except asyncio.CancelledError:
            self._kill()
            await self._finish(version, "cancelled", "the instance shut down")
            raise
        except Exception as exc:
            log.exception("retraining %s failed", version)
            await self._finish(version, "failed", f"internal error ({type(exc).__name__}); see the server log")
        finally:
            beat.cancel()
            self._log_path = None
            self._proc = None

    def _prepare(self, out: Path, by: str, running_version: str, overrides: dict[str, Any]) -> Path:
        """Snapshot the admin's training data and write the candidate's config (thresholds applied)."""
        snap = out / SNAPSHOT
        snap.mkdir(exist_ok=True)
        for rel in (NLU_FILE, DOMAIN_FILE, RULES_FILE):
            if self.data.path(rel).exists():
                shutil.copy2(self.data.path(rel), snap / rel.name)
        config = yaml.safe_load((self.cfg.root / self.cfg.config).read_text(encoding="utf-8"))
        applied = apply_thresholds(config, overrides) if overrides else False
        path = out / "config.yml"
        path.write_text(f"# {self.cfg.config} as trained for this version"
                        + (" (escalation thresholds from the admin page applied)" if applied else "") + "\n"
                        + yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        labelled = self.data.labelled()
        known = {intent for path in sorted(self.data.path(NLU_FILE).parent.glob("*.yml"))
                 if path.name != NLU_FILE.name for intent in read_examples(path).values()}
        held = hold_back(labelled, known)
        (out / HOLDOUT).write_text(json.dumps({"held": held, "known_intents": sorted(known)}), encoding="utf-8")
        meta = {"by": by, "started": now_ms(), "config": self.cfg.config, "max_per_intent": self.cfg.max_per_intent,
                "running_version": running_version, "escalation_overrides": overrides if applied else {},
                "labelled_examples": len(labelled), "held_out_examples": len(held)}
        (out / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        return path

    async def _step(self, cmd: list[str], phase: str) -> int:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(CODE_ROOT),
                                                                          os.environ.get("PYTHONPATH")])),
               "PYTHONUNBUFFERED": "1", "TF_CPP_MIN_LOG_LEVEL": "2", "RASA_TELEMETRY_ENABLED": "false",
               "TOKENIZERS_PARALLELISM": "false"}
        self._proc = await asyncio.create_subprocess_exec(
            *cmd, cwd=self.cfg.root, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            preexec_fn=_lower_priority, start_new_session=True)
        assert self._proc.stdout is not None
        shown, pending = LineFilter(), b""
        while True:
            chunk = await self._proc.stdout.read(4096)
            if not chunk:
                break
            parts = re.split(rb"[\r\n]", pending + chunk)
            pending = parts.pop()
            for raw in parts:
                await self._output(_ANSI.sub("", raw.decode("utf-8", "replace")).strip(), shown, phase)
        await self._output(_ANSI.sub("", pending.decode("utf-8", "replace")).strip(), shown, phase)
        for line in shown.flush():
            await self._line(line, phase, to_file=False)
        rc = await self._proc.wait()
        if rc != 0 and not self._cancelled:
            for line in shown.tail:
                await self._line(line, "failed", to_file=False)
        return rc

    async def _output(self, text: str, shown: LineFilter, phase: str) -> None:
        if not text:
            return
        if self._log_path:
            _append(self._log_path, text)
        for line in shown.feed(text, time.monotonic()):
            await self._line(line, phase, to_file=False)

    async def _line(self, text: str, phase: str, to_file: bool = True) -> None:
        if to_file and self._log_path:
            _append(self._log_path, text)
        await self.records.add_line(text[:LINE_MAX], phase, LOG_KEPT)

    async def _heartbeat(self, version: str) -> None:
        while True:
            await self.records.heartbeat(now_ms(), LOCK_TTL_S)
            await asyncio.sleep(HEARTBEAT_S)

    async def _finish(self, version: str, state: str, error: str) -> None:
        if error:
            await self._line(error, state)
        await self.records.update_job({"state": state, "error": error, "finished": now_ms()})
        await self.records.unlock(version)

    def _kill(self) -> None:
        proc = self._proc
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGTERM)

    def _estimate_s(self) -> int:
        """Seconds the last finished job took (training + comparison), for the progress bar."""
        for v in self.registry.versions():
            meta_file = self.registry.versions_dir / v["version"] / "meta.json"
            report = self.registry.versions_dir / v["version"] / "compare.json"
            if v["version"] != "base" and meta_file.exists() and report.exists():
                started = json.loads(meta_file.read_text(encoding="utf-8")).get("started")
                if started:
                    return max(30, int(report.stat().st_mtime - started / 1000))
        return 0
