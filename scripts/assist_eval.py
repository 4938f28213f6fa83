"""`make assist-eval`: how often the reply an agent actually sent is close to one of assist's drafts, replayed
offline over escalated conversations written blind for this purpose (data/assist/corpus/, README there).

Split by writer: for each writer, the index of good past replies is built from the other writers'
conversations and replayed on that writer's; the pooled line is every writer's replay together. Drafts are
made by the live code (handoff/assist/drafts.py) with the real intent model (the trained Rasa model's parse)
and the real encoder; "close" is MiniLM cosine >= 0.8 or the same top intent (handoff/assist/replay.py).

    python -m scripts.assist_eval [--model models/rasa] [--corpus data/assist/corpus] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from handoff.assist.answers import domain_answers
from handoff.assist.encoder import TextEncoder
from handoff.assist.replay import Case, Outcome, by_writer, figures, replay

ROOT = Path(__file__).resolve().parents[1]
BATCH = 32


def load_corpus(folder: Path) -> list[Case]:
    cases = []
    for f in sorted(folder.glob("*.jsonl")):
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    cases.append(Case.from_json(json.loads(line)))
                except (ValueError, TypeError) as exc:
                    print(f"skipped {f.name}:{n}: {exc}", file=sys.stderr)
    return cases


def load_agent(model: Path) -> Any:
    from rasa.core.agent import Agent

    from bot import rasa_speedups
    from bot.evaluate import latest_model

    rasa_speedups.apply()
    return Agent.load(str(latest_model(model)))


async def parse_all(agent: Any, texts: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Each text's intent ranking (the classifier's, without nlu_fallback), from the trained Rasa model."""
    out = {}
    for text in texts:
        parsed = await agent.parse_message(text)
        out[text] = [{"name": r["name"], "confidence": float(r["confidence"])}
                     for r in parsed.get("intent_ranking") or [] if r["name"] != "nlu_fallback"]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, default=ROOT / "models" / "rasa")
    ap.add_argument("--corpus", type=Path, default=ROOT / "data" / "assist" / "corpus")
    ap.add_argument("--json", type=Path, help="also write every figure here")
    args = ap.parse_args(argv)
    from bot.logging_config import configure

    configure()  # Rasa's structlog would print every parsed text
    started = time.monotonic()
    cases = load_corpus(args.corpus)
    writers = by_writer(cases)
    if len(writers) < 2:
        raise SystemExit("the replay splits by writer: it needs conversations from at least two writers")
    answers = domain_answers(ROOT)

    texts = sorted({t for c in cases for t in (c.customer, c.agent_reply)}
                   | {t for v in answers.values() for t in v[:1]})
    encoder = TextEncoder.configured()
    vectors: dict[str, np.ndarray] = {}
    for i in range(0, len(texts), BATCH):  # one encoder pass per text
        part = texts[i:i + BATCH]
        vectors.update(zip(part, encoder.encode(part)))
    agent = load_agent(args.model)  # once: drafts made of redacted text are parsed on the way
    parses = asyncio.run(parse_all(agent, texts))

    def vector(text: str) -> np.ndarray:
        if text not in vectors:  # a redacted draft differs from its source text
            vectors[text] = encoder.encode([text])[0]
        return vectors[text]

    def ranking(text: str) -> list[dict[str, Any]]:
        if text not in parses:
            parses.update(asyncio.run(parse_all(agent, [text])))
        return parses[text]

    def top_intent(text: str) -> str:
        r = ranking(text)
        return r[0]["name"] if r else ""

    report: dict[str, Any] = {"corpus": str(args.corpus), "model": str(args.model), "writers": {}}
    pooled: dict[str, list[Outcome]] = {"assist": [], "bot answers only": [], "past replies only": []}
    print(f"{'split (index from -> replayed on)':<34} {'variant':<18} {'cases':>5} {'close':>7} {'cos>=.8':>8} "
          f"{'intent':>7} {'drafts':>6}")
    for writer, test in sorted(writers.items()):
        index = [c for c in cases if c.writer != writer]
        others = "+".join(sorted(w for w in writers if w != writer))
        report["writers"][writer] = {}
        for variant, bot, past in (("assist", True, True), ("bot answers only", True, False),
                                   ("past replies only", False, True)):
            outcomes = replay(index, test, vector, top_intent, ranking, answers, use_bot=bot, use_past=past)
            pooled[variant] += outcomes
            f = figures(outcomes)
            report["writers"][writer][variant] = f
            print(f"{others + ' -> ' + writer:<34} {variant:<18} {f['cases']:>5} {f['hit_rate']:>7.1%} "
                  f"{f['cosine_rate']:>8.1%} {f['intent_rate']:>7.1%} {f['mean_drafts']:>6}")
    report["pooled"] = {v: figures(o) for v, o in pooled.items()}
    for variant, f in report["pooled"].items():
        print(f"{'pooled (every writer replayed)':<34} {variant:<18} {f['cases']:>5} {f['hit_rate']:>7.1%} "
              f"{f['cosine_rate']:>8.1%} {f['intent_rate']:>7.1%} {f['mean_drafts']:>6}")
    print(f"({len(cases)} conversations from {len(writers)} writers; {time.monotonic() - started:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
