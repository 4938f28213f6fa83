"""`python -m bot.eval_escalation --model DIR FILE`: see bot/escalation/eval.py."""
from __future__ import annotations

import sys

from bot.escalation.eval import main

if __name__ == "__main__":
    sys.exit(main())
