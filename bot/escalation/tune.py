"""Offline tuning: parse every customer turn once with the trained NLU, then score the decision in pure
Python, so a threshold grid over hundreds of conversations takes seconds instead of a replay each.

    python -m bot.escalation.tune --model models/rasa data/escalation/tune.jsonl [--grid]

Only the tuning part (data/escalation/tune.jsonl) may be given to `--grid`; the blind test part is
scored by `make eval-escalation` with the real replay and is never tuned on. The live policy sees the
same parse data (intent, confidence, sentiment, acts) the harness builds here; the replay remains the
number of record, since forms and rules can change which turns reach the policy.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.escalation.eval import Labelled, labels_of, score
from bot.escalation.replay import ROOT, Conversation, quiet_logs, read_conversations
from bot.escalation.signals import Thresholds, Turn, first_decision

CACHE = ROOT / "models" / "cache"


async def _parse(model: Path, texts: Sequence[str]) -> dict[str, dict[str, Any]]:
    from rasa.core.agent import load_agent

    quiet_logs()
    agent = await load_agent(model_path=str(model))
    out = {}
    for n, text in enumerate(texts, start=1):
        out[text] = await agent.parse_message(text)
        print(f"\rparsed {n}/{len(texts)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return out


def parses(model: Path, texts: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Parse data of every text, cached per model file (the model's tar name and size)."""
    target = max(model.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime) if model.is_dir() else model
    key = hashlib.sha1(f"{target.resolve()}:{target.stat().st_size}:{target.stat().st_mtime}".encode()).hexdigest()
    path = CACHE / f"parses-{key[:12]}.json"
    cached = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    todo = sorted({t for t in texts if t not in cached})
    if todo:
        cached.update(asyncio.run(_parse(target, todo)))
        CACHE.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(cached), encoding="utf-8")
    return cached


def with_acts(parse: dict[str, Any], acts: dict[str, float] | None) -> Turn:
    data = dict(parse)
    if acts is not None:
        data["acts"] = acts
    return Turn.from_parse_data(data)


def decisions(
    conversations: Sequence[Conversation], parsed: dict[str, dict[str, Any]],
    acts: dict[str, dict[str, float]] | None, th: Thresholds, why: dict[str, str] | None = None,
) -> dict[str, int | None]:
    """The turn each conversation would be handed over on (None: never); `why` collects the reasons."""
    out: dict[str, int | None] = {}
    for c in conversations:
        turns = [with_acts(parsed[t], acts.get(t) if acts is not None else None) for t in c.turns]
        d = first_decision(turns, th)
        out[c.id] = None if d is None else d.turn
        if why is not None and d is not None:
            why[c.id] = f"{d.kind}/{d.detail}"
    return out


def summary(report: dict[str, Any]) -> str:
    return (f"F1 {report['f1']:.3f} P {report['precision']:.3f} R {report['recall']:.3f} "
            f"false {report['fp']}/{report['negatives']} ({100 * report['fp'] / max(report['negatives'], 1):.1f}%) "
            f"median delay {report['median_delay']} early {report['early']} late {report['late']} "
            f"explicit {report['explicit_honoured']}")


GRID = {
    "act_explicit": (0.5, 0.6, 0.7, 0.8, 0.9),
    "act_upset": (0.4, 0.5, 0.6, 0.7, 0.8),
    "act_distress": (0.4, 0.5, 0.6, 0.7, 0.8),
    "act_failure": (0.4, 0.5, 0.6, 0.7, 0.8, 0.95),
    "act_none_veto": (0.6, 0.7, 0.8, 0.9, 1.01),
    "act_failure_hint": (0.2, 0.3, 0.4, 0.5, 0.7),
    "max_fallbacks": (2, 3, 99),
    "rephrase_overlap": (0.3, 0.4, 0.5, 0.6),
}


def objective(report: dict[str, Any]) -> float:
    """F1, minus a penalty for every calm conversation handed over beyond 5 % and every late handover."""
    over = max(0.0, report["fp"] / max(report["negatives"], 1) - 0.05)
    return report["f1"] - 4.0 * over - 0.002 * report["late"] - 0.002 * report["early"]


def grid_search(
    conversations: Sequence[Conversation], labels: Sequence[Labelled], parsed: dict[str, dict[str, Any]],
    acts: dict[str, dict[str, float]], base: Thresholds,
) -> tuple[Thresholds, dict[str, Any]]:
    """Coordinate ascent over GRID (two passes): cheap, and enough for five monotone knobs."""
    best_th, best = base, score(labels, decisions(conversations, parsed, acts, base))
    for _ in range(2):
        for name, values in GRID.items():
            for value in values:
                th = dataclasses.replace(best_th, **{name: value})
                report = score(labels, decisions(conversations, parsed, acts, th))
                if objective(report) > objective(best) + 1e-9:
                    best_th, best = th, report
    return best_th, best


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.escalation.tune", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "rasa")
    parser.add_argument("--acts", type=Path, default=ROOT / "models" / "escalation",
                        help="dialogue-act head folder; 'none' to score without it")
    parser.add_argument("--config", type=Path, default=None,
                        help="the pipeline config whose MiniLM the act head reads (config.yml)")
    parser.add_argument("--grid", action="store_true", help="search the act thresholds on these files")
    parser.add_argument("--mistakes", action="store_true")
    args = parser.parse_args(argv)
    conversations = [c for f in args.files for c in read_conversations(f)]
    labels = labels_of(conversations)
    texts = sorted({t for c in conversations for t in c.turns})
    parsed = parses(args.model, texts)
    acts = None
    if str(args.acts) != "none":
        from bot.escalation.acts import ActHead
        from bot.sentiment.features import Featurizer

        head = ActHead.load(args.acts)
        vectors = Featurizer(config_path=args.config).embed(texts)
        acts = {t: head.acts(v, t) for t, v in zip(texts, vectors)}
    base = th = Thresholds()
    report = score(labels, decisions(conversations, parsed, acts, base))
    print("defaults: " + summary(report))
    if args.grid and acts is not None:
        th, report = grid_search(conversations, labels, parsed, acts, base)
        changed = {k: v for k, v in th.as_config().items() if v != base.as_config()[k]}
        print("best:     " + summary(report))
        print("settings: " + json.dumps(changed))
    why: dict[str, str] = {}
    decisions(conversations, parsed, acts, th, why)
    if args.mistakes:
        by_id = {c.id: c for c in conversations}
        for m in report["mistakes"]:
            c = by_id[m["id"]]
            print(f"  {m['id']:<8} {m['kind']:<12} label {m['label']!s:<5} got {m['got']!s:<5} "
                  f"{why.get(m['id'], ''):<40} " + " | ".join(c.turns)[:200])
    return 0


if __name__ == "__main__":
    sys.exit(main())
