"""Tests never read or write what a running desk keeps in the checkout: the admin page's labels, intents,
rules and audit (handoff.admin.training_data.ADMIN_FILES), var/, and trained models other than models/reduced.
Proved here on a copy of the project that an admin has used, as a checkout that runs the desk is."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import train
from handoff.admin import training_data
from handoff.admin.training_data import DOMAIN_FILE, TrainingData
from handoff.core import errors
from tests.admin_workspace import make_workspace
from tests.gateway import gateway_env
from tests.support import ROOT, copy_shipped, is_admin_written, shipped_domain_files

ADMIN_INTENT = """version: "3.1"
intents:
- mortgage_info
responses:
  utter_mortgage_info:
  - text: We don't offer mortgages.
"""


@pytest.fixture
def used_desk(tmp_path: Path) -> Path:
    """The project as shipped plus what an admin wrote through /admin, and the desk's own models and var/."""
    root = tmp_path / "used-desk"
    copy_shipped(ROOT / "domain", root / "domain")
    (root / "data").mkdir(parents=True)
    for name in ("nlu", "core", "eval"):
        copy_shipped(ROOT / "data" / name, root / "data" / name)
    (root / "domain" / "admin_intents.yml").write_text(ADMIN_INTENT)
    (root / "data" / "nlu" / "inbox_labelled.yml").write_text('version: "3.1"\nnlu:\n- intent: mortgage_info\n'
                                                             "  examples: |\n    - do you do mortgages\n")
    (root / "data" / "core" / "admin_rules.yml").write_text('version: "3.1"\nrules: []\n')
    (root / "data" / "assist").mkdir()
    (root / "data" / "assist" / "accepted_answers.yml").write_text("card_arrival:\n- It is on its way.\n")
    (root / "data" / "audit").mkdir()
    (root / "data" / "audit" / "labels.jsonl").write_text("{}\n")
    for name in ("rasa", "versions", "reduced", "encoders"):
        (root / "models" / name).mkdir(parents=True)
    (root / "var").mkdir()
    (root / "config.yml").write_text("recipe: default.v1\n")
    return root


def test_the_admin_files_are_named_once_for_the_trainer_and_the_admin_page() -> None:
    assert set(train.ADMIN_FILES) == set(training_data.ADMIN_FILES)
    assert all(is_admin_written(ROOT / path) for path in training_data.ADMIN_FILES)


def test_a_test_workspace_made_from_a_used_desk_holds_only_the_shipped_project(used_desk: Path,
                                                                                tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path / "workspace", root=used_desk)
    for path in training_data.ADMIN_FILES:
        assert (used_desk / path).exists() and not (workspace / path).exists(), path
    assert sorted(p.name for p in (workspace / "models").iterdir()) == ["encoders", "reduced"]
    assert not (workspace / "var").exists()
    # test_admin_routes.py's new-intent test reads exactly this: the admin intents of its own workspace.
    assert TrainingData(workspace).admin_intents() == {}
    assert TrainingData(used_desk).admin_intents() == {"mortgage_info": "We don't offer mortgages."}


def test_the_shipped_domain_leaves_out_the_admins_intents(used_desk: Path, tmp_path: Path) -> None:
    files = shipped_domain_files(used_desk)
    assert files and not any(f.endswith("admin_intents.yml") for f in files)
    copy_shipped(used_desk / "domain", tmp_path / "domain", used_desk)  # test_inbox.py's project fixture
    project = TrainingData(tmp_path)
    with pytest.raises(errors.InvalidFrame, match="reserved"):
        project.label(["hello"], "nlu_fallback", "ada", answer="hi")
    assert not project.path(DOMAIN_FILE).exists()


def test_test_gateways_keep_their_data_and_project_out_of_the_checkout(tmp_path: Path) -> None:
    env = gateway_env("redis://127.0.0.1:9/0", tmp_path / "model.tar.gz", "http://127.0.0.1:9/webhook",
                      tmp_path, "gw-hermetic")
    for key in ("DATA_DIR", "PROJECT_ROOT"):
        assert Path(env[key]).is_relative_to(tmp_path), key
    assert not (Path(env["PROJECT_ROOT"]) / DOMAIN_FILE).exists()
    assert gateway_env("redis://x", tmp_path, "http://x", tmp_path, "gw-2",
                       {"PROJECT_ROOT": str(tmp_path / "given")})["PROJECT_ROOT"] == str(tmp_path / "given")


def test_the_reduced_model_trains_on_the_shipped_data_only(used_desk: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(used_desk)
    shipped = train.training_files(tmp_path, None, shipped_only=True)
    everything = train.training_files(tmp_path, None)
    assert "data/nlu/inbox_labelled.yml" in everything and "data/core/admin_rules.yml" in everything
    assert not {"data/nlu/inbox_labelled.yml", "data/core/admin_rules.yml"} & set(shipped)
    domain = train.shipped_domain()
    assert isinstance(domain, list) and "domain/admin_intents.yml" not in domain and "domain/core.yml" in domain
    recipe = (ROOT / "Makefile").read_text().split("$(REDUCED)/.done:")[1].split("\n\n")[0]
    assert "--shipped-only" in recipe

