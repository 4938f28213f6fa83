"""Starting real gateway processes for tests (`python -m handoff`), and the credentials they are seeded with.

Used by the `live_gateway` fixtures in tests/conftest.py (the handoff integration tests and the browser
tests share them).
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.support import ROOT, TIME_SCALE, free_port, run_coroutine, stop

CONTEXT_SECRET = "test-context-secret-not-for-production"
# username -> (password, role, display name, capacity)
ACCOUNTS = {
    "sam": ("sam-password-123", "agent", "Sam", 3),
    "alex": ("alex-password-123", "agent", "Alex", 2),
    "ada": ("ada-password-123", "admin", "Ada", 3),
}


class LiveGateway(str):
    """The base URL ("http://127.0.0.1:PORT"), with what a test needs to talk to it."""

    proc: subprocess.Popen
    port: int
    redis_url: str
    log_path: Path

    @property
    def ws(self) -> str:
        return "ws" + self[4:]

    @property
    def context_secret(self) -> str:
        return CONTEXT_SECRET

    @property
    def accounts(self) -> dict[str, tuple[str, str, str, int]]:
        return ACCOUNTS


def seed_accounts(redis_url: str, accounts: dict[str, tuple[str, str, str, int]] | None = None,
                  cluster: str = "") -> None:
    """Create the test accounts (idempotent) straight through handoff.accounts.auth; `cluster`: the seed nodes
    of a Redis Cluster (REDIS_CLUSTER), REDIS_URL then only gives the password."""
    from handoff.accounts.auth import Accounts
    from handoff.storage import store
    from handoff.storage.accounts import AccountRecords
    from handoff.storage.cluster import parse_nodes
    from handoff.storage.topology import Topology

    async def run() -> None:
        if cluster:
            client = Topology(redis_url, cluster=tuple((n.host, n.port) for n in parse_nodes(cluster))).client()
            await store.wait_until_reachable(client)
        else:
            client = await store.connect(redis_url)
        try:
            registry = Accounts(AccountRecords(client))
            for username, (password, role, name, capacity) in (accounts or ACCOUNTS).items():
                await registry.create(username, name, role, capacity, password, replace=True)
        finally:
            await (client.aclose() if cluster else client.close())

    run_coroutine(run())


def gateway_env(redis_url: str, model: Path, action_url: str, log_dir: Path, name: str,
                extra_env: dict[str, str] | None = None) -> dict[str, str]:
    """A test gateway's environment. Its data (DATA_DIR) and its project (PROJECT_ROOT: what the admin page
    labels into and retrains from) are under `log_dir`, never the checkout's var/, data/ or domain/."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REDIS_URL": redis_url, "MODEL_PATH": str(model),
           "ACTION_ENDPOINT_URL": action_url, "CONTEXT_SECRET": CONTEXT_SECRET, "DEMO": "1",
           "INSTANCE": name, "BOT_TIMEOUT_S": str(30 * TIME_SCALE), "DATA_DIR": str(log_dir / name),
           "LOGIN_MAX_PER_IP": "1000", "NEW_CHATS_PER_IP": "0", "TANDEM_DOTENV": os.devnull, **(extra_env or {})}
    if "PROJECT_ROOT" not in (extra_env or {}):
        from tests.admin_workspace import make_workspace

        project = log_dir / f"{name}-project"
        env["PROJECT_ROOT"] = str(project if project.exists() else make_workspace(project))
    return env


def start_gateway(redis_url: str, model: Path, action_url: str, log_dir: Path, name: str,
                  extra_env: dict[str, str] | None = None, timeout: float = 240) -> LiveGateway:
    """`python -m handoff` on a free port; returns once /health answers (the model is loaded by then)."""
    port = free_port()
    log_path = log_dir / f"gateway-{name}.log"
    env = gateway_env(redis_url, model, action_url, log_dir, name, extra_env)
    with open(log_path, "ab") as log:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen([sys.executable, "-m", "handoff", "--port", str(port)], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout * TIME_SCALE
    url = f"http://127.0.0.1:{port}"
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"gateway {name} exited with {proc.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as resp:
                if resp.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            stop(proc)
            raise TimeoutError(f"gateway {name} not healthy after {timeout * TIME_SCALE:.0f} s; see {log_path}")
        time.sleep(0.5)
    gw = LiveGateway(url)
    gw.proc, gw.port, gw.redis_url, gw.log_path = proc, port, redis_url, log_path
    return gw
