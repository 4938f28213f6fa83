"""NLU worker processes (handoff/assistant/nlu_workers.py) with the reduced model: the parse a worker returns is the
gateway's own, a retrained model is picked up, and a killed worker costs no customer message."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from handoff.assistant.nlu_workers import NluWorkers
from tests.handoff.clients import BOT_WAIT, Customer
from tests.support import TIME_SCALE, nlu_workers_of

pytestmark = pytest.mark.model
TEXTS = ("hello", "my card was charged twice and I am really upset", "I want to send $250 to my sister tomorrow",
         "what is the exchange rate for euros?", "asdf qwerty", "")
LOAD_S = 180 * TIME_SCALE  # a spawned worker imports Rasa and TensorFlow, then loads the model


async def until(check: Any, timeout: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.2)


@pytest.fixture(scope="module")
async def workers(reduced_model: Path) -> AsyncIterator[NluWorkers]:
    pool = NluWorkers(1, timeout_s=60)
    pool.prepare(str(reduced_model))
    await until(lambda: pool.ready == 1, LOAD_S)
    yield pool
    pool.close()


@pytest.fixture(scope="module")
async def agent(reduced_model: Path) -> Any:
    from rasa.core.agent import Agent

    return Agent.load(str(reduced_model))


async def test_a_worker_parses_every_message_exactly_as_the_gateway_would(workers: NluWorkers, agent: Any,
                                                                          reduced_model: Path) -> None:
    for text in TEXTS:
        remote = await workers.parse(str(reduced_model), text)
        local = await agent.parse_message(text)
        assert remote is not None, text
        assert remote["intent"]["name"] == local["intent"]["name"]
        assert remote["intent"]["confidence"] == pytest.approx(local["intent"]["confidence"], abs=1e-6)
        assert [(e["entity"], e["value"]) for e in remote["entities"]] == \
               [(e["entity"], e["value"]) for e in local["entities"]]
        assert remote["sentiment"]["emotions"] == pytest.approx(local["sentiment"]["emotions"], abs=1e-6)


async def test_a_worker_holding_another_model_reloads_while_the_gateway_parses(
        workers: NluWorkers, reduced_model: Path, tmp_path: Path) -> None:
    retrained = tmp_path / ("retrained-" + reduced_model.name)
    shutil.copyfile(reduced_model, retrained)
    assert await workers.parse(str(retrained), "hello") is None  # the caller parses this one itself
    assert workers.ready == 0
    await until(lambda: workers.ready == 1, LOAD_S)
    assert (await workers.parse(str(retrained), "hello"))["intent"]["name"] == "greet"  # type: ignore[index]
    assert await workers.parse(str(reduced_model), "hello") is None  # and back, for the next test
    await until(lambda: workers.ready == 1, LOAD_S)


def health(gateway: str) -> dict[str, Any]:
    with urllib.request.urlopen(gateway + "/health", timeout=5) as resp:
        return json.loads(resp.read())


def parses(gateway: str, where: str) -> float:
    with urllib.request.urlopen(gateway + "/metrics", timeout=5) as resp:
        for line in resp.read().decode().splitlines():
            if line.startswith(f'tandem_nlu_parses_total{{where="{where}"}}'):
                return float(line.split()[-1])
    return 0.0


async def answered(gateway: str, text: str) -> dict[str, Any]:
    c = await Customer.connect(gateway)
    try:
        sent = await c.say(text)
        return await c.expect("message", sender="bot", after_seq=sent["seq"], timeout=BOT_WAIT)
    finally:
        await c.close()


async def test_the_gateway_parses_customer_messages_in_its_worker(live_gateway: str) -> None:
    await until(lambda: health(live_gateway)["nlu_workers"] == {"ready": 1, "of": 1}, LOAD_S)
    before = parses(live_gateway, "worker")
    assert (await answered(live_gateway, "hello"))["text"]
    assert parses(live_gateway, "worker") == before + 1


def nlu_processes(gateway: Any) -> list[psutil.Process]:
    return nlu_workers_of(gateway.proc.pid)


async def test_a_killed_worker_loses_no_message_and_is_replaced(live_gateway: str) -> None:
    await until(lambda: health(live_gateway)["nlu_workers"]["ready"] == 1, LOAD_S)
    [worker] = nlu_processes(live_gateway)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(10)
    before = parses(live_gateway, "gateway")
    assert (await answered(live_gateway, "hello"))["text"]  # parsed in the gateway meanwhile
    assert parses(live_gateway, "gateway") == before + 1
    await until(lambda: health(live_gateway)["nlu_workers"]["ready"] == 1, LOAD_S)
    assert [p.pid for p in nlu_processes(live_gateway)] != [worker.pid]
