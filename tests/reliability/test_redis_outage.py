"""Redis going away under a running desk: the sockets say so (an `unavailable` error frame and close 1013,
never a silent close), and `make run` restarts its own Redis like its other children, so the desk answers
again on its own with nothing acknowledged lost."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from handoff.core import errors
from handoff.storage import store as store_mod
from tests.handoff.clients import BOT_WAIT, WAIT, Client, Customer
from tests.reliability.conftest import kill9, start_bare
from tests.reliability.test_faults import assert_whole_and_unique, private_redis  # noqa: F401 - a fixture
from tests.support import ROOT, TIME_SCALE, free_port, start_redis, stop

RECOVERY_S = 10  # the bound: the desk answers again within 10 s of its Redis dying


async def refused_while_down(gw: str, **hello: object) -> dict:
    """Open a customer socket and send hello while Redis is down: the error frame it gets (then 1013)."""
    ws = await websockets.connect(gw.replace("http", "ws", 1) + "/ws/customer")
    client = Client(ws)
    await client.send(type="hello", **hello)
    err = await client.expect("error")
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), WAIT)
    assert closed.value.code == errors.WS_1013_TRY_AGAIN_LATER
    return err


async def resumed_when_back(gw: str, customer: Customer, deadline_s: float) -> Customer:
    """Resume `customer`'s conversation as the widget does after a 1013: retry until a welcome comes."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + deadline_s
    while True:
        try:
            return await Customer.connect(gw, conversation_id=customer.cid, token=customer.token, last_seq=0)
        except (AssertionError, ConnectionClosed, OSError, asyncio.TimeoutError):
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.25)


async def test_while_redis_is_down_sockets_say_so_and_the_unacknowledged_message_is_stored_once_after(
    private_redis: tuple[int, Path, list], tmp_path: Path  # noqa: F811 - the fixture imported above
) -> None:
    port, directory, procs = private_redis
    url = f"redis://127.0.0.1:{port}/0"
    gw = await asyncio.to_thread(start_bare, url, tmp_path, "gw-outage")
    try:
        customer = await Customer.connect(gw)
        first = await customer.say("before the outage")
        kill9(procs.pop())

        # A message on the open socket: an error naming the frame and its client_id, no ack, then 1013.
        pending = uuid.uuid4().hex
        await customer.send(type="message", client_id=pending, text="typed while Redis is down")
        err = await customer.expect("error")
        assert (err["code"], err["frame"], err["ref"]) == (errors.UNAVAILABLE, "message", pending)
        assert err["retry_after_ms"] > 0
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(customer.ws.recv(), WAIT)
        assert closed.value.code == errors.WS_1013_TRY_AGAIN_LATER
        assert not [f for f in customer.seen if f.get("type") == "ack" and f.get("client_id") == pending]

        # A reconnecting widget's hello: told the same way, never closed with 1000 and no word.
        err = await refused_while_down(gw, conversation_id=customer.cid, token=customer.token, last_seq=0)
        assert (err["code"], err["frame"]) == (errors.UNAVAILABLE, "hello")

        procs.append(start_redis(directory, port)[0])  # back from its append-only file
        back = await resumed_when_back(gw, customer, 30 * TIME_SCALE)
        again = await back.say("typed while Redis is down", client_id=pending)  # the outbox, sent again
        client = await store_mod.connect(url)
        try:
            log = await store_mod.Store(client, 3600).read_log(customer.cid, after_seq=0, count=1000)
        finally:
            await client.close()
        assert_whole_and_unique(log, [first["client_id"], pending])
        assert again["seq"] > first["seq"]
    finally:
        stop(gw.proc)


# ------------------------------------------------------------------------------------- make run, for real


def _health(url: str) -> int:
    try:
        with urllib.request.urlopen(url + "/health", timeout=2) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


@pytest.fixture
def make_run(reduced_model: Path, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen, Path]]:
    """`python -m scripts.run_desk` (what `make run` runs) with its own Redis, action server and gateway on
    free ports, its data under tmp_path, the reduced model: (base URL, the process, its log)."""
    port, redis_port, action_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "REDIS_HOST", "REDIS_PORT")}
    env.update({"DATA_DIR": str(tmp_path / "var"), "PORT": str(port), "TANDEM_LOCAL_REDIS_PORT": str(redis_port),
                "ACTION_PORT": str(action_port), "MODEL_PATH": str(reduced_model), "NLU_WORKERS": "0",
                "TANDEM_DOTENV": os.devnull, "PYTHONPATH": str(ROOT)})
    log_path = tmp_path / "make-run.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "scripts.run_desk"], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240 * TIME_SCALE
        while _health(url) != 200:
            assert proc.poll() is None, f"make run exited; see {log_path}"
            assert time.monotonic() < deadline, f"the desk did not come up; see {log_path}"
            time.sleep(0.5)
        yield url, proc, log_path
    finally:
        descendants = psutil.Process(proc.pid).children(recursive=True) if proc.poll() is None else []
        proc.send_signal(signal.SIGINT)  # what Ctrl-C does: run_desk stops its children
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        for child in descendants:  # anything it could not stop (a restarted Redis included)
            if child.is_running():
                child.kill()


def _redis_of(proc: subprocess.Popen) -> psutil.Process:
    found = [p for p in psutil.Process(proc.pid).children() if "redis-server" in p.name()]
    assert len(found) == 1, f"expected one redis-server child of make run, found {found}"
    return found[0]


async def test_make_run_restarts_its_redis_after_kill9_and_the_desk_answers_again_with_nothing_lost(
    make_run: tuple[str, subprocess.Popen, Path], record_property: pytest.RecordProperty
) -> None:
    url, proc, log_path = make_run
    customer = await Customer.connect(url)
    acked = [await customer.say("hello"), await customer.say("what is my card's limit?")]
    await customer.expect("message", sender="bot", after_seq=acked[-1]["seq"], timeout=BOT_WAIT)
    old = _redis_of(proc)
    old.kill()  # kill -9 of the Redis that `make run` started
    killed_at = time.monotonic()
    old.wait(WAIT)

    back = await resumed_when_back(url, customer, RECOVERY_S * TIME_SCALE)
    more = await back.say("are you there again?")
    answer = await back.expect("message", sender="bot", after_seq=more["seq"], timeout=BOT_WAIT)
    took = time.monotonic() - killed_at
    record_property("redis_kill9_to_welcome_s", round(took, 2))
    print(f"\nafter kill -9 of make run's Redis: resumed and answered {took:.1f} s later")
    assert _redis_of(proc).pid != old.pid  # restarted by make run, not by the test
    assert "redis exited" in log_path.read_text()
    # The whole transcript, as a reload shows it (a socket is not sent back its own messages).
    reload = await Customer.connect(url, conversation_id=customer.cid, token=customer.token, last_seq=0)
    await reload.send(type="ping")
    await reload.expect("pong")
    transcript = reload.messages()
    assert_whole_and_unique(transcript, [a["client_id"] for a in acked] + [more["client_id"]])
    assert answer["seq"] > more["seq"]
