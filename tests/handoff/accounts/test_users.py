"""`python -m handoff.accounts.users`: accounts are created from the server's shell, passwords never on the command line."""
from __future__ import annotations

import os
import subprocess
import sys

from tests.support import ROOT

DB = 4


def users_cli(redis_url: str, *args: str, stdin: str = "", data_dir: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "REDIS_URL": redis_url.rsplit("/", 1)[0] + f"/{DB}", "PYTHONPATH": str(ROOT)}
    if data_dir:
        env["DATA_DIR"] = data_dir
    return subprocess.run([sys.executable, "-m", "handoff.accounts.users", *args], check=False, input=stdin,
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)


def test_add_list_and_delete_an_account(redis_url: str) -> None:
    users_cli(redis_url, "delete", "kim")
    added = users_cli(redis_url, "add", "kim", "--role", "agent", "--display-name", "Kim", "--capacity", "4",
                      "--password-stdin", stdin="kim-password-123\n")
    assert added.returncode == 0, added.stderr
    listed = users_cli(redis_url, "list").stdout
    assert "kim\tagent\tKim\tcapacity 4" in listed and "kim-password" not in listed
    again = users_cli(redis_url, "add", "kim", "--password-stdin", stdin="kim-password-123\n")
    assert again.returncode == 2 and "exists" in again.stderr
    assert "deleted" in users_cli(redis_url, "delete", "kim").stdout


def test_a_weak_password_is_refused(redis_url: str) -> None:
    weak = users_cli(redis_url, "add", "lee", "--password-stdin", stdin="short\n")
    assert weak.returncode == 2 and "at least" in weak.stderr


def test_bootstrap_creates_first_accounts_once_with_a_private_credentials_file(redis_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import redis

    redis.Redis.from_url(redis_url.rsplit("/", 1)[0] + f"/{DB}").flushdb()
    first = users_cli(redis_url, "bootstrap", data_dir=str(tmp_path))
    assert first.returncode == 0, first.stderr
    creds = tmp_path / "initial-credentials.txt"
    assert oct(creds.stat().st_mode & 0o777) == "0o600"
    lines = [line.split("\t") for line in creds.read_text().splitlines() if not line.startswith("#")]
    assert {line[0] for line in lines} == {"admin", "sam", "alex"}
    assert lines[0][2] not in first.stdout  # passwords only in the file
    creds.unlink()
    users_cli(redis_url, "bootstrap", data_dir=str(tmp_path))
    assert not creds.exists()  # accounts exist: nothing new
