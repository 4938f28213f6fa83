"""Training data for the sentiment head: GoEmotions grouped into Ekman's six plus neutral,
and the support-desk examples that teach it that a banking *topic* is not an *emotion*.

GoEmotions (Demszky et al., ACL 2020) is copied into data/sentiment/goemotions/ so a clean
clone trains without anything outside the repository; see data/sentiment/README.md.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "data" / "sentiment"
GOEMOTIONS_DIR = DATA_DIR / "goemotions"
SUPPORT_FILE = DATA_DIR / "support_examples.jsonl"
UPSET_DIR = DATA_DIR / "upset_train"

# Order fixed once: the head's output columns, the CLI's JSON and the docs all use it.
LABELS: tuple[str, ...] = ("anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral")
NEGATIVE: tuple[str, ...] = ("anger", "disgust", "fear", "sadness")


class DataError(ValueError):
    """A data file is missing or malformed; the message names the file and line, never its text."""


@dataclass(frozen=True)
class Corpus:
    """Texts with their Ekman label sets (indexes into LABELS), one set per text."""

    texts: list[str]
    labels: list[tuple[int, ...]]

    def __len__(self) -> int:
        return len(self.texts)

    def single_label(self) -> Corpus:
        """Only the items whose GoEmotions labels fall into exactly one Ekman group."""
        keep = [i for i, labels in enumerate(self.labels) if len(labels) == 1]
        return Corpus([self.texts[i] for i in keep], [self.labels[i] for i in keep])

    def primary(self) -> np.ndarray:
        """One class per item (the first group), for stratifying and single-label scoring."""
        return np.asarray([labels[0] for labels in self.labels], dtype=np.int64)

    def subset(self, index: Sequence[int]) -> Corpus:
        return Corpus([self.texts[i] for i in index], [self.labels[i] for i in index])

    def __add__(self, other: Corpus) -> Corpus:
        return Corpus(self.texts + other.texts, self.labels + other.labels)


def ekman_groups(directory: Path = GOEMOTIONS_DIR) -> list[int]:
    """For each of GoEmotions' 28 fine labels (by id), the index of its Ekman group in LABELS."""
    names = (directory / "emotions.txt").read_text(encoding="utf-8").split()
    mapping = json.loads((directory / "ekman_mapping.json").read_text(encoding="utf-8"))
    group_of = {fine: LABELS.index(group) for group, fines in mapping.items() for fine in fines}
    group_of["neutral"] = LABELS.index("neutral")
    missing = [name for name in names if name not in group_of]
    if missing:
        raise DataError(f"ekman_mapping.json does not place {missing}")
    return [group_of[name] for name in names]


def load_goemotions(split: str, directory: Path = GOEMOTIONS_DIR) -> Corpus:
    """Reads train/dev/test.tsv (text, comma-separated ids, comment id) into Ekman label sets."""
    path = directory / f"{split}.tsv"
    if not path.exists():
        raise DataError(f"{path} is missing")
    groups = ekman_groups(directory)
    texts: list[str] = []
    labels: list[tuple[int, ...]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split("\t")
        if len(parts) != 3:
            raise DataError(f"{path}:{number}: expected 3 tab-separated columns")
        try:
            ids = [int(i) for i in parts[1].split(",")]
            mapped = tuple(sorted({groups[i] for i in ids}))
        except (ValueError, IndexError) as exc:
            raise DataError(f"{path}:{number}: bad label ids") from exc
        texts.append(parts[0])
        labels.append(mapped)
    return Corpus(texts, labels)


def load_support(path: Path = SUPPORT_FILE) -> Corpus:
    """Reads the hand-written support-desk examples: JSON lines {"text", "emotion"}."""
    if not path.exists():
        raise DataError(f"{path} is missing")
    texts: list[str] = []
    labels: list[tuple[int, ...]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            text, emotion = item["text"], item["emotion"]
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(f"{path}:{number}: expected a JSON object with text and emotion") from exc
        if not isinstance(text, str) or emotion not in LABELS:
            raise DataError(f"{path}:{number}: emotion must be one of {', '.join(LABELS)}")
        texts.append(text)
        labels.append((LABELS.index(emotion),))
    return Corpus(texts, labels)


def stratified_sample(corpus: Corpus, per_class: int, seed: int = 0) -> Corpus:
    """At most `per_class` items of each primary class, so rare classes keep their share."""
    rng = np.random.default_rng(seed)
    primary = corpus.primary()
    keep: list[int] = []
    for cls in range(len(LABELS)):
        members = np.flatnonzero(primary == cls)
        rng.shuffle(members)
        keep.extend(members[:per_class].tolist())
    return corpus.subset(sorted(keep))


def load_upset(directory: Path = UPSET_DIR) -> Corpus:
    """The blind-written upset-writing training messages: upset ones as anger, look-alikes as neutral.

    Anger because GoEmotions files annoyance and disapproval under it, which is what these complaints
    are; the look-alikes (capitals, emoji, "!!!" without an upset customer) teach that the style alone
    is not the emotion."""
    texts: list[str] = []
    labels: list[tuple[int, ...]] = []
    for path in sorted(directory.glob("train_*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                text, upset = item["text"], item["label"] == "negative"
            except (ValueError, KeyError, TypeError) as exc:
                raise DataError(f"{path}:{number}: expected a JSON object with text and label") from exc
            texts.append(text)
            labels.append((LABELS.index("anger" if upset else "neutral"),))
    return Corpus(texts, labels)


TUNE_SHARE = 0.08  # of GoEmotions train's single-label items, kept back for choosing the mix and offsets


def reserve(corpus: Corpus, share: float = TUNE_SHARE, seed: int = 99) -> tuple[Corpus, Corpus]:
    """(the rest, a random slice of `share`) — the slice is GoEmotions *train* kept from every fitted
    weight, on which the head's mix and per-class offsets are chosen, so that dev stays a figure nothing
    was chosen on. Random, not class-balanced: macro-F1 on a balanced slice rewards other offsets than
    on the natural mix of classes that dev (and a desk) has."""
    rng = np.random.default_rng(seed)
    picked = np.zeros(len(corpus), bool)
    picked[rng.choice(len(corpus), round(share * len(corpus)), replace=False)] = True
    return corpus.subset(np.flatnonzero(~picked).tolist()), corpus.subset(np.flatnonzero(picked).tolist())
