"""Customer messages parsed (spaCy, MiniLM, intent, emotions) in worker processes, off the event loop.

Why: the gateway is one Python process, so every turn's NLU and dialogue shared one core while the
other idled, and each turn waited behind other conversations' parses. The parse needs nothing of the
conversation, so a worker (a spawned process with its own copy of the model) does it on another core
while the loop runs other turns' dialogue. Threads cannot: spaCy and Rasa hold the GIL.

The loop speaks to a worker over a plain pipe, read with `loop.add_reader`: a request leaves at once
and the answer wakes the loop directly. (concurrent.futures' process pool hands every call through two
helper threads, which must each win the GIL from a busy loop first.)

Never a dead end: while a worker starts, loads a retrained model, hangs or has died, `parse` returns None
and the caller parses in-process, as before; a dead or stuck worker is replaced.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import time
from collections import deque
from multiprocessing.connection import Connection
from typing import Any

log = logging.getLogger(__name__)
RETRY_AFTER_S = 10.0  # a worker that failed to load a model is tried again after this long
MAX_WAITING = 100  # parses queued on one worker; past it (~15 KB in the pipe) the gateway parses itself


def _serve(conn: Connection, blas_threads: int) -> None:
    """The worker's whole life: load a model, then parse texts, one request at a time, until EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the gateway's to handle; it closes the pipe
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s[nlu-worker]: %(message)s")
    import gc

    from bot.logging_config import configure
    from bot.minilm import limit_blas_threads

    configure()  # Rasa's structlog would log every parsed message, customer text included
    limit_blas_threads(blas_threads)
    loop = asyncio.new_event_loop()
    agent: Any = None
    while True:
        try:
            kind, arg = conn.recv()
        except (EOFError, OSError):
            return  # the gateway is gone
        try:
            if kind == "load":
                from rasa.core.agent import Agent

                from bot import rasa_speedups

                rasa_speedups.apply()  # as in the gateway (handoff/assistant/bot_bridge.py load_agent)
                agent = Agent.load(arg)
                gc.collect()
                gc.freeze()  # as in the gateway: a full collection over the model's objects stalled a parse
                conn.send(("loaded", os.getpid()))
            else:
                conn.send(("parsed", loop.run_until_complete(agent.parse_message(arg))))
        except Exception as exc:  # noqa: BLE001 - reported to the gateway, which parses that one itself
            logging.getLogger(__name__).error("NLU worker: %s failed (%s)", kind, type(exc).__name__)
            conn.send(("failed", kind))


class _Worker:
    """One process and its pipe. Answers come back in request order, so waiting parses are a FIFO."""

    def __init__(self, blas_threads: int) -> None:
        self.blas_threads = blas_threads
        self.process: Any = None
        self.conn: Connection | None = None
        self.model: str | None = None  # the model it holds, once loaded
        self.loading: str | None = None  # the model it is loading
        self.waiting: deque[asyncio.Future] = deque()
        self.failed_at = 0.0

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def ready_for(self, model_path: str) -> bool:
        return self.conn is not None and self.loading is None and self.model == model_path

    def load(self, model_path: str) -> None:
        """Start the process if needed and have it load `model_path`; returns at once."""
        if self.loading is not None or time.monotonic() - self.failed_at < RETRY_AFTER_S:
            return
        if self.conn is None:
            ctx = multiprocessing.get_context("spawn")  # never fork a process holding TF, threads and a loop
            ours, theirs = ctx.Pipe()
            self.process = ctx.Process(target=_serve, args=(theirs, self.blas_threads), daemon=True,
                                       name="tandem-nlu-worker")
            self.process.start()
            theirs.close()
            self.conn = ours
            asyncio.get_running_loop().add_reader(ours.fileno(), self._on_reply)
        self.model, self.loading = None, model_path
        self._send(("load", model_path))

    async def parse(self, model_path: str, text: str) -> dict[str, Any] | None:
        reply: asyncio.Future = asyncio.get_running_loop().create_future()
        self.waiting.append(reply)
        self._send(("parse", text))
        return await reply

    def _send(self, request: tuple[str, str]) -> None:
        try:
            assert self.conn is not None
            self.conn.send(request)
        except (OSError, AssertionError):
            self.kill()  # died: the EOF may not have been read yet

    def _on_reply(self) -> None:
        try:
            assert self.conn is not None
            kind, value = self.conn.recv()
        except (EOFError, OSError, AssertionError):
            if self.loading is not None:
                self.failed_at = time.monotonic()
            log.error("NLU worker %s exited; parsing in the gateway until it is replaced", self.pid)
            self.kill()
            return
        if kind == "loaded":
            self.model, self.loading = self.loading, None
            log.info("NLU worker %d holds %s", value, os.path.basename(str(self.model)))
        elif kind == "failed" and value == "load":
            log.error("the NLU worker could not load %s; parsing in the gateway meanwhile", self.loading)
            self.failed_at = time.monotonic()
            self.kill()
        elif self.waiting:
            reply = self.waiting.popleft()
            if not reply.done():  # a parse given up on (timeout) still gets its answer, unread
                reply.set_result(value if kind == "parsed" else None)

    def kill(self) -> None:
        """Stop the process now; parses still waiting get None (their callers parse in-process)."""
        conn, process, self.conn, self.process = self.conn, self.process, None, None
        self.model = self.loading = None
        while self.waiting:
            reply = self.waiting.popleft()
            if not reply.done():
                reply.set_result(None)
        if conn is not None:
            try:
                asyncio.get_running_loop().remove_reader(conn.fileno())
            except RuntimeError:
                pass  # no loop any more (shutdown)
            conn.close()
        if process is not None:
            process.kill()
            process.join(5)


class NluWorkers:
    """`count` worker processes; `parse` sends each message to the ready one with the fewest waiting."""

    def __init__(self, count: int, blas_threads: int = 1, timeout_s: float = 5.0) -> None:
        self.workers = [_Worker(blas_threads) for _ in range(max(0, count))]
        self.timeout = timeout_s

    @property
    def ready(self) -> int:
        """Workers holding a model and not loading another."""
        return sum(1 for w in self.workers if w.conn is not None and w.model is not None and w.loading is None)

    def ready_for(self, model_path: str) -> bool:
        return any(w.ready_for(model_path) for w in self.workers)

    def prepare(self, model_path: str) -> None:
        """Have every worker load `model_path` (at start-up and after a model swap); returns at once."""
        for worker in self.workers:
            if worker.model != model_path:
                worker.load(model_path)

    async def parse(self, model_path: str, text: str) -> dict[str, Any] | None:
        """A worker's parse, or None: no worker is ready for this model, or it failed (parse in-process)."""
        ready = [w for w in self.workers if w.ready_for(model_path) and len(w.waiting) < MAX_WAITING]
        if not ready:
            self.prepare(model_path)  # a retrained model, or a worker to replace
            return None
        worker = min(ready, key=lambda w: len(w.waiting))
        try:
            return await asyncio.wait_for(worker.parse(model_path, text), self.timeout)
        except asyncio.TimeoutError:
            log.error("NLU worker %s did not answer in %.0f s; replacing it", worker.pid, self.timeout)
            worker.kill()
            worker.load(model_path)
            return None

    def close(self) -> None:
        for worker in self.workers:
            worker.kill()
