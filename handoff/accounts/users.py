"""Manage agent and admin accounts from the server's shell.

    python -m handoff.accounts.users add USERNAME --role agent|admin --display-name NAME --capacity 3 [--password-stdin]
    python -m handoff.accounts.users list | delete USERNAME | bootstrap

`bootstrap` (run by `make run`) creates a first admin and two agents with random passwords when there are
no accounts yet, and writes them to var/initial-credentials.txt (mode 600) — never to the log.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import secrets
import sys
from pathlib import Path

from handoff import settings as settings_mod
from handoff.accounts.auth import Accounts
from handoff.core import errors
from handoff.storage import local_redis, store
from handoff.storage.accounts import AccountRecords

BOOTSTRAP = (("admin", "Admin", "admin", 3), ("sam", "Sam", "agent", 3), ("alex", "Alex", "agent", 3))


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise SystemExit("passwords do not match")
    return first


async def _run(args: argparse.Namespace) -> int:
    cfg = settings_mod.load()
    url, started = cfg.redis_url, None
    if not url:  # the desk's own Redis, as `make run` and `python -m handoff` use without REDIS_URL
        url, started = local_redis.ensure_project_redis(Path(cfg.data_dir))
    try:
        return await _run_on(args, cfg, url)
    finally:
        local_redis.stop_started(started)


async def _run_on(args: argparse.Namespace, cfg: settings_mod.Settings, url: str) -> int:
    client = await store.connect(url)
    accounts = Accounts(AccountRecords(client))
    try:
        if args.cmd == "add":
            await accounts.create(args.username, args.display_name or args.username, args.role, args.capacity,
                                  _password(args.password_stdin), replace=args.replace)
            print(f"account {args.username} ({args.role}) saved")
        elif args.cmd == "list":
            for name in await accounts.usernames():
                user = await accounts.get(name)
                if user:
                    print(f"{name}\t{user['role']}\t{user['display_name']}\tcapacity {user['capacity']}")
        elif args.cmd == "delete":
            print("deleted" if await accounts.delete(args.username) else "no such account")
        elif args.cmd == "bootstrap":
            return await _bootstrap(accounts, Path(cfg.data_dir))
    except errors.TandemError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    finally:
        await client.close()
    return 0


async def _bootstrap(accounts: Accounts, data_dir: Path) -> int:
    if await accounts.usernames():
        return 0
    data_dir.mkdir(parents=True, exist_ok=True)
    lines = ["# Tandem first accounts (change or delete them: python -m handoff.accounts.users add ... --replace)"]
    for username, name, role, capacity in BOOTSTRAP:
        password = secrets.token_urlsafe(12)
        await accounts.create(username, name, role, capacity, password)
        lines.append(f"{username}\t{role}\t{password}")
    path = data_dir / "initial-credentials.txt"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"created {len(BOOTSTRAP)} accounts; passwords in {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m handoff.accounts.users", description="Tandem agent accounts")
    sub = parser.add_subparsers(dest="cmd", required=True)
    add = sub.add_parser("add", help="create (or with --replace, update) an account")
    add.add_argument("username")
    add.add_argument("--role", choices=("agent", "admin"), default="agent")
    add.add_argument("--display-name")
    add.add_argument("--capacity", type=int, default=3)
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.add_argument("--replace", action="store_true", help="overwrite an existing account")
    sub.add_parser("list")
    delete = sub.add_parser("delete")
    delete.add_argument("username")
    sub.add_parser("bootstrap", help="first accounts with random passwords, if there are none")
    return asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
