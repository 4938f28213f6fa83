"""`make run`: start the whole desk on this machine and keep it running until Ctrl-C.

Redis (REDIS_URL, or a private redis-server with AOF under var/redis), the rasa-sdk action server and
the gateway (which holds the Rasa agent in-process and serves the widget demo, console and admin).
Each child is restarted if it crashes, the desk's own Redis included (its AOF gives everything back), so a
dead process never leaves the desk half up; while Redis is away the sockets say so (docs/deploy.md).
"""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

from handoff.storage.local_redis import port_open, start_redis
from scripts import migrate_keys

ROOT = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get("DATA_DIR") or "var")  # the gateway reads DATA_DIR too
LOGS = VAR / "logs"  # every process's full log; the terminal gets step lines only
LOCAL_REDIS_PORT = int(os.environ.get("TANDEM_LOCAL_REDIS_PORT", "6390"))
ACTION_PORT = int(os.environ.get("ACTION_PORT", "5055"))
GATEWAY_PORT = int(os.environ.get("PORT", "8000"))


def redis_env() -> tuple[dict[str, str], subprocess.Popen | None]:
    """Use REDIS_URL when given; otherwise start (or reuse) the desk's own persistent Redis."""
    proc = None
    url = os.environ.get("REDIS_URL")
    if not url:
        if port_open(LOCAL_REDIS_PORT):
            print(f"==> reusing the Redis already on port {LOCAL_REDIS_PORT}")
        else:
            print(f"==> starting Redis on port {LOCAL_REDIS_PORT} (AOF in {VAR / 'redis'}, log: {LOGS / 'redis.log'})")
            proc = start_own_redis()
        url = f"redis://127.0.0.1:{LOCAL_REDIS_PORT}/0"
    parsed = urlparse(url)
    env = {"REDIS_URL": url, "REDIS_HOST": parsed.hostname or "127.0.0.1", "REDIS_PORT": str(parsed.port or 6379),
           "REDIS_DB": (parsed.path or "/0").lstrip("/") or "0", "REDIS_PASSWORD": parsed.password or ""}
    return env, proc


def start_own_redis() -> subprocess.Popen:
    return start_redis(VAR / "redis", LOCAL_REDIS_PORT, log_file=LOGS / "redis.log")


def restart_own_redis(proc: subprocess.Popen) -> subprocess.Popen:
    """The desk's own Redis died (kill -9, OOM): start it again on the same port and AOF, so the gateway
    and the action server, which stayed up, find everything acknowledged where it was."""
    print(f"==> redis exited with {proc.returncode}; restarting (log: {LOGS / 'redis.log'})", flush=True)
    while True:
        try:
            return start_own_redis()
        except (RuntimeError, TimeoutError) as exc:  # the port not free yet: try again shortly
            print(f"==> redis did not start ({exc}); trying again", flush=True)
            time.sleep(1)


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(args, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT)


def main() -> None:
    LOGS.mkdir(parents=True, exist_ok=True)
    renv, redis_proc = redis_env()
    env = {**os.environ, **renv, "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{ACTION_PORT}/webhook",
           "PYTHONPATH": str(ROOT), "DEMO": os.environ.get("DEMO", "1")}
    if not os.environ.get("REDIS_CLUSTER"):
        # A desk written before the keys carried hash tags is renamed before anything reads it (accounts
        # included: bootstrap must find the existing ones); nothing is running on it yet.
        renamed = asyncio.run(migrate_keys.run(renv["REDIS_URL"]))
        if renamed:
            print(f"==> renamed {renamed} key(s) of the desk's data to their hash-tagged names (scripts.migrate_keys)")
    subprocess.run([sys.executable, "-m", "handoff.accounts.users", "bootstrap"], env=env, check=False)
    children = {
        "actions": [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(ACTION_PORT)],
        "gateway": [sys.executable, "-m", "handoff", "--port", str(GATEWAY_PORT)],
    }
    procs = {name: spawn(cmd, env, LOGS / f"{name}.log") for name, cmd in children.items()}
    print(f"==> starting the action server and the gateway, loading the assistant (about 20-40 s; logs: "
          f"{LOGS}/actions.log, {LOGS}/gateway.log)", flush=True)
    deadline = time.monotonic() + 180
    while not port_open(GATEWAY_PORT) and time.monotonic() < deadline:
        if procs["gateway"].poll() is not None:
            sys.exit(f"the gateway exited; see {LOGS / 'gateway.log'}")
        time.sleep(0.5)
    base = f"http://localhost:{GATEWAY_PORT}"
    print(f"\nTandem is up.\n  demo bank + widget : {base}/\n  agent console      : {base}/console\n"
          f"  admin              : {base}/admin\n  metrics            : {base}/metrics\n"
          f"  sign-in accounts   : see {VAR / 'initial-credentials.txt'} (created on first run)\n"
          f"  logs               : {LOGS}/*.log\nCtrl-C stops everything.", flush=True)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping:
        if redis_proc is not None and redis_proc.poll() is not None:
            redis_proc = restart_own_redis(redis_proc)
        for name, proc in procs.items():
            if proc.poll() is not None:
                print(f"==> {name} exited with {proc.returncode}; restarting (log: {LOGS / name}.log)")
                procs[name] = spawn(children[name], env, LOGS / f"{name}.log")
        time.sleep(1)
    for proc in [*procs.values(), redis_proc]:
        if proc is not None and proc.poll() is None:
            proc.terminate()
    for proc in [*procs.values(), redis_proc]:
        if proc is not None:
            proc.wait(15)
    print("stopped")


if __name__ == "__main__":
    main()
