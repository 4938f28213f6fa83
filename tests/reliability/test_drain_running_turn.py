"""SIGTERM while a bot turn is running: the draining instance closes the customer's socket with 1012, lets
the turn finish (its action server answers slowly on purpose) and exits; the customer, back on the other
instance, gets that answer once, and nobody re-runs the turn as an orphan."""

from __future__ import annotations

import asyncio
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from handoff.core import errors
from tests.gateway import LiveGateway, start_gateway
from tests.handoff.clients import BOT_WAIT, WAIT, Customer
from tests.reliability.conftest import GATEWAY_LOGS
from tests.support import TIME_SCALE, stop

pytestmark = pytest.mark.model
DELAY_S = 3.0  # each call to the action server through the slow link takes this much longer
DRAIN_TIMEOUT_S = 30


class SlowLink:
    """A TCP forwarder to the action server that waits DELAY_S before each connection goes through: a slow
    action, real on both ends (the gateway's HTTP client, the rasa-sdk server)."""

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        time.sleep(DELAY_S)
        try:
            upstream = socket.create_connection(self.target)
        except OSError:
            client.close()
            return
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=_pipe, args=(a, b), daemon=True).start()

    def close(self) -> None:
        self.listener.close()


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


@pytest.fixture
def two_instances(redis_url: str, reduced_model: Path, action_server_url: str,
                  tmp_path: Path) -> Iterator[tuple[LiveGateway, LiveGateway]]:
    url = redis_url.rsplit("/", 1)[0] + "/15"  # a database of its own (RELIABILITY_DB and socket.io use 14, faults 13)
    link = SlowLink(int(action_server_url.rsplit(":", 1)[1].split("/")[0]))
    env = {"DRAIN_TIMEOUT_S": str(DRAIN_TIMEOUT_S), "NLU_WORKERS": "0"}
    slow = start_gateway(url, reduced_model, f"http://127.0.0.1:{link.port}/webhook", tmp_path, "gw-draining",
                         extra_env=env)
    other = start_gateway(url, reduced_model, action_server_url, tmp_path, "gw-staying", extra_env=env)
    GATEWAY_LOGS.extend([slow.log_path, other.log_path])
    try:
        yield slow, other
    finally:
        stop(slow.proc)
        stop(other.proc)
        link.close()


async def test_sigterm_lets_the_running_turn_finish_and_its_answer_reaches_the_customer_elsewhere(
    two_instances: tuple[LiveGateway, LiveGateway],
) -> None:
    draining, staying = two_instances
    for gw in (draining, staying):  # a first turn warms Rasa's graphs up (seconds of a blocked loop on a busy host)
        warm = await Customer.connect(gw)
        said = await warm.say("hi")
        await warm.expect("typing", sender="bot", on=False, timeout=BOT_WAIT + DELAY_S * 2)
        assert said["seq"] >= 1
        await warm.close()
    customer = await Customer.connect(draining)
    hello = await customer.say("hello")  # a new session: action_session_start, through the slow link
    await customer.expect("typing", sender="bot", on=True)
    draining.proc.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await customer.recv(WAIT)
    assert closed.value.code == errors.WS_1012_SERVICE_RESTART

    back = await Customer.connect(staying, conversation_id=customer.cid, token=customer.token, last_seq=hello["seq"])
    answer = await back.expect("message", sender="bot", after_seq=hello["seq"], timeout=BOT_WAIT)
    assert answer["text"]
    await asyncio.to_thread(draining.proc.wait, (DRAIN_TIMEOUT_S + 15) * TIME_SCALE)
    took = time.monotonic() - signalled
    drained_log = draining.log_path.read_text(errors="replace")
    assert "draining: closing 1 socket(s)" in drained_log and "turns still running" not in drained_log
    assert "re-running the orphaned bot turn" not in staying.log_path.read_text(errors="replace")
    reload = await Customer.connect(staying, conversation_id=customer.cid, token=customer.token, last_seq=0)
    await reload.send(type="ping")
    await reload.expect("pong")
    seqs = [m["seq"] for m in reload.messages()]
    assert seqs == sorted(set(seqs)) and [m.get("client_id") for m in reload.messages()].count(hello["client_id"]) == 1
    print(f"\nthe draining instance exited {took:.1f} s after SIGTERM, its running turn answered")
