"""`python -m bot.escalation train` — fit the dialogue-act head the escalation policy reads.

    python -m bot.escalation train [--out models/escalation] [--data data/escalation/train.jsonl ...]

Trains on the training conversations only (written by their own writers, data/escalation/README.md);
the tuning part chooses the policy's thresholds (`python -m bot.escalation.tune --grid`) and the blind
test part (tests/data/escalation/blind/) is never used here.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = (ROOT / "data" / "escalation" / "train.jsonl",)
DEFAULT_MESSAGES = (ROOT / "data" / "escalation" / "requests.jsonl",)


def cmd_train(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from bot.escalation.acts import message_examples, read_conversations, read_messages, train
    from bot.sentiment.__main__ import _quiet
    from bot.sentiment.features import Featurizer, embed_corpus

    _quiet()
    started = time.monotonic()
    examples = message_examples(read_conversations(args.data)) + read_messages(args.messages)
    texts = [t for t, _ in examples]
    with tqdm(total=len(texts), desc="encoding support messages", unit="text") as bar:
        vectors = embed_corpus(Featurizer(config_path=args.config), texts, progress=bar,
                               cache_dir=ROOT / "models" / "cache")
    head = train(examples, vectors)
    head.meta["seconds"] = round(time.monotonic() - started, 1)
    path = head.save(args.out)
    counts = ", ".join(f"{k} {v}" for k, v in head.meta["examples"].items())
    print(f"saved {path} in {head.meta['seconds']:.0f}s ({counts})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.escalation", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("train", help="fit the dialogue-act head")
    p.add_argument("--out", type=Path, default=ROOT / "models" / "escalation")
    p.add_argument("--data", type=Path, nargs="+", default=list(DEFAULT_DATA))
    p.add_argument("--messages", type=Path, nargs="*", default=list(DEFAULT_MESSAGES),
                   help="single labelled messages (JSON lines {text, act})")
    p.add_argument("--config", type=Path, default=None, help="the pipeline config whose MiniLM to use")
    p.set_defaults(run=cmd_train)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
