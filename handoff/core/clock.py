"""The desk's one clock: wall time in whole milliseconds, as stored in Redis and sent in frames."""

from __future__ import annotations

import time


def now_ms() -> int:
    return int(time.time() * 1000)
