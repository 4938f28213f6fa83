"""One step of `make run` / `make train` on the terminal: a step line, the step's progress bars, its time.

    python -m scripts.step "training the assistant" train-rasa -- .venv/bin/python -m bot.train ...

Everything the command writes (Rasa's warnings, TensorFlow's start-up lines, pip's resolver) goes to
var/logs/<name>.log, which the step line names; only progress bars (tqdm's "…%|████|…" lines, redrawn with
a carriage return) reach the terminal. If the command fails, its last lines are shown and its exit status
is ours. Standard library only: it runs before the project's packages are installed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import deque
from pathlib import Path
from typing import TextIO

LOGS = Path("var/logs")
PROGRESS = re.compile(r"\d+%\|")  # tqdm's bar: "Epochs:  42%|████▏     | 21/50 [...]"
BAR_END = re.compile(r"\d+%\|[^\]]*\]")  # to the bar's closing "]": a warning printed on its line stays in the log
TAIL_LINES = 25


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{int(seconds // 60)} min {int(seconds % 60):02d} s"


class Terminal:
    """Progress bars to `out`: on a terminal each redraw over the last one, a newline when the bar is done;
    elsewhere (a CI log, a pipe) only each bar's last state, one line."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tty = out.isatty()
        self.drawing = ""

    def bar(self, text: str) -> None:
        self.drawing = text.strip()
        if self.tty:
            columns = max(40, _columns() - 1)
            self.out.write("\r    " + self.drawing[: columns - 4].ljust(columns - 4))
            self.out.flush()

    def end_bar(self) -> None:
        if self.drawing:
            self.out.write("\n" if self.tty else f"    {self.drawing}\n")
            self.out.flush()
            self.drawing = ""


def _columns() -> int:
    try:
        return os.get_terminal_size().columns
    except OSError:
        return 100


def split_output(buffer: str) -> tuple[list[tuple[str, str]], str]:
    """(segment, the character that ended it: "\\r" or "\\n") for each complete segment, and the rest."""
    out: list[tuple[str, str]] = []
    start = 0
    for i, ch in enumerate(buffer):
        if ch in "\r\n":
            out.append((buffer[start:i], ch))
            start = i + 1
    return out, buffer[start:]


def run(title: str, name: str, command: list[str], out: TextIO = sys.stdout) -> int:
    LOGS.mkdir(parents=True, exist_ok=True)
    log_path = LOGS / f"{name}.log"
    print(f"==> {title} (full log: {log_path})", file=out, flush=True)
    started = time.monotonic()
    terminal = Terminal(out)
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    with open(log_path, "a", encoding="utf-8", errors="replace") as log:
        log.write(f"\n===== {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(command)}\n")
        log.flush()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        assert proc.stdout is not None
        pending = ""
        while chunk := os.read(proc.stdout.fileno(), 65536):
            text = chunk.decode("utf-8", errors="replace")
            log.write(text)
            segments, pending = split_output(pending + text)
            for segment, end in segments:
                if PROGRESS.search(segment):
                    bar_end = BAR_END.search(segment)
                    terminal.bar(segment[: bar_end.end()] if bar_end else segment)
                    if end == "\n":
                        terminal.end_bar()
                elif segment.strip():
                    tail.append(segment)
        code = proc.wait()
        log.flush()
    terminal.end_bar()
    if code != 0:
        print(f"!! {title} failed (exit {code}). Its last lines ({log_path} has them all):", file=out)
        for line in tail:
            print(f"   {line}", file=out)
        return code
    print(f"    done in {_duration(time.monotonic() - started)}", file=out, flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 4 or args[2] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    return run(args[0], args[1], args[3:])


if __name__ == "__main__":
    sys.exit(main())
