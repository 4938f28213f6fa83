"""Across hosts: Redis, the action server and two gateway instances each in their own network namespace
(veth pairs on a bridge, nothing on the machine's own network); a customer on one instance and an agent on
the other complete the whole journey: the bot answers (its action server on another host), the customer
asks for a person, the agent claims, they talk both ways, the agent closes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gateway import CONTEXT_SECRET
from tests.reliability.netns import Network, netns_available
from tests.reliability.redis_topologies import redis7
from tests.support import ROOT, TIME_SCALE

REDIS_PORT, ACTION_PORT, GATEWAY_PORT = 6400, 5055, 8000


@pytest.fixture
def network() -> Iterator[Network]:
    why = netns_available()
    if why:
        pytest.skip(why)
    net = Network().start()
    try:
        yield net
    finally:
        net.close()


def test_customer_on_one_host_and_agent_on_another_complete_the_journey(
    network: Network, reduced_model: Path, tmp_path: Path
) -> None:
    hosts = {name: network.add_host(name) for name in ("redis", "actions", "gwa", "gwb", "client")}
    logs = {name: open(tmp_path / f"{name}.log", "ab") for name in hosts}  # noqa: SIM115 - closed below
    try:
        redis_url = f"redis://{hosts['redis']}:{REDIS_PORT}/0"
        network.run("redis", [redis7(), "--port", str(REDIS_PORT), "--bind", hosts["redis"], "--protected-mode",
                              "no", "--dir", str(tmp_path), "--save", "", "--appendonly", "yes"],
                    stdout=logs["redis"], stderr=subprocess.STDOUT)
        base_env = {**os.environ, "PYTHONPATH": str(ROOT), "TANDEM_DOTENV": os.devnull}
        network.run("actions", [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(ACTION_PORT)],
                    cwd=ROOT, env=base_env, stdout=logs["actions"], stderr=subprocess.STDOUT)
        for name in ("gwa", "gwb"):
            env = {**base_env, "REDIS_URL": redis_url, "MODEL_PATH": str(reduced_model), "INSTANCE": name,
                   "ACTION_ENDPOINT_URL": f"http://{hosts['actions']}:{ACTION_PORT}/webhook",
                   "CONTEXT_SECRET": CONTEXT_SECRET, "DATA_DIR": str(tmp_path / name), "NLU_WORKERS": "0",
                   "BOT_TIMEOUT_S": str(30 * TIME_SCALE), "LOGIN_MAX_PER_IP": "1000",
                   # A gateway on a real address, configured as deploy/ configures one: no start-up warning.
                   "METRICS_TOKEN": "netns-metrics-token", "COOKIE_SECURE": "1"}
            network.run(name, [sys.executable, "-m", "handoff", "--host", hosts[name], "--port", str(GATEWAY_PORT)],
                        cwd=ROOT, env=env, stdout=logs[name], stderr=subprocess.STDOUT)
        gateways = [f"http://{hosts[name]}:{GATEWAY_PORT}" for name in ("gwa", "gwb")]
        client = network.run("client", [sys.executable, "-m", "tests.reliability.netns_client", redis_url, *gateways],
                             cwd=ROOT, env=base_env, stdout=subprocess.PIPE, stderr=logs["client"], text=True)
        out, _ = client.communicate(timeout=420 * TIME_SCALE)
        assert client.returncode == 0, f"the client failed; see {tmp_path / 'client.log'}"
    finally:
        for log in logs.values():
            log.close()
    seen = json.loads(out.strip().splitlines()[-1])
    assert seen["bot_text"]  # the assistant answered, its actions served from another host
    assert seen["agent_name"] == "Sam" and seen["sam_instance"] == "gwb"
    assert seen["agent_heard"] == "my card was charged twice"
    assert seen["customer_got"] == "I can see both charges; refunding one now"
    assert seen["answer_seq"] == seen["reply_seq"] and seen["closed"] == "closed"
    for name in ("gwa", "gwb"):
        text = (tmp_path / f"{name}.log").read_text(errors="replace")
        assert "listening" in text and "METRICS_TOKEN" not in text  # served, and without exposure warnings
