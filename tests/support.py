"""Helpers the test fixtures share: free ports, waiting for a port, starting real servers."""
from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from handoff.storage import local_redis

T = TypeVar("T")

# One timing unit, scaled on slow machines (websockets' MS idea): TANDEM_TEST_TIME_SCALE=3 on a busy CI.
TIME_SCALE = float(os.environ.get("TANDEM_TEST_TIME_SCALE", "1"))
ROOT = Path(__file__).resolve().parent.parent


def is_admin_written(path: Path, root: Path = ROOT) -> bool:
    """True for what the admin page writes into a project (handoff.admin.training_data.ADMIN_FILES) and what lies
    under it: the desk's data, which no test may read or write in the checkout."""
    from handoff.admin.training_data import ADMIN_FILES

    relative = path.relative_to(root)
    return any(relative == f or f in relative.parents for f in ADMIN_FILES)


def copy_shipped(src: Path, dest: Path, root: Path = ROOT) -> None:
    """shutil.copytree of `src` (a folder of `root`) without the admin-written files in it."""
    shutil.copytree(src, dest, ignore=lambda folder, names: [
        n for n in names if is_admin_written(Path(folder) / n, root)])


def shipped_domain_files(root: Path = ROOT) -> list[str]:
    """domain/*.yml as shipped (for rasa's Domain.load): without domain/admin_intents.yml."""
    return [str(p) for p in sorted((root / "domain").glob("*.yml")) if not is_admin_written(p, root)]


def run_coroutine(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` in a thread of its own: safe even where a loop already runs in this thread
    (Playwright's sync API keeps one running once a browser test has started)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def nlu_workers_of(pid: int) -> list[Any]:
    """The psutil processes of a gateway's NLU workers: its spawned children (multiprocessing's resource
    tracker is a child too, not spawned). Used by the worker tests and the bench's memory figures."""
    import psutil

    return [child for child in psutil.Process(pid).children(recursive=True)
            if "spawn_main" in " ".join(child.cmdline())]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout * TIME_SCALE
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before port {port} opened")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listening on port {port} after {timeout * TIME_SCALE:.0f} s")


def start_redis(directory: Path, port: int | None = None) -> tuple[subprocess.Popen, int]:
    """A private redis-server with AOF in ``directory`` — never the machine's shared database."""
    port = port or free_port()
    return local_redis.start_redis(directory, port, timeout=10 * TIME_SCALE), port


def stop(proc: subprocess.Popen, timeout: float = 10) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
