"""Labels from the admin page, written where Rasa trains from and where reviewers read diffs.

- data/nlu/inbox_labelled.yml   every labelled customer message, sorted by intent then text, one per line
- domain/admin_intents.yml      intents created on the admin page, with their utter_<intent> answer
- data/core/admin_rules.yml     the rule that answers each of those intents
- data/audit/labels.jsonl       who did what and when (append-only); data/audit/models.jsonl for models

The files, not Redis, are the truth for training data: `bot.train` reads them, and a reviewer sees a
one-line diff per label. The audit log lives beside them for the same reason — it travels through the
same review — and it records a hash of the text, never the text itself, so deleting an example really
forgets it. Writes are atomic (temp file + rename) under an exclusive file lock, so two admins labelling
at once never lose each other's lines.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from handoff.core import errors

NLU_FILE = Path("data/nlu/inbox_labelled.yml")
DOMAIN_FILE = Path("domain/admin_intents.yml")
RULES_FILE = Path("data/core/admin_rules.yml")
AUDIT_DIR = Path("data/audit")
ACCEPTED_ANSWERS_FILE = Path("data/assist/accepted_answers.yml")  # agents' answers accepted (handoff/assist/answers.py)
ADMIN_FILES = (NLU_FILE, DOMAIN_FILE, RULES_FILE, AUDIT_DIR, ACCEPTED_ANSWERS_FILE)  # all the admin page writes; never shipped
VALIDATION = Path("data/eval/banking77_validation.yml")
INTENT_RE = re.compile(r"^[a-z][a-z0-9_]{2,47}$")
# Rasa's own, and the host site's proactive events (domain/knowledge.yml: payloads, never typed by a
# customer, so never a label for what one typed): never a training label.
NOT_LABELS = frozenset({"nlu_fallback", "event_card_declined", "event_top_up_failed", "event_card_delivery_late"})
MAX_ANSWER = 1000

NLU_HEADER = (
    "# Real customer messages labelled on the admin page (/admin), written by handoff/admin/training_data.py.\n"
    "# Sorted by intent, then text; one example per line. Who labelled what: data/audit/labels.jsonl.\n"
)
DOMAIN_HEADER = "# Intents created on the admin page (/admin) with their answers; handoff/admin/training_data.py.\n"
RULES_HEADER = "# Answers for the intents created on the admin page (/admin); handoff/admin/training_data.py.\n"


def clean_text(text: str) -> str:
    """One line, no Rasa entity markup: `[x](y)` in a customer's message must stay plain text."""
    return " ".join(str(text).replace("[", "(").replace("]", ")").split())


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def read_examples(path: Path) -> dict[str, str]:
    """Text -> intent of a Rasa NLU YAML file written like ours (literal blocks, one example per line)."""
    if not path.exists():
        return {}
    content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: dict[str, str] = {}
    for block in content.get("nlu") or []:
        if "intent" not in block:
            continue
        for line in str(block.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                out[line[2:].strip()] = str(block["intent"])
    return out


def text_sha(text: str) -> str:
    return hashlib.sha256(_key(text).encode()).hexdigest()[:16]


class TrainingData:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._held_out: tuple[float, frozenset[str]] | None = None

    def path(self, rel: Path) -> Path:
        return self.root / rel

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive across threads and processes of this host (flock on a lock file)."""
        lock = self.root / "var" / "training-data.lock"  # var/ is git-ignored
        lock.parent.mkdir(parents=True, exist_ok=True)
        with open(lock, "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    # ------------------------------------------------------------ reading

    def intents(self) -> list[str]:
        """Every intent the domain declares (all files in domain/ are merged by Rasa)."""
        found: set[str] = set()
        for f in sorted(self.path(Path("domain")).glob("*.yml")):
            content = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
            for entry in content.get("intents") or []:
                name = next(iter(entry)) if isinstance(entry, dict) else entry
                found.add(str(name))
        return sorted(found - NOT_LABELS)

    def admin_intents(self) -> dict[str, str]:
        """Intent -> answer text of the intents created here."""
        f = self.path(DOMAIN_FILE)
        if not f.exists():
            return {}
        content = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        responses = content.get("responses") or {}
        return {i: (responses.get(f"utter_{i}") or [{}])[0].get("text", "") for i in content.get("intents") or []}

    def labelled(self) -> dict[str, str]:
        """Text -> intent of every example in data/nlu/inbox_labelled.yml."""
        return read_examples(self.path(NLU_FILE))

    def held_out(self) -> frozenset[str]:
        """The held-out texts (normalised); labelling one of them would leak the test set into training."""
        f = self.path(VALIDATION)
        if not f.exists():
            return frozenset()
        mtime = f.stat().st_mtime
        if self._held_out is None or self._held_out[0] != mtime:
            self._held_out = (mtime, frozenset(_key(t) for t in read_examples(f)))
        return self._held_out[1]

    # ------------------------------------------------------------ writing

    def check_label(self, intent: str, answer: str | None) -> bool:
        """Validate a label; returns True when it creates a new intent (which then needs its answer)."""
        if not INTENT_RE.match(intent or ""):
            raise errors.InvalidFrame("intent: 3-48 characters, lowercase letters, digits and '_', "
                                      "starting with a letter")
        if intent in self.intents():
            return False
        if intent in NOT_LABELS:
            raise errors.InvalidFrame("that intent is reserved")
        answer = (answer or "").strip()
        if not answer:
            raise errors.InvalidFrame("a new intent needs the answer the bot should give")
        if len(answer) > MAX_ANSWER:
            raise errors.InvalidFrame(f"the answer is longer than {MAX_ANSWER} characters")
        return True

    def label(self, texts: Iterable[str], intent: str, by: str, answer: str | None = None,
              item_ids: Iterable[str] = ()) -> bool:
        """Write examples (and a new intent with its answer); returns True when the intent is new."""
        texts = [clean_text(t) for t in texts]
        held = self.held_out()
        if any(_key(t) in held for t in texts):
            raise errors.Conflict("this message is in the held-out evaluation set; labelling it would "
                                  "make the comparison meaningless — ignore it instead")
        with self.locked():
            new = self.check_label(intent, answer)
            if new:
                self._write_new_intent(intent, " ".join(str(answer).split()))
            examples = self.labelled()
            for t in texts:
                examples[t] = intent
            self._write_nlu(examples)
            ids = list(item_ids) or [""] * len(texts)
            for t, iid in zip(texts, ids):
                self.audit("labels", {"action": "label", "by": by, "intent": intent, "new_intent": new,
                                      "item": iid, "text_sha": text_sha(t)})
        return new

    def unlabel(self, texts: Iterable[str], by: str, action: str, item_ids: Iterable[str] = ()) -> int:
        """Remove examples (reopen or delete of a labelled message); returns how many were there."""
        texts = [clean_text(t) for t in texts]
        with self.locked():
            examples = self.labelled()
            removed = [t for t in texts if examples.pop(t, None) is not None]
            if removed:
                self._write_nlu(examples)
            ids = list(item_ids) or [""] * len(texts)
            for t, iid in zip(texts, ids):
                self.audit("labels", {"action": action, "by": by, "item": iid, "text_sha": text_sha(t),
                                      "had_label": t in removed})
        return len(removed)

    def audit(self, name: str, record: dict[str, Any]) -> None:
        """Append one JSON line to data/audit/<name>.jsonl (O_APPEND: lines never interleave)."""
        path = self.path(AUDIT_DIR) / f"{name}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **record},
                          ensure_ascii=False, sort_keys=True) + "\n"
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)

    def read_audit(self, name: str, limit: int = 100) -> list[dict[str, Any]]:
        path = self.path(AUDIT_DIR) / f"{name}.jsonl"
        if not path.exists():
            return []
        lines = path.read_text(encoding="utf-8").splitlines()[-limit:]
        return [json.loads(line) for line in reversed(lines) if line.strip()]

    def _write_nlu(self, examples: dict[str, str]) -> None:
        by_intent: dict[str, list[str]] = {}
        for text, intent in examples.items():
            by_intent.setdefault(intent, []).append(text)
        if not by_intent:
            self.path(NLU_FILE).unlink(missing_ok=True)
            return
        lines = [NLU_HEADER, 'version: "3.1"', "nlu:"]
        for intent in sorted(by_intent):
            lines += [f"- intent: {intent}", "  examples: |"]
            lines += [f"    - {t}" for t in sorted(by_intent[intent], key=lambda t: (t.casefold(), t))]
        _atomic_write(self.path(NLU_FILE), "\n".join(lines) + "\n")

    def _write_new_intent(self, intent: str, answer: str) -> None:
        answers = {**self.admin_intents(), intent: answer}
        domain = {"version": "3.1", "intents": sorted(answers),
                  "responses": {f"utter_{i}": [{"text": answers[i]}] for i in sorted(answers)}}
        _atomic_write(self.path(DOMAIN_FILE), DOMAIN_HEADER + _dump(domain))
        rules = {"version": "3.1", "rules": [
            {"rule": f"answer {i} (admin)", "steps": [{"intent": i}, {"action": f"utter_{i}"}]}
            for i in sorted(answers)]}
        _atomic_write(self.path(RULES_FILE), RULES_HEADER + _dump(rules))


def _dump(content: dict[str, Any]) -> str:
    return yaml.safe_dump(content, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1000)


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
