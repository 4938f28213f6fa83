"""`python -m bot.sentiment train | eval | predict` — see docs/sentiment.md.

Every subcommand featurises text with the pipeline's own SpacyNLP → SpacyTokenizer →
LanguageModelFeaturizer (configured as in config.yml), so numbers here are what the
assistant sees.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL = ROOT / "models" / "sentiment"
DEFAULT_CACHE = ROOT / "models" / "cache"


def _quiet() -> None:
    """Keeps TensorFlow's and transformers' start-up chatter off the terminal."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import warnings

    warnings.filterwarnings("ignore")
    for name in ("tensorflow", "transformers", "rasa", "absl", "h5py"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _featurizer(args: argparse.Namespace) -> Any:
    from bot.sentiment.features import Featurizer

    return Featurizer(config_path=args.config)


def cmd_train(args: argparse.Namespace) -> int:
    from bot.sentiment.train import DESK, FULL, REDUCED, train

    out = args.out or (ROOT / "models" / "reduced" / "sentiment" if args.reduced else DEFAULT_MODEL)
    started = time.monotonic()
    head = train(
        out,
        REDUCED if args.reduced else DESK if args.desk else FULL,
        featurizer=_featurizer(args),
        cache_dir=None if args.no_cache else args.cache,
    )
    sizes = ", ".join(f"{key} {value}" for key, value in head.meta["sizes"].items())
    print(f"saved {out}/head.npz in {time.monotonic() - started:.0f}s ({sizes})")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from bot.sentiment.model import Head
    from bot.sentiment.train import evaluate

    head = Head.load(args.model)
    report = evaluate(
        head, _featurizer(args), split=args.split, cache_dir=None if args.no_cache else args.cache
    )
    print(
        f"GoEmotions {report['split']}: {report['protocol']} ({report['items']} of {report['items_in_split']})"
    )
    print(f"macro-F1 {report['macro_f1']:.3f}   accuracy {report['accuracy']:.3f}")
    for label, score in report["per_class_f1"].items():
        print(f"  {label:<9} {score:.3f}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


def predict_lines(lines: TextIO, out: TextIO, head: Any, featurizer: Any) -> int:
    """One JSON line out per line in, in order; a bad line gets {"error": ...} in its place."""
    from bot.sentiment.features import lm_sentence_features, lm_sequence_features, mean_pool
    from bot.sentiment.model import sentiment

    count = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            text = item["text"]
            if not isinstance(text, str):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            out.write(
                json.dumps({"error": f"line {number}: expected a JSON object with a string text"}) + "\n"
            )
            continue
        message = featurizer.messages([text])[0]
        result = sentiment(head, mean_pool(lm_sequence_features(message)), text, lm_sentence_features(message))
        out.write(json.dumps({"text": text, **result}, ensure_ascii=False) + "\n")
        out.flush()
        count += 1
    return count


def cmd_predict(args: argparse.Namespace) -> int:
    from bot.sentiment.model import Head

    head = Head.load(args.model)
    predict_lines(sys.stdin, sys.stdout, head, _featurizer(args))
    return 0


UPSET_TEST = ROOT / "tests" / "data" / "sentiment" / "upset_messages.jsonl"
NEGATIVE_AT = 0.5  # negativity from which a message counts as read negative (the escalation reads it higher)


def cmd_upset(args: argparse.Namespace) -> int:
    """The upset-writing test set (written blind, never trained or tuned on): share read as negative."""
    from collections import Counter

    from bot.sentiment.features import lm_sentence_features, lm_sequence_features, mean_pool
    from bot.sentiment.model import Head, sentiment

    head, featurizer = Head.load(args.model), _featurizer(args)
    items = [json.loads(line) for line in args.file.read_text(encoding="utf-8").splitlines() if line.strip()]
    messages = featurizer.messages([item["text"] for item in items])
    hits: Counter[tuple[str, str]] = Counter()
    totals: Counter[tuple[str, str]] = Counter()
    for item, message in zip(items, messages):
        score = sentiment(head, mean_pool(lm_sequence_features(message)), item["text"],
                          lm_sentence_features(message))["negativity"]
        key = (item["label"], item["style"])
        totals[key] += 1
        hits[key] += score >= NEGATIVE_AT
    for label, title in (("negative", "upset messages read as negative"),
                         ("not_negative", "calm look-alikes read as negative")):
        n = sum(v for (lab, _), v in totals.items() if lab == label)
        k = sum(v for (lab, _), v in hits.items() if lab == label)
        styles = ", ".join(f"{style} {hits[(lab, style)]}/{v}" for (lab, style), v in sorted(totals.items())
                           if lab == label)
        print(f"{title}: {k}/{n} = {k / max(1, n):.1%} (negativity >= {NEGATIVE_AT}; {styles})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.sentiment", description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=None, help="Rasa config to copy featurizers from")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="MiniLM vector cache (%(default)s)")
    parser.add_argument("--no-cache", action="store_true", help="encode everything afresh")
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train the head on GoEmotions + support examples")
    train.add_argument("--out", type=Path, default=None, help="output folder (models/sentiment)")
    train.add_argument("--reduced", action="store_true", help="small, fast model for CI (≤ 2 min)")
    train.add_argument("--desk", action="store_true",
                       help="for the fine-tuned encoder: upset writing in, mix and offsets chosen on kept-back train")
    train.set_defaults(run=cmd_train)

    evaluate = commands.add_parser("eval", help="macro-F1 on GoEmotions dev, Ekman grouping")
    evaluate.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    evaluate.add_argument("--split", default="dev")
    evaluate.add_argument("--json", default=None, help="also write the report here")
    evaluate.set_defaults(run=cmd_eval)

    predict = commands.add_parser("predict", help='JSON lines {"text"} on stdin → emotions on stdout')
    predict.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    predict.set_defaults(run=cmd_predict)

    upset = commands.add_parser("upset", help="the upset-writing test set: share read as negative")
    upset.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    upset.add_argument("--file", type=Path, default=UPSET_TEST)
    upset.set_defaults(run=cmd_upset)

    args = parser.parse_args(argv)
    _quiet()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.run(args))
    except Exception as exc:  # the CLI's one catch-all: a clear line, no customer text
        from bot.sentiment.data import DataError
        from bot.sentiment.model import ModelError

        if isinstance(exc, (DataError, ModelError)):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
