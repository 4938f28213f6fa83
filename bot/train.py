"""Train the Rasa assistant: ``python -m bot.train --config config.yml --out models/rasa``.

A thin wrapper over ``rasa.model_training.train`` that (1) passes only the training folders, never the
held-out ``data/eval``, (2) can cap examples per intent for the reduced test model, (3) can leave out
what the admin page wrote into the project (``--shipped-only``: the reduced test model is the same in a
clean clone and on a used desk), and (4) records the wall-clock training time next to the model for
``make eval`` and ``make bench``.
"""
from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import yaml

from bot.data_prep import read_banking77, to_rasa_yaml

NLU_DIR = Path("data/nlu")
CORE_DIR = Path("data/core")
DOMAIN = "domain"
# What the admin page writes into the project (handoff/admin/training_data.py ADMIN_FILES, checked equal by
# tests/bot/test_train.py); never shipped, kept across upgrades (docs/admin.md).
ADMIN_FILES = (NLU_DIR / "inbox_labelled.yml", Path(DOMAIN) / "admin_intents.yml", CORE_DIR / "admin_rules.yml",
               Path("data/audit"), Path("data/assist/accepted_answers.yml"))


def shipped_domain() -> str | list[str]:
    """The domain folder, or its files without the admin's where the admin has written some."""
    if not any(path.exists() for path in ADMIN_FILES):
        return DOMAIN
    return [str(p) for p in sorted(Path(DOMAIN).glob("*.yml")) if p not in ADMIN_FILES]


def training_files(out: Path, max_per_intent: int | None, shipped_only: bool = False,
                   hold_out: frozenset[str] = frozenset()) -> list[str]:
    """All NLU and core files (without the admin's if `shipped_only`); with a cap, Banking77 is replaced by
    a seeded per-intent sample; `hold_out` texts are left out of the admin's labels (the comparison scores
    a new intent on them, handoff/admin/holdout.py)."""
    files = [str(p) for p in sorted(NLU_DIR.glob("*.yml")) if not (shipped_only and p in ADMIN_FILES)]
    files += [str(p) for p in sorted(CORE_DIR.glob("*.yml")) if not (shipped_only and p in ADMIN_FILES)]
    labelled = NLU_DIR / "inbox_labelled.yml"
    if hold_out and str(labelled) in files:
        files.remove(str(labelled))
        content = yaml.safe_load(labelled.read_text(encoding="utf-8")) or {}
        kept: dict[str, list[str]] = {}
        for block in content.get("nlu") or []:
            for line in str(block.get("examples") or "").splitlines() if "intent" in block else []:
                text = line.strip()[2:].strip() if line.strip().startswith("- ") else ""
                if text and text not in hold_out:
                    kept.setdefault(str(block["intent"]), []).append(text)
        trained = out / "data" / "inbox_labelled_trained.yml"
        trained.parent.mkdir(parents=True, exist_ok=True)
        trained.write_text(to_rasa_yaml(kept, f"{labelled} less {len(hold_out)} kept-back examples"),
                           encoding="utf-8")
        files.append(str(trained))
    if max_per_intent:
        files.remove(str(NLU_DIR / "banking77.yml"))
        rng = random.Random(77)
        sample = {}
        for intent, texts in read_banking77().items():
            sample[intent] = sorted(rng.sample(texts, min(max_per_intent, len(texts))))
        subset = out / "data" / "banking77_subset.yml"
        subset.parent.mkdir(parents=True, exist_ok=True)
        subset.write_text(to_rasa_yaml(sample, f"a {max_per_intent}-per-intent sample"), encoding="utf-8")
        files.append(str(subset))
    return files


def train(config: str, out: Path, max_per_intent: int | None = None, shipped_only: bool = False,
          hold_out: frozenset[str] = frozenset()) -> Path:
    from rasa.model_training import train as rasa_train

    out.mkdir(parents=True, exist_ok=True)
    files = training_files(out, max_per_intent, shipped_only, hold_out)
    started = time.monotonic()
    result = rasa_train(
        domain=shipped_domain() if shipped_only else DOMAIN, config=config, training_files=files, output=str(out),
        fixed_model_name="tandem", force_training=True,
    )
    seconds = time.monotonic() - started
    if result.code != 0 or not result.model:
        raise SystemExit(f"rasa training failed with code {result.code}")
    info = {"config": config, "seconds": round(seconds, 1), "model": result.model,
            "max_per_intent": max_per_intent, "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    (out / "train_info.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    print(f"trained {result.model} in {seconds:.0f} s")
    return Path(result.model)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default="config.yml")
    parser.add_argument("--out", type=Path, default=Path("models/rasa"))
    parser.add_argument("--max-per-intent", type=int, default=None)
    parser.add_argument("--hold-out", type=Path, default=None,
                        help="JSON list of the admin's labelled texts to leave out of training (kept back to score)")
    parser.add_argument("--shipped-only", action="store_true",
                        help="leave out what the admin page wrote (the reduced test model)")
    args = parser.parse_args()
    from bot.logging_config import configure

    configure()  # Rasa's default is DEBUG: ~730 lines of rule-policy states per training
    hold_out = frozenset(json.loads(args.hold_out.read_text(encoding="utf-8"))) if args.hold_out else frozenset()
    train(args.config, args.out, args.max_per_intent, args.shipped_only, hold_out)


if __name__ == "__main__":
    main()
