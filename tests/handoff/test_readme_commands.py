"""The README's Redis commands run as written after `make run`: no REDIS_URL, the desk's own Redis.

`make run` (scripts/run_desk.py) keeps its Redis on TANDEM_LOCAL_REDIS_PORT (6390) with its AOF under
var/redis. Each test here points that port and DATA_DIR at a private folder and runs the command exactly as
the README prints it, once with that Redis already up (the desk is running) and once with it down (the
command starts it on the desk's saved data and stops it again).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from handoff.storage import local_redis
from tests.support import ROOT, TIME_SCALE, free_port, stop


def readme_env(data_dir: Path, port: int) -> dict[str, str]:
    """The environment of a shell after `make run`: nothing Tandem-specific, and certainly no REDIS_URL."""
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update({"PYTHONPATH": str(ROOT), "DATA_DIR": str(data_dir), "TANDEM_DOTENV": os.devnull,
                local_redis.LOCAL_REDIS_PORT_ENV: str(port)})
    return env


def run(data_dir: Path, port: int, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=readme_env(data_dir, port), input=stdin,
                          text=True, capture_output=True, check=False, timeout=180 * TIME_SCALE)


def readme_command(module: str) -> str:
    """The README's row for `module`, so a renamed module fails here before it fails a user."""
    rows = [line for line in (ROOT / "README.md").read_text().splitlines() if f"`python -m {module} " in line]
    assert rows, f"README has no command for {module}"
    return rows[0]


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[tuple[Path, int, subprocess.Popen]]:
    """The desk's own Redis as `make run` leaves it running: (data dir, port, process)."""
    port = free_port()
    proc = local_redis.start_redis(tmp_path / "redis", port)
    try:
        yield tmp_path, port, proc
    finally:
        stop(proc)


def test_users_add_as_written_uses_the_running_desks_redis(desk: tuple[Path, int, subprocess.Popen]) -> None:
    data_dir, port, _ = desk
    assert "python -m handoff.accounts.users add NAME --role agent" in readme_command("handoff.accounts.users")
    # As written: no --password-stdin; without a terminal getpass reads the two prompts' answers from stdin.
    done = run(data_dir, port, "handoff.accounts.users", "add", "kim", "--role", "agent",
               stdin="kim-password-123\nkim-password-123\n")
    assert done.returncode == 0, done.stderr
    assert "account kim (agent) saved" in done.stdout
    stored = redis.Redis(port=port, decode_responses=True).keys("*kim*")
    assert stored, "the account was not written to the desk's Redis"
    listed = run(data_dir, port, "handoff.accounts.users", "list")
    assert listed.stdout.startswith("kim\tagent")


def test_users_add_with_the_desk_stopped_starts_its_redis_on_the_saved_data_and_stops_it(tmp_path: Path) -> None:
    port = free_port()
    done = run(tmp_path, port, "handoff.accounts.users", "add", "lee", "--role", "admin",
               stdin="lee-password-123\nlee-password-123\n")
    assert done.returncode == 0, done.stderr
    assert not local_redis.port_open(port), "the Redis the command started was left running"
    assert (tmp_path / "redis").is_dir()
    # The account is in the desk's AOF: the next start (make run) finds it.
    listed = run(tmp_path, port, "handoff.accounts.users", "list")
    assert listed.returncode == 0 and listed.stdout.startswith("lee\tadmin"), listed.stderr


def test_export_as_written_on_the_embedded_redis(desk: tuple[Path, int, subprocess.Popen]) -> None:
    data_dir, port, _ = desk
    assert "python -m handoff.reporting.export --since … --until …" in readme_command("handoff.reporting.export")
    seed = run(data_dir, port, "tests.handoff.reporting.export_seed")
    assert seed.returncode == 0, seed.stderr
    done = run(data_dir, port, "handoff.reporting.export", "--since", "2020-01-01", "--until", "2100-01-01")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["conversation_id"] for line in lines] == [seed.stdout.strip()]
    assert "4539" not in done.stdout and "exported 1 conversation(s)" in done.stderr


def test_export_with_the_desk_stopped_reads_the_saved_data(tmp_path: Path) -> None:
    port = free_port()
    proc = local_redis.start_redis(tmp_path / "redis", port)
    try:
        seed = run(tmp_path, port, "tests.handoff.reporting.export_seed")
        assert seed.returncode == 0, seed.stderr
    finally:
        stop(proc)
    done = run(tmp_path, port, "handoff.reporting.export", "--since", "2020-01-01", "--until", "2100-01-01")
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["conversation_id"] for line in done.stdout.splitlines()] == [seed.stdout.strip()]
    assert not local_redis.port_open(port)


def test_reindex_history_as_written_on_the_embedded_redis(desk: tuple[Path, int, subprocess.Popen]) -> None:
    data_dir, port, _ = desk
    assert "python -m scripts.reindex_history`" in (ROOT / "README.md").read_text()
    done = run(data_dir, port, "scripts.reindex_history")
    assert done.returncode == 0, done.stderr
    assert "indexed 0 closed conversation(s)" in done.stdout
    assert local_redis.port_open(port), "the running desk's Redis must be left running"


def test_reindex_history_with_the_desk_stopped_starts_and_stops_its_redis(tmp_path: Path) -> None:
    port = free_port()
    done = run(tmp_path, port, "scripts.reindex_history")
    assert done.returncode == 0, done.stderr
    assert "indexed 0 closed conversation(s)" in done.stdout
    assert not local_redis.port_open(port), "the Redis the command started was left running"


@pytest.mark.model
def test_replay_as_written_reports_each_conversation(tmp_path: Path, reduced_model: Path) -> None:
    """`python -m bot.replay FILE.jsonl` reads `models/rasa` after `make run`; CI has the reduced model, so the
    one difference is `--model`."""
    assert "python -m bot.replay FILE.jsonl" in readme_command("bot.replay")
    file = tmp_path / "chats.jsonl"
    file.write_text((ROOT / "tests/data/escalation/conversations.jsonl").read_text().splitlines()[0] + "\n")
    done = run(tmp_path, free_port(), "bot.replay", str(file), "--model", str(reduced_model))
    assert done.returncode == 0, done.stderr[-2000:]
    reports = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert [r["id"] for r in reports] == ["calm-01"]
