"""Helpers the test fixtures share: free ports, waiting for a port, starting real servers."""
from __future__ import annotations

import asyncio
import concurrent.futures
import os
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
