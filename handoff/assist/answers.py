"""The bot's answer for each intent, read from the domain folder (domain/*.yml, the admin's files included),
plus the agents' answers the admins accepted (data/assist/accepted_answers.yml, written by
handoff/admin/proposal_routes.py). Reads files: kept apart from the pure draft code (drafts.py).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from handoff.admin.training_data import ACCEPTED_ANSWERS_FILE as ACCEPTED_FILE  # admin-written (ADMIN_FILES)


def domain_answers(root: Path) -> dict[str, list[str]]:
    """intent -> the text variations of its utter_<intent> response. Variations that fill slots ("{amount}")
    are left out: a draft must be finished text."""
    out: dict[str, list[str]] = {}
    for f in sorted((root / "domain").glob("*.yml")):
        content = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        for name, variations in (content.get("responses") or {}).items():
            if not str(name).startswith("utter_") or not isinstance(variations, list):
                continue
            texts = [str(v["text"]) for v in variations
                     if isinstance(v, dict) and v.get("text") and "{" not in str(v["text"])]
            if texts:
                out[str(name)[len("utter_"):]] = texts
    return out


def accepted_answers(root: Path) -> dict[str, list[str]]:
    """intent -> agents' answers the admins accepted, newest first."""
    f = root / ACCEPTED_FILE
    if not f.exists():
        return {}
    content = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
    return {str(k): [str(t) for t in v] for k, v in (content.get("answers") or {}).items() if isinstance(v, list)}


def answers(root: Path) -> dict[str, list[str]]:
    """What a BOT_ANSWER draft offers per intent: an accepted agent answer first, then the domain's."""
    merged = domain_answers(root)
    for intent, texts in accepted_answers(root).items():
        merged[intent] = texts + merged.get(intent, [])
    return merged


ACCEPTED_HEADER = ("# Agents' replies the admins accepted as answers (/admin, Proposals), newest first per intent;\n"
                   "# written by handoff/assist/answers.py. Agent assist offers them as drafts for the intent.\n")
MAX_PER_INTENT = 5


def add_accepted_answer(root: Path, intent: str, text: str) -> None:
    """Put `text` first among the intent's accepted answers (a repeat moves up; the oldest past 5 go).
    Call it under TrainingData.locked(): the file is reviewed beside the training data."""
    from handoff.admin.training_data import _atomic_write

    current = accepted_answers(root)
    text = " ".join(text.split())
    current[intent] = [text] + [t for t in current.get(intent, []) if t != text][: MAX_PER_INTENT - 1]
    body = yaml.safe_dump({"answers": {k: current[k] for k in sorted(current)}}, sort_keys=False,
                          allow_unicode=True, width=1000)
    _atomic_write(root / ACCEPTED_FILE, ACCEPTED_HEADER + body)
