"""Replay customer turns through the real trained assistant, in-process, one fresh conversation each.

    python -m bot.replay conversations.jsonl [--model models/rasa] [--action-url URL] [--out FILE]

Input: JSON lines {"id": str, "turns": [str, ...]} (other keys ignored). Output: one JSON line per
conversation {"id", "handoff_turn", "reason", "bot_replies"}: `handoff_turn` is the 0-based index of
the customer turn after which the assistant handed over (null if it never did); `bot_replies[i]` are
the bot's texts after turn i. Once handed over the customer is talking to a person, so later turns
are not sent to the bot and their replies are empty lists.

Custom actions (action_handoff among them) need the rasa-sdk action server; without --action-url one
is started on a free port for the length of the run and stopped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HANDOFF_ACTION = "action_handoff"
REASON_SLOT = "handoff_reason"


class ReplayError(Exception):
    """Bad input or a part of the assistant that would not start; the message says which."""


@dataclass(frozen=True)
class Conversation:
    id: str
    turns: tuple[str, ...]
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass
class ReplayResult:
    id: str
    handoff_turn: int | None
    reason: dict[str, Any] | None
    bot_replies: list[list[str]]

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "handoff_turn": self.handoff_turn, "reason": self.reason,
                "bot_replies": self.bot_replies}


def read_conversations(path: Path) -> list[Conversation]:
    """Parse and validate the whole file first, so a bad line fails the run before any model work.
    Errors name the line, never its text (the turns may be real customers' words)."""
    conversations: list[Conversation] = []
    seen: set[str] = set()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ReplayError(f"cannot read {path}: {exc.strerror}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ReplayError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise ReplayError(f"{path}:{number}: expected a JSON object")
        cid, turns = row.get("id"), row.get("turns")
        if not isinstance(cid, str) or not cid:
            raise ReplayError(f"{path}:{number}: 'id' must be a non-empty string")
        if cid in seen:
            raise ReplayError(f"{path}:{number}: duplicate id")
        if not isinstance(turns, list) or not turns or not all(isinstance(t, str) and t.strip() for t in turns):
            raise ReplayError(f"{path}:{number}: 'turns' must be a non-empty list of non-empty strings")
        seen.add(cid)
        extra = {k: v for k, v in row.items() if k not in ("id", "turns")}
        conversations.append(Conversation(cid, tuple(turns), extra))
    if not conversations:
        raise ReplayError(f"{path}: no conversations")
    return conversations


# --- the action server -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def action_server(timeout: float = 90.0) -> Iterator[str]:
    """Start `python -m rasa_sdk --actions actions` on a free port; yield its webhook URL."""
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="tandem-actions-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise ReplayError(f"the action server exited with {proc.returncode}; see {log.name}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise ReplayError(f"the action server did not open port {port}; see {log.name}")
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/webhook"
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


# --- driving the agent ---------------------------------------------------------------------------------


def quiet_logs() -> None:
    """Warnings and errors only, on stderr: stdout carries the JSON lines. (Rasa's debug logs would
    also print slot values, the handoff reason with the customer's words among them.)"""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    for name in ("rasa", "tensorflow", "absl", "transformers", "urllib3", "asyncio", "sanic"):
        logging.getLogger(name).setLevel(logging.ERROR)


async def load_agent(model: Path, action_url: str) -> Any:
    from rasa.core.agent import load_agent as rasa_load_agent
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.endpoints import EndpointConfig

    from bot import rasa_speedups

    rasa_speedups.apply()

    if not model.exists():
        raise ReplayError(f"no model at {model}: train one first (make train)")
    agent = await rasa_load_agent(
        model_path=str(model), endpoints=AvailableEndpoints(action=EndpointConfig(url=action_url))
    )
    if agent is None or not agent.is_ready():
        raise ReplayError(f"could not load a model from {model}")
    return agent


def _handoff_in(events: Sequence[Any]) -> bool:
    from rasa.shared.core.events import ActionExecuted

    return any(isinstance(e, ActionExecuted) and e.action_name == HANDOFF_ACTION for e in events)


async def replay_conversation(agent: Any, conversation: Conversation) -> ReplayResult:
    """Feed the turns one by one into a brand-new conversation and note where it handed over."""
    from rasa.shared.core.events import UserUttered

    sender = f"replay-{uuid.uuid4().hex}"
    replies: list[list[str]] = []
    for index, text in enumerate(conversation.turns):
        messages = await agent.handle_text(text, sender_id=sender) or []
        replies.append([m["text"] for m in messages if m.get("text")])
        tracker = await agent.tracker_store.retrieve(sender)
        events = list(tracker.events)
        last_user = max(i for i, e in enumerate(events) if isinstance(e, UserUttered))
        if _handoff_in(events[last_user:]):
            payload = next((m["custom"]["handoff"] for m in messages
                            if isinstance(m.get("custom"), dict) and "handoff" in m["custom"]), None)
            reason = payload or tracker.get_slot(REASON_SLOT)
            replies.extend([] for _ in conversation.turns[index + 1:])
            return ReplayResult(conversation.id, index, reason, replies)
    return ReplayResult(conversation.id, None, None, replies)


async def replay_all(
    model: Path, conversations: Sequence[Conversation], action_url: str | None = None,
    progress: bool = False,
) -> list[ReplayResult]:
    """Replay every conversation through one loaded agent (starting an action server if needed)."""
    quiet_logs()
    with contextlib.ExitStack() as stack:
        url = action_url or stack.enter_context(action_server())
        agent = await load_agent(model, url)
        results = []
        for n, conversation in enumerate(conversations, start=1):
            results.append(await replay_conversation(agent, conversation))
            if progress:
                print(f"\rreplayed {n}/{len(conversations)}", end="", file=sys.stderr, flush=True)
        if progress:
            print(file=sys.stderr)
        return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.replay", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", type=Path, help="JSON lines {id, turns}")
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "rasa",
                        help="a Rasa model .tar.gz or a folder of them (newest wins)")
    parser.add_argument("--action-url", help="use this running action server instead of starting one")
    parser.add_argument("--out", type=Path, help="write JSON lines here instead of stdout")
    args = parser.parse_args(argv)
    try:
        conversations = read_conversations(args.file)
        results = asyncio.run(replay_all(args.model, conversations, args.action_url, progress=True))
    except ReplayError as exc:
        print(f"replay: {exc}", file=sys.stderr)
        return 2
    lines = "".join(json.dumps(r.as_json(), ensure_ascii=False) + "\n" for r in results)
    if args.out:
        args.out.write_text(lines, encoding="utf-8")
    else:
        sys.stdout.write(lines)
    return 0
