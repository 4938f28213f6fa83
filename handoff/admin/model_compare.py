"""Compare a candidate model with the running one on the same held-out split, for the admin page.

    python -m handoff.admin.model_compare --candidate DIR --running FILE [--running-version V]
        --validation data/eval/banking77_validation.yml --labelled data/nlu/inbox_labelled.yml --out FILE

Runs in a subprocess of the retraining job (it loads two Rasa models and parses ~1100 messages with
each: seconds of CPU the gateway's event loop must not spend). The figures come from bot.evaluate, so
`make eval` and this report can never disagree. A model's predictions on the split are cached next to
it (predictions.json, keyed by the split's hash), so the running model — usually the last candidate —
is not parsed again.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import os
import random
import sys
from pathlib import Path
from typing import Any

from bot.logging_config import configure as configure_logging

MIN_CHANGE = 0.01  # a per-intent F1 change smaller than this is noise on ~14 examples per intent
CACHE = "predictions.json"


def diff_intents(running: dict[str, float], candidate: dict[str, float]) -> tuple[list[dict], list[dict]]:
    """(better, worse): intents whose held-out F1 moved by at least MIN_CHANGE, biggest move first."""
    better, worse = [], []
    for intent in sorted(set(running) | set(candidate)):
        before, after = running.get(intent, 0.0), candidate.get(intent, 0.0)
        row = {"intent": intent, "running": round(before, 4), "candidate": round(after, 4),
               "delta": round(after - before, 4)}
        if after - before >= MIN_CHANGE:
            better.append(row)
        elif before - after >= MIN_CHANGE:
            worse.append(row)
    better.sort(key=lambda r: (-r["delta"], r["intent"]))
    worse.sort(key=lambda r: (r["delta"], r["intent"]))
    return better, worse


def inbox_outcome(labelled: list[tuple[str, str]], running: list[str], candidate: list[str]) -> dict[str, Any]:
    """Which labelled inbox messages the candidate now gets right (and which it still gets wrong)."""
    now_right, still_wrong, kept = [], [], 0
    for (text, label), before, after in zip(labelled, running, candidate):
        row = {"text": text, "label": label, "running": before, "candidate": after}
        if after == label and before != label:
            now_right.append(row)
        elif after != label:
            still_wrong.append(row)
        else:
            kept += 1
    return {"total": len(labelled), "now_right": now_right, "still_wrong": still_wrong, "already_right": kept}


def summary(figures: dict[str, Any], version: str) -> dict[str, Any]:
    keep = ("examples", "accuracy", "macro_f1", "banking77_accuracy", "banking77_macro_f1", "fallback_rate")
    return {"version": version, **{k: round(figures[k], 4) if isinstance(figures[k], float) else figures[k]
                                   for k in keep}}


def build_report(gold: list[str], running_pred: list[str], candidate_pred: list[str],
                 labelled: list[tuple[str, str]], running_inbox: list[str], candidate_inbox: list[str],
                 running_version: str, candidate_version: str) -> dict[str, Any]:
    from bot.evaluate import score

    run, cand = score(gold, running_pred), score(gold, candidate_pred)
    better, worse = diff_intents(run["per_intent_f1"], cand["per_intent_f1"])
    delta = {k: round(cand[k] - run[k], 4) for k in ("accuracy", "macro_f1")}
    verdict = "better" if delta["macro_f1"] > 0.002 else "worse" if delta["macro_f1"] < -0.002 else "same"
    return {"running": summary(run, running_version), "candidate": summary(cand, candidate_version),
            "delta": delta, "verdict": verdict, "better": better, "worse": worse,
            "inbox": inbox_outcome(labelled, running_inbox, candidate_inbox)}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def sample(examples: list[tuple[str, str]], per_intent: int | None) -> list[tuple[str, str]]:
    """A seeded, stratified sample of the split (the same one for both models); None: all of it."""
    if not per_intent:
        return examples
    by_intent: dict[str, list[tuple[str, str]]] = {}
    for text, intent in sorted(examples, key=lambda e: (e[1], e[0])):
        by_intent.setdefault(intent, []).append((text, intent))
    rng = random.Random(77)
    out = []
    for intent in sorted(by_intent):
        group = by_intent[intent]
        rng.shuffle(group)
        out += group[:per_intent]
    return out


async def _predict(model: Path, texts: list[str]) -> list[str]:
    from bot.evaluate import predict

    return (await predict(model, texts))[0]  # the final intent, as a customer would get it


def predictions(model: Path, val_texts: list[str], val_key: str, extra: list[str]) -> tuple[list[str], list[str]]:
    """(validation predictions, extra predictions); the validation part from the cache when it matches."""
    cache = model.parent / CACHE
    cached: dict[str, Any] = {}
    if cache.exists():
        try:
            cached = json.loads(cache.read_text(encoding="utf-8"))
        except ValueError:
            cached = {}
    stamp = {"validation": val_key, "model_sha": _sha(model)}
    if all(cached.get(k) == v for k, v in stamp.items()) and len(cached.get("predictions", [])) == len(val_texts):
        print(f"held-out predictions of {model.parent.name} from cache", flush=True)
        return cached["predictions"], asyncio.run(_predict(model, extra)) if extra else []
    print(f"parsing {len(val_texts) + len(extra)} messages with {model.parent.name}", flush=True)
    pred = asyncio.run(_predict(model, val_texts + extra))
    try:
        tmp = cache.with_name(f".{CACHE}.{os.getpid()}")
        tmp.write_text(json.dumps({**stamp, "predictions": pred[:len(val_texts)]}), encoding="utf-8")
        os.replace(tmp, cache)
    except OSError:
        pass  # a read-only model folder only costs a re-parse next time
    return pred[:len(val_texts)], pred[len(val_texts):]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidate", type=Path, required=True, help="the candidate's version folder")
    parser.add_argument("--running", type=Path, required=True, help="the running model's .tar.gz")
    parser.add_argument("--running-version", default="base")
    parser.add_argument("--validation", type=Path, required=True)
    parser.add_argument("--labelled", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--held-out", type=Path, default=None,
                        help="holdout.json of the retrain: a new intent's examples kept back from training")
    parser.add_argument("--max-per-intent", type=int, default=0,
                        help="a seeded stratified sample of the split (0: all of it); for quick test runs")
    args = parser.parse_args(argv)
    configure_logging(logging.WARNING)  # else Rasa's structlog prints every parsed message, text included

    from bot.evaluate import latest_model, load_examples
    from handoff.admin.training_data import read_examples

    examples = sample(load_examples(args.validation), args.max_per_intent)
    texts, gold = [t for t, _ in examples], [i for _, i in examples]
    labelled = sorted(read_examples(args.labelled).items())
    inbox_texts = [t for t, _ in labelled]
    val_sha = _sha(args.validation)
    val_key = f"{val_sha}/{args.max_per_intent or 'all'}"
    candidate = latest_model(args.candidate)
    run_val, run_inbox = predictions(args.running, texts, val_key, inbox_texts)
    cand_val, cand_inbox = predictions(candidate, texts, val_key, inbox_texts)
    report = build_report(gold, run_val, cand_val, labelled, run_inbox, cand_inbox,
                          args.running_version, args.candidate.name)
    report["validation"] = {"path": str(args.validation), "sha": val_sha, "examples": len(examples),
                            "max_per_intent": args.max_per_intent or None}
    if args.held_out and args.held_out.exists():
        from handoff.admin.holdout import new_intent_report

        kept = json.loads(args.held_out.read_text(encoding="utf-8"))
        held, known = kept["held"], set(kept["known_intents"])
        texts_held = sorted(held)
        running_held = asyncio.run(_predict(args.running, texts_held)) if texts_held else []
        candidate_held = asyncio.run(_predict(candidate, texts_held)) if texts_held else []
        report["new_intents"] = new_intent_report(held, dict(labelled), known, running_held, candidate_held)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    r, c = report["running"], report["candidate"]
    print(f"accuracy {r['accuracy']:.4f} -> {c['accuracy']:.4f}; macro-F1 {r['macro_f1']:.4f} -> "
          f"{c['macro_f1']:.4f}; {len(report['better'])} intents better, {len(report['worse'])} worse; "
          f"{len(report['inbox']['now_right'])} inbox messages now right", flush=True)
    for row in report.get("new_intents", []):
        print(f"new intent {row['intent']}: {row['candidate_right']} of {row['held_out']} kept-back phrasings right "
              f"(trained on {row['trained_on']})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
