"""Gateway settings: environment → `.env` → default, typed, failing at start-up with the key's name.

Tests build `Settings(...)` directly instead of touching os.environ. Secrets never appear in `repr`.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
SECRET_FIELDS = {"context_secret", "redis_url", "metrics_token"}


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the key."""


@dataclass(frozen=True)
class Settings:
    redis_url: str | None = None  # None: `python -m handoff` starts its own Redis under var/redis
    host: str = "127.0.0.1"
    port: int = 8000
    origins: tuple[str, ...] = ()  # allowed browser origins besides the gateway's own
    metrics_token: str = ""  # non-empty: GET /metrics needs `Authorization: Bearer <token>`
    context_secret: str = ""  # HMAC key for signed customer context; empty: context is refused
    session_ttl_s: int = 8 * 3600  # agent session idle expiry
    conversation_ttl_s: int = 30 * 24 * 3600  # transcripts and conversation state
    cookie_secure: bool = False
    demo: bool = False  # serves /api/demo-context (signs a fictional customer) for the demo page
    model_path: str = str(ROOT / "models" / "rasa")
    endpoints_path: str = str(ROOT / "endpoints.yml")
    action_endpoint_url: str = "http://127.0.0.1:5055/webhook"
    in_memory_rasa_stores: bool = False  # unit tests only: Rasa tracker/lock stores in memory
    load_bot: bool = True  # False: no Rasa agent (protocol-only tests); bot turns get "unavailable"
    bot_timeout_s: float = 15.0
    blas_threads: int = 1  # BLAS threads of the gateway process (bot/minilm.py limit_blas_threads)
    nlu_workers: int = 1  # processes that parse customer messages off the event loop (handoff/assistant/nlu_workers.py)
    instance: str = field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}")
    data_dir: str = str(ROOT / "var")
    default_wait_s: int = 120  # shown as "typical wait" until real waits have been measured
    # When advisers are expected (handoff/core/opening_hours.py): said to a queued customer when nobody is online.
    opening_hours: str = "Mon-Fri 08:00-20:00; Sat 09:00-17:00"
    opening_timezone: str = "Europe/London"
    opening_holidays: str = "GB-ENG"  # bank holidays of this region close the desk ("" = none)
    bot_while_queued: bool = True  # the bot answers routine questions while a customer waits (they may say no)
    login_max_per_user: int = 5  # failed sign-ins to one account from one address before that pair is locked
    login_max_per_ip: int = 20  # failed sign-ins from one address, any account
    login_max_per_account: int = 500  # failed sign-ins to one account from anywhere (far above one address's)
    login_window_s: int = 900
    new_chats_per_ip: int = 60  # conversations one client IP may open per window (0: no limit)
    new_chats_window_s: int = 600
    # Admin page (handoff/admin/admin_routes.py): where labels are written and retraining runs, and how.
    project_root: str = str(ROOT)  # holds data/, domain/, the training config; models/versions/ under it
    retrain_config: str = "config.yml"
    retrain_max_per_intent: int = 0  # 0: every example; the reduced test loop uses 25
    retrain_eval_max_per_intent: int = 0  # 0: the whole held-out split; tests compare on a sample of it
    inbox_threshold: float = 0.6  # bot-mode messages parsed below this confidence go to the NLU inbox
    # Rasa's socket.io channel for rasa-webchat and other socket.io clients (docs/rasa-webchat.md). Unset
    # (None) values come from credentials.yml's `socketio:` section, then Rasa 3.6's defaults.
    socketio: bool = True
    credentials_path: str = str(ROOT / "credentials.yml")
    socketio_path: str | None = None  # Rasa's default: /socket.io
    socketio_user_message_evt: str | None = None  # user_uttered
    socketio_bot_message_evt: str | None = None  # bot_uttered
    socketio_session_persistence: bool | None = None  # false (Tandem's credentials.yml says true)
    socketio_websocket_only: bool = False  # true: no long-polling, so no sticky sessions behind a balancer
    # Rolling deploys (handoff/gateway/drain.py, docs/deploy.md): on SIGTERM, how long running turns may finish.
    drain_timeout_s: float = 20.0
    proxies_count: int = 0  # trusted proxies in front (a balancer: 1) whose X-Forwarded-For names the client
    # Past one Redis (handoff/storage/topology.py, docs/deploy.md). REDIS_URL still gives db and password.
    redis_sentinels: tuple[str, ...] = ()  # host:port of each sentinel: the primary is asked of them
    redis_sentinel_service: str = "tandem"  # the name the sentinels monitor the primary by
    redis_cluster: tuple[str, ...] = ()  # host:port of Redis Cluster seed nodes (REDIS_URL: password, db 0)
    redis_wait_replicas: int = 0  # >0: a message is acknowledged only once this many replicas have it (WAIT)
    redis_wait_timeout_ms: int = 500  # how long an ack waits for them; short of them the client retries
    handback_watch_s: int = 600  # after "hand back to bot" the agent watches the chat and may take it back (#24)
    # Agent assist (docs/assist.md): False runs without the MiniLM encoder (drafts are the bot's answers only).
    assist_encoder: bool = True

    def __repr__(self) -> str:
        parts = []
        for f in fields(self):
            value: Any = getattr(self, f.name)
            if f.name in SECRET_FIELDS and value:
                value = _mask(f.name, value)
            parts.append(f"{f.name}={value!r}")
        return f"Settings({', '.join(parts)})"

    __str__ = __repr__

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    def redis_parts(self) -> dict[str, Any]:
        """host/port/db/password of redis_url, for Rasa's endpoint config."""
        if not self.redis_url:
            raise SettingsError("REDIS_URL is not set")
        u = urlsplit(self.redis_url)
        db = (u.path or "/0").lstrip("/") or "0"
        return {"host": u.hostname or "127.0.0.1", "port": u.port or 6379, "db": int(db),
                "password": u.password or None}


def _mask(name: str, value: str) -> str:
    if name == "redis_url":
        u = urlsplit(value)
        if u.password:
            return value.replace(f":{u.password}@", ":***@")
        return value
    return "***"


def _read_dotenv(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    if not path.is_file():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        out[key.strip().removeprefix("export ").strip()] = value.strip().strip("'\"")
    return out


def _convert(key: str, raw: str, kind: Any) -> Any:
    try:
        if kind in ("bool", bool):
            low = raw.strip().lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(raw)
        if kind in ("int", int):
            return int(raw)
        if kind in ("float", float):
            return float(raw)
        if kind in ("tuple[str, ...]",):
            return tuple(p.strip().rstrip("/") for p in raw.split(",") if p.strip())
        return raw
    except ValueError:
        raise SettingsError(f"setting {key} has an invalid value (expected {kind})") from None


def load(env: Mapping[str, str] | None = None, dotenv: Path | None = None, **overrides: Any) -> Settings:
    """Settings from `env` (default os.environ), then the `.env` file, then defaults.

    The file is `.env` in the project root unless TANDEM_DOTENV names another (tests name os.devnull, so a
    user's `.env` never reaches a test gateway)."""
    env = dict(os.environ if env is None else env)
    file_values = _read_dotenv(dotenv if dotenv is not None else Path(env.get("TANDEM_DOTENV") or ROOT / ".env"))
    values: dict[str, Any] = {}
    for f in fields(Settings):
        key = f.name.upper()
        raw = env.get(key, file_values.get(key))
        if raw is None or (raw == "" and f.name == "redis_url"):
            continue
        kind = f.type.replace(" | None", "") if isinstance(f.type, str) else f.type
        values[f.name] = _convert(key, raw, kind)
    values.update(overrides)
    settings = Settings(**values)
    if settings.redis_url and urlsplit(settings.redis_url).scheme not in ("redis", "rediss", "unix"):
        raise SettingsError("setting REDIS_URL must start with redis://, rediss:// or unix://")
    if settings.redis_cluster:
        seeds = [s.rpartition(":") for s in settings.redis_cluster]
        if any(not host or not port.isdigit() for host, _, port in seeds):
            raise SettingsError("setting REDIS_CLUSTER must be host:port,host:port,...")
        if not settings.redis_url:  # a cluster is never the desk's own Redis: its first seed gives the address
            settings = settings.with_(redis_url=f"redis://{settings.redis_cluster[0]}/0")
    return settings


def generated_secret() -> str:
    return secrets.token_urlsafe(32)


LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


def exposure_warnings(settings: Settings) -> list[str]:
    """What the gateway should warn about at start-up: it serves a non-loopback address (reachable from
    other machines) without a /metrics token or without the Secure flag on the session cookie."""
    if settings.host in LOOPBACK_HOSTS or settings.host.startswith("127."):
        return []
    out = []
    if not settings.metrics_token:
        out.append(f"serving {settings.host} with /metrics open to anyone: set METRICS_TOKEN")
    if not settings.cookie_secure:
        out.append(f"serving {settings.host} with a session cookie sent over plain HTTP: set COOKIE_SECURE=1 "
                   "(behind HTTPS)")
    return out
