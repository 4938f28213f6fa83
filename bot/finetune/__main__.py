"""`python -m bot.finetune train --out models/encoders/minilm-desk [--plan full|tiny] [--eval]`;
`python -m bot.finetune config --out models/desk/config.yml`: config.yml serving the fine-tuned encoder."""
from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from bot.finetune.train import PLANS, run, with_overrides


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.finetune", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="fine-tune MiniLM and export it")
    train.add_argument("--out", type=Path, required=True)
    train.add_argument("--plan", choices=sorted(PLANS), default="full")
    train.add_argument("--shipped-only", action="store_true", help="leave out what admins labelled")
    train.add_argument("--eval", action="store_true", help="score the fine-tune's own heads (minutes)")
    train.add_argument("--quiet", action="store_true")
    for name, kind in (("frozen", int), ("intent-epochs", float), ("emotion-per-class", int),
                       ("emotion-epochs", float), ("upset-epochs", float), ("lr", float), ("head-lr", float),
                       ("batch", int), ("seed", int)):
        train.add_argument(f"--{name}", type=kind, default=None)
    config = sub.add_parser("config", help="write config.yml changed to serve the fine-tuned encoder")
    config.add_argument("--source", type=Path, default=Path("config.yml"))
    config.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.command == "config":
        from bot.finetune.desk_config import write_desk_config

        print(write_desk_config(args.source, args.out))
        return 0
    plan = with_overrides(PLANS[args.plan], frozen=args.frozen, intent_epochs=args.intent_epochs,
                          emotion_per_class=args.emotion_per_class, emotion_epochs=args.emotion_epochs,
                          upset_epochs=args.upset_epochs, lr=args.lr, head_lr=args.head_lr, batch=args.batch,
                          seed=args.seed)
    record = run(args.out, plan, args.shipped_only, not args.quiet, args.eval)
    print(json.dumps({k: v for k, v in record.items() if k != "plan"}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
