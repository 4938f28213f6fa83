"""Score escalation against labelled conversations: `make eval-escalation`.

    python -m bot.eval_escalation --model models/rasa tests/data/escalation/blind/test.jsonl [more.jsonl ...]
    python -m bot.eval_escalation --replayed replay.jsonl tests/data/escalation/conversations.jsonl

Each file is scored and reported on its own (`make eval-escalation` gives the blind test part, the
tuning part and the first, cue-writers' set), all replayed through one loaded assistant.

Each labelled line adds {"escalate": bool, "first_turn": int|null, "kind": ..., "reason": ...} to the
replay input. A conversation counts as handed over if the assistant handed over at any turn; the
delay of a correct handover is (turn it handed over) - (labelled first turn): 0 is on time, negative
is early, positive is late. Explicit requests must be honoured on their own turn.

Exits 1 when the first file misses a target (F1 >= 0.93, false handoffs <= 5% of calm conversations,
median delay 0, every explicit request honoured on its turn), 2 on bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.escalation.replay import ROOT, Conversation, ReplayError, read_conversations, replay_all

CALM_KINDS = ("calm", "hard_negative")
TARGETS = {"f1": 0.93, "false_handoff_rate": 0.05, "median_delay": 0.0, "explicit_honoured": 1.0}


@dataclass(frozen=True)
class Labelled:
    id: str
    kind: str
    escalate: bool
    first_turn: int | None


def labels_of(conversations: Sequence[Conversation]) -> list[Labelled]:
    out = []
    for c in conversations:
        escalate, first, kind = c.extra.get("escalate"), c.extra.get("first_turn"), c.extra.get("kind")
        if not isinstance(escalate, bool):
            raise ReplayError(f"conversation {c.id}: 'escalate' must be true or false")
        if escalate and not (isinstance(first, int) and 0 <= first < len(c.turns)):
            raise ReplayError(f"conversation {c.id}: 'first_turn' must index one of its turns")
        if not escalate and first is not None:
            raise ReplayError(f"conversation {c.id}: 'first_turn' must be null when escalate is false")
        out.append(Labelled(c.id, str(kind or ("escalate" if escalate else "calm")), escalate, first))
    return out


def score(labels: Sequence[Labelled], predicted: dict[str, int | None]) -> dict[str, Any]:
    """Precision/recall/F1 over conversations, false handoffs on calm ones, delay of correct ones."""
    missing = [lab.id for lab in labels if lab.id not in predicted]
    if missing:
        raise ReplayError(f"{len(missing)} labelled conversations have no replay result (first: {missing[0]})")
    tp = sum(1 for lab in labels if lab.escalate and predicted[lab.id] is not None)
    fp = sum(1 for lab in labels if not lab.escalate and predicted[lab.id] is not None)
    fn = sum(1 for lab in labels if lab.escalate and predicted[lab.id] is None)
    negatives = sum(1 for lab in labels if not lab.escalate)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    delays = [predicted[lab.id] - lab.first_turn for lab in labels  # type: ignore[operator]
              if lab.escalate and predicted[lab.id] is not None]
    explicit = [lab for lab in labels if lab.kind == "explicit"]
    honoured = sum(1 for lab in explicit if predicted[lab.id] == lab.first_turn)
    calm = [lab for lab in labels if lab.kind in CALM_KINDS]
    per_kind = {}
    for kind in sorted({lab.kind for lab in labels}):
        group = [lab for lab in labels if lab.kind == kind]
        handed = [lab for lab in group if predicted[lab.id] is not None]
        on_time = [lab for lab in handed if lab.escalate and predicted[lab.id] == lab.first_turn]
        per_kind[kind] = {"n": len(group), "handed_over": len(handed), "on_time": len(on_time)}
    return {
        "conversations": len(labels),
        "positives": tp + fn,
        "negatives": negatives,
        "tp": tp, "fp": fp, "fn": fn,
        "precision": precision, "recall": recall, "f1": f1,
        "false_handoff_rate": sum(1 for lab in calm if predicted[lab.id] is not None) / len(calm) if calm else 0.0,
        "calm_conversations": len(calm),
        "median_delay": statistics.median(delays) if delays else None,
        "mean_delay": statistics.fmean(delays) if delays else None,
        "early": sum(1 for d in delays if d < 0), "late": sum(1 for d in delays if d > 0),
        "explicit_honoured": honoured / len(explicit) if explicit else None,
        "explicit_conversations": len(explicit),
        "per_kind": per_kind,
        "mistakes": [
            {"id": lab.id, "kind": lab.kind, "label": lab.first_turn, "got": predicted[lab.id]}
            for lab in labels if (lab.first_turn if lab.escalate else None) != predicted[lab.id]
        ],
    }


def missed_targets(report: dict[str, Any]) -> list[str]:
    missed = []
    if report["f1"] < TARGETS["f1"]:
        missed.append("F1")
    if report["false_handoff_rate"] > TARGETS["false_handoff_rate"]:
        missed.append("false-handoff rate")
    if report["median_delay"] is None or report["median_delay"] != TARGETS["median_delay"]:
        missed.append("median delay")
    if report["explicit_honoured"] is not None and report["explicit_honoured"] < TARGETS["explicit_honoured"]:
        missed.append("explicit requests honoured")
    return missed


def render(report: dict[str, Any], source: str) -> str:
    def fmt(v: float | None, pct: bool = False) -> str:
        return "n/a" if v is None else (f"{100 * v:.1f}%" if pct else f"{v:.2f}")

    lines = [
        (f"escalation on {source}: {report['conversations']} conversations "
        f"({report['positives']} to hand over, {report['negatives']} not)"),
        (f"  precision {fmt(report['precision'])}  recall {fmt(report['recall'])}  F1 {fmt(report['f1'])}"
        f"   (tp {report['tp']}, fp {report['fp']}, fn {report['fn']})"),
        (f"  false handoffs on calm conversations: {fmt(report['false_handoff_rate'], True)}"
        f" of {report['calm_conversations']}"),
        (f"  delay (turns, correct handovers): median {fmt(report['median_delay'])}"
        f"  mean {fmt(report['mean_delay'])}  early {report['early']}  late {report['late']}"),
        (f"  explicit requests honoured on their turn: {fmt(report['explicit_honoured'], True)}"
        f" of {report['explicit_conversations']}"),
        "  per kind: " + ", ".join(
            f"{k} {v['handed_over']}/{v['n']} handed over ({v['on_time']} on time)"
            for k, v in report["per_kind"].items()),
    ]
    for m in report["mistakes"]:
        lines.append(f"    {m['id']:<16} {m['kind']:<14} label {m['label']!s:<5} got {m['got']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.eval_escalation", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path,
                        help="labelled conversations (JSON lines); each file is scored on its own")
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "rasa")
    parser.add_argument("--action-url", help="use this running action server instead of starting one")
    parser.add_argument("--replayed", type=Path, help="score an earlier `python -m bot.replay` output")
    parser.add_argument("--save-replay", type=Path, help="also write the replay output here")
    parser.add_argument("--json", type=Path, help="write the reports as JSON here")
    args = parser.parse_args(argv)
    try:
        sets = [(f, read_conversations(f)) for f in args.files]
        labels = {f: labels_of(conversations) for f, conversations in sets}
        if args.replayed:
            rows = [json.loads(line) for line in args.replayed.read_text(encoding="utf-8").splitlines() if line]
            results = {r["id"]: r for r in rows}
        else:
            # One agent for every file; ids are namespaced by file so two sets may reuse one.
            everything = [Conversation(f"{n}:{c.id}", c.turns, c.extra)
                          for n, (_, conversations) in enumerate(sets) for c in conversations]
            replayed = asyncio.run(replay_all(args.model, everything, args.action_url, progress=True))
            results = {r.id: r.as_json() for r in replayed}
            if args.save_replay:
                args.save_replay.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n"
                                                    for r in results.values()), encoding="utf-8")
        reports = {}
        for n, (f, _) in enumerate(sets):
            found = {lab.id: results.get(f"{n}:{lab.id}", results.get(lab.id)) for lab in labels[f]}
            reports[str(f)] = score(labels[f], {cid: r["handoff_turn"] for cid, r in found.items() if r})
    except (ReplayError, OSError, json.JSONDecodeError, KeyError) as exc:
        print(f"eval-escalation: {exc}", file=sys.stderr)
        return 2
    missed_any = False
    for f, report in reports.items():
        print(render(report, f))
        missed = missed_targets(report)
        missed_any = missed_any or (bool(missed) and f == str(args.files[0]))
        print("targets met\n" if not missed else "targets missed: " + ", ".join(missed) + "\n")
    if args.json:
        args.json.write_text(json.dumps(reports, indent=2), encoding="utf-8")
    return 1 if missed_any else 0
