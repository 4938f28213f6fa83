"""`python -m handoff --port 8000`: one gateway process (Sanic, one worker) with the Rasa agent inside.

A second instance is a second process on another port with the same REDIS_URL. Without REDIS_URL the
desk's own Redis is started (or reused) with its data under var/redis.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import socket
from pathlib import Path

from handoff import settings as settings_mod
from handoff.storage import local_redis

LOCAL_REDIS_PORT = int(os.environ.get("TANDEM_LOCAL_REDIS_PORT", "6390"))  # same as scripts/run_desk.py


def _context_secret(data_dir: Path) -> str:
    """A stable secret for signed contexts when none is configured, shared by the instances of this folder."""
    path = data_dir / "context-secret"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m handoff", description="Tandem gateway")
    parser.add_argument("--host", default=None)
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--model", default=None, help="Rasa model file or folder (default models/rasa)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from bot.logging_config import configure as configure_logging

    configure_logging()  # Rasa's structlog otherwise logs every parsed message, customer text included
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port), ("model_path", args.model)) if v}
    cfg = settings_mod.load(**overrides)
    data_dir = Path(cfg.data_dir)
    if not cfg.redis_url:
        # The desk's own Redis (AOF under var/redis), reused if already running; it outlives this process
        # on purpose, so that a second instance started the same way shares it.
        if not local_redis.port_open(LOCAL_REDIS_PORT):
            local_redis.start_redis(data_dir / "redis", LOCAL_REDIS_PORT, log_file=data_dir / "redis.log")
        cfg = cfg.with_(redis_url=f"redis://127.0.0.1:{LOCAL_REDIS_PORT}/0")
        logging.getLogger("handoff").info("no REDIS_URL: using the desk's own Redis (%s/redis)", data_dir)
    if not cfg.context_secret:
        cfg = cfg.with_(context_secret=_context_secret(data_dir))
    if "INSTANCE" not in os.environ:
        cfg = cfg.with_(instance=f"{socket.gethostname()}:{cfg.port}")

    # A Rasa ticket lock held by an instance that died would block the conversation for Rasa's default
    # 60 s; no turn outlives bot_timeout_s, and an orphaned one is re-run after ORPHAN_GRACE_S more
    # (handoff/gateway/turns.py), by which time the dead ticket has expired. Read when Rasa is imported.
    from handoff.gateway.turns import ORPHAN_GRACE_S

    os.environ.setdefault("TICKET_LOCK_LIFETIME", str(int(cfg.bot_timeout_s + ORPHAN_GRACE_S)))
    from handoff.app import create_app  # imports Rasa: after logging is set up

    app = create_app(cfg)
    app.run(host=cfg.host, port=cfg.port, workers=1, access_log=False, debug=False, auto_reload=False)


if __name__ == "__main__":
    main()
