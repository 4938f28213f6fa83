"""`host:port` lists in settings (REDIS_SENTINELS, REDIS_CLUSTER), read one way for both."""

from __future__ import annotations


def parse_addresses(raw: str | tuple[str, ...] | list[str], what: str) -> tuple[tuple[str, int], ...]:
    """'h1:26379,h2:26379' (or a sequence of 'host:port') as ((host, port), ...); ValueError names a bad one
    as a `what` ("sentinel", "cluster node")."""
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    out = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        host, sep, port = item.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError(f"a {what} must be host:port, got {item!r}")
        out.append((host, int(port)))
    return tuple(out)
