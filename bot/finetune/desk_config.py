"""The pipeline config that serves the fine-tuned encoder, derived from config.yml rather than kept beside it.

Why derived: a second hand-kept config would drift from config.yml (thresholds, components). The fine-tuned
encoder differs in exactly these places: the featurizer's weights and its reading of upset writing
(bot/reading.py, what the fine-tune was trained on), character n-grams in the intent head, and the folders
of the heads trained on its features.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
ENCODER = "models/encoders/minilm-desk"
HEADS = "models/desk"  # sentiment/ and escalation/ trained on the fine-tuned features


def desk_config(config: dict[str, Any], encoder: str = ENCODER, heads: str = HEADS) -> dict[str, Any]:
    """`config` (config.yml as a dict) changed to serve `encoder` with heads under `heads`."""
    out = copy.deepcopy(config)
    found = set()
    for step in out.get("pipeline") or []:
        name = str(step.get("name", ""))
        if name.endswith("LanguageModelFeaturizer"):
            step.update(model_weights=encoder, read_upset_writing=True)
            found.add("featurizer")
        elif name.endswith("LinearIntentClassifier"):
            step["char_tfidf"] = True
            found.add("intents")
        elif name.endswith("SentimentClassifier"):
            step["model_dir"] = f"{heads}/sentiment"
            found.add("sentiment")
        elif name.endswith("DialogueActClassifier"):
            step["model_dir"] = f"{heads}/escalation"
            found.add("acts")
    missing = {"featurizer", "intents", "sentiment", "acts"} - found
    if missing:
        raise ValueError(f"config has no step for: {', '.join(sorted(missing))}")
    return out


def write_desk_config(source: Path, out: Path) -> Path:
    config = yaml.safe_load(source.read_text(encoding="utf-8"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(f"# {source.name} serving the fine-tuned encoder (python -m bot.finetune config)\n"
                   + yaml.safe_dump(desk_config(config), sort_keys=False), encoding="utf-8")
    return out
