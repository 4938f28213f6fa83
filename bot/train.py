"""Train the Rasa assistant: ``python -m bot.train --config config.yml --out models/rasa``.

A thin wrapper over ``rasa.model_training.train`` that (1) passes only the training folders, never the
held-out ``data/eval``, (2) can cap examples per intent for the reduced test model, and (3) records the
wall-clock training time next to the model for ``make eval`` and ``make bench``.
"""
from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

from bot.data_prep import read_banking77, to_rasa_yaml

NLU_DIR = Path("data/nlu")
CORE_DIR = Path("data/core")
DOMAIN = "domain"


def training_files(out: Path, max_per_intent: int | None) -> list[str]:
    """All NLU and core files; with a cap, Banking77 is replaced by a seeded per-intent sample."""
    files = [str(p) for p in sorted(NLU_DIR.glob("*.yml"))]
    files += [str(p) for p in sorted(CORE_DIR.glob("*.yml"))]
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


def train(config: str, out: Path, max_per_intent: int | None = None) -> Path:
    from rasa.model_training import train as rasa_train

    out.mkdir(parents=True, exist_ok=True)
    files = training_files(out, max_per_intent)
    started = time.monotonic()
    result = rasa_train(
        domain=DOMAIN, config=config, training_files=files, output=str(out),
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
    args = parser.parse_args()
    train(args.config, args.out, args.max_per_intent)


if __name__ == "__main__":
    main()
