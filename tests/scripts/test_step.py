"""scripts/step.py: a step line naming the log, progress bars on the terminal, everything else in the log."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from scripts import step

NOISY = """
import sys, time
from tqdm import tqdm
print("2026-12-06 21:38:18 I tensorflow/core/util/port.cc:110] oneDNN custom operations are on.")
print("UserWarning: Slot auto-fill has been removed in 3.0", file=sys.stderr)
for _ in tqdm(range(20), desc="Epochs"):
    time.sleep(0.001)
print("[state 3] user intent: compromised_card | previous action name: utter_compromised_card")
"""


@pytest.fixture(autouse=True)
def logs_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(step, "LOGS", tmp_path / "logs")
    return tmp_path / "logs"


def test_the_terminal_gets_the_step_line_and_the_finished_bar_and_the_log_gets_everything(logs_in_tmp: Path) -> None:
    out = io.StringIO()
    assert step.run("training", "train", [sys.executable, "-c", NOISY], out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0] == f"==> training (full log: {logs_in_tmp / 'train.log'})"
    assert len(lines) == 3 and "Epochs: 100%|" in lines[1] and lines[2].startswith("    done in")
    log = (logs_in_tmp / "train.log").read_text()
    for noise in ("oneDNN", "Slot auto-fill", "[state 3]", "Epochs: 100%"):
        assert noise in log


def test_a_failed_step_shows_its_last_lines_and_returns_its_status(logs_in_tmp: Path) -> None:
    out = io.StringIO()
    code = step.run("training", "fails", [sys.executable, "-c", "print('first'); print('why it failed'); exit(3)"],
                    out)
    assert code == 3
    assert "!! training failed (exit 3)" in out.getvalue() and "   why it failed" in out.getvalue()


def test_output_split_on_carriage_returns_and_newlines_keeps_the_unfinished_rest() -> None:
    assert step.split_output("a\rb\nc") == ([("a", "\r"), ("b", "\n")], "c")


def test_a_warning_printed_on_a_bars_line_goes_to_the_log_not_the_terminal(logs_in_tmp: Path) -> None:
    """tqdm's first draw has no newline, so a warning printed right after it lands on the bar's line."""
    script = ("import sys\nsys.stdout.write('encoding:   0%|          | 0/9 [00:00<?, ?text/s]"
              "/x.py:1: PyparsingDeprecationWarning: deprecated\\n')\n"
              "sys.stdout.write('encoding: 100%|##########| 9/9 [00:01<00:00, 9.00text/s]\\n')\n")
    out = io.StringIO()
    assert step.run("encoding", "enc", [sys.executable, "-c", script], out) == 0
    assert "Deprecation" not in out.getvalue()
    assert "PyparsingDeprecationWarning" in (logs_in_tmp / "enc.log").read_text()
