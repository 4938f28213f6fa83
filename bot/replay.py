"""`python -m bot.replay FILE.jsonl`: see bot/escalation/replay.py."""
from __future__ import annotations

import sys

from bot.escalation.replay import main

if __name__ == "__main__":
    sys.exit(main())
