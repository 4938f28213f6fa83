"""What the benchmark runs against: a private Redis, the action server, gateway processes, and the machine.

Everything is started here on free loopback ports and stopped at the end; the machine's shared Redis is
never touched. Gateways are started the way the tests start them (tests/gateway.py).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import redis

from handoff.storage import local_redis
from tests.gateway import LiveGateway, seed_accounts, start_gateway
from tests.support import ROOT, free_port, nlu_workers_of, stop, wait_for_port

FULL_MODEL, REDUCED_MODEL = ROOT / "models" / "rasa", ROOT / "models" / "reduced" / "rasa"


def pick_model(requested: str | None) -> tuple[Path, str]:
    """The newest .tar.gz of the requested folder, else the full model, else the reduced one."""
    candidates = [Path(requested)] if requested else [FULL_MODEL, REDUCED_MODEL]
    for folder in candidates:
        folder = folder if folder.is_absolute() else ROOT / folder
        if folder.is_file():
            return folder, str(folder.parent.relative_to(ROOT))
        found = sorted(folder.glob("*.tar.gz"))
        if found:
            return found[-1], str(folder.relative_to(ROOT))
    raise SystemExit(f"no trained Rasa model in {', '.join(map(str, candidates))}: run `make train`")


def raise_nofile(wanted: int) -> int:
    """Raise this process's open-file limit (inherited by the gateways it starts) as far as allowed."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def machine() -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = float("nan")
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gib = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return {"cpu": cpu, "cores": cores, "ram_gib": mem_gib, "os": platform.platform(),
            "python": platform.python_version(), "load_1m": load}


def git_commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], check=False, cwd=ROOT, capture_output=True, text=True).stdout.strip()

    sha = git("rev-parse", "HEAD") or "unknown"
    return sha + (" (with uncommitted changes)" if git("status", "--porcelain") else "")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def child_pids(pid: int) -> list[int]:
    """A gateway's NLU workers (tests.support.nlu_workers_of), as pids."""
    return [child.pid for child in nlu_workers_of(pid)]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of process `pid`, its threads and its live children (an instance's NLU
    workers): differences over a run are the instance's CPU, as long as no child was replaced meanwhile."""
    import psutil

    total = 0.0
    parent = psutil.Process(pid)
    for proc in [parent, *parent.children(recursive=True)]:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def commandstats(url: str) -> dict[str, tuple[int, int]]:
    """(calls, microseconds of Redis CPU) per command since the last CONFIG RESETSTAT."""
    client = redis.Redis.from_url(url)
    try:
        stats = client.info("commandstats")
    finally:
        client.close()
    return {name.removeprefix("cmdstat_"): (int(v["calls"]), int(v["usec"])) for name, v in stats.items()}


def reset_stats(url: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        client.config_resetstat()
    finally:
        client.close()


def wait_for_nlu_workers(gw: str, timeout: float) -> None:
    """Measure nothing until the instance's NLU workers hold the model (it parses in-process before)."""
    deadline = time.monotonic() + timeout
    while True:
        with urllib.request.urlopen(gw + "/health", timeout=5) as resp:
            workers = json.loads(resp.read()).get("nlu_workers")
        if not workers or workers["ready"] == workers["of"]:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"the NLU workers of {gw} were not ready after {timeout:.0f} s")
        time.sleep(0.5)


class Services:
    """Redis + action server + N gateways for one bench run; `close()` stops them all."""

    def __init__(self, model: Path, gateways: int) -> None:
        self._stack = ExitStack()
        self.tmp = Path(self._stack.enter_context(tempfile.TemporaryDirectory(prefix="tandem-bench-")))
        port = free_port()
        proc = local_redis.start_redis(self.tmp / "redis", port, log_file=self.tmp / "redis.log")
        self._stack.callback(stop, proc)
        self.redis_url = f"redis://127.0.0.1:{port}/0"
        seed_accounts(self.redis_url)
        action_port = free_port()
        action = subprocess.Popen(
            [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(action_port)],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._stack.callback(stop, action)
        wait_for_port(action_port, 120, action)
        self.action_url = f"http://127.0.0.1:{action_port}/webhook"
        self.model = model
        self.gateways: list[LiveGateway] = []
        for i in range(gateways):
            self.add_gateway(f"bench-{i + 1}")

    def add_gateway(self, name: str) -> LiveGateway:
        started = time.monotonic()
        gw = start_gateway(self.redis_url, self.model, self.action_url, self.tmp, name,
                           extra_env={"LOG_LEVEL": "WARNING", "BOT_TIMEOUT_S": "30"}, timeout=300)
        self._stack.callback(stop, gw.proc)
        wait_for_nlu_workers(gw, 300)
        gw.start_seconds = time.monotonic() - started  # type: ignore[attr-defined]
        self.gateways.append(gw)
        return gw

    def close(self) -> None:
        self._stack.close()
