"""The retraining job's bookkeeping (handoff/admin/retrain.py): one job at a time, progress in Redis, failures
reported, and escalation thresholds validated and written into the candidate's config.

The successful path (a real `python -m bot.train` and a comparison) is test_admin_loop.py; here the real
trainer is started on a config that does not exist, so it fails within seconds, as a broken config would.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from handoff.admin.model_registry import ModelRegistry
from handoff.admin.retrain import (
    LineFilter,
    RetrainConfig,
    Retrainer,
    apply_thresholds,
    check_thresholds,
    threshold_fields,
)
from handoff.admin.training_data import TrainingData
from handoff.core import errors
from handoff.storage import keys
from handoff.storage.models import ModelRecords
from handoff.storage.retraining import RetrainRecords
from tests.support import TIME_SCALE


@pytest.fixture
def retrainer(redis, tmp_path: Path) -> Retrainer:  # type: ignore[no-untyped-def]
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "tandem.tar.gz").write_bytes(b"base")
    registry = ModelRegistry(ModelRecords(redis), tmp_path / "models" / "versions", tmp_path / "base")
    return Retrainer(RetrainRecords(redis), registry, TrainingData(tmp_path), RetrainConfig(root=tmp_path, config="missing.yml"),
                     "gw-test")


async def finished(r: Retrainer) -> dict:
    deadline = asyncio.get_running_loop().time() + 120 * TIME_SCALE
    while True:
        status = await r.status()
        if status["job"]["state"] not in ("preparing", "training", "evaluating"):
            return status
        assert asyncio.get_running_loop().time() < deadline, "the job never finished"
        await asyncio.sleep(0.2)


async def test_a_missing_config_is_refused_before_any_job_starts(retrainer: Retrainer, redis,  # type: ignore[no-untyped-def]
                                                                  tmp_path: Path) -> None:
    with pytest.raises(errors.Unavailable, match="missing.yml"):
        await retrainer.start("ada")
    assert await redis.get(keys.RETRAIN_LOCK) is None
    assert (await retrainer.status())["job"] is None
    assert not (tmp_path / "models" / "versions").exists() or not any((tmp_path / "models" / "versions").iterdir())


async def test_a_failing_trainer_streams_its_output_and_reports_the_exit_code(retrainer: Retrainer, redis,  # type: ignore[no-untyped-def]
                                                                             tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text("pipeline: [{name: NoSuchComponent}]\npolicies: []\n")
    retrainer.cfg = RetrainConfig(root=tmp_path, config="bad.yml")
    job = await retrainer.start("ada")
    assert (job["state"], job["by"], job["instance"], job["running_version"]) == (
        "preparing", "ada", "gw-test", "base")
    status = await finished(retrainer)
    assert status["job"]["state"] == "failed"
    assert await redis.get(keys.RETRAIN_LOCK) is None
    assert [v["version"] for v in retrainer.registry.versions()] == ["base"]  # nothing to activate
    assert status["job"]["error"].startswith("training failed (exit code")
    texts = [line["text"] for line in status["lines"]]
    assert texts[0].startswith("training candidate") and texts[-1] == status["job"]["error"]
    assert len(texts) > 2  # the trainer's own output came through
    later = await retrainer.status(after=status["lines"][1]["id"])
    assert [line["text"] for line in later["lines"]] == texts[2:]
    version = status["job"]["version"]
    assert (tmp_path / "models" / "versions" / version / "train.log").read_text().strip()


async def test_only_one_retraining_runs_at_a_time(retrainer: Retrainer, tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text("pipeline: [{name: NoSuchComponent}]\npolicies: []\n")
    retrainer.cfg = RetrainConfig(root=tmp_path, config="bad.yml")
    await retrainer.start("ada")
    with pytest.raises(errors.Conflict):
        await retrainer.start("bo")
    await finished(retrainer)
    assert len([p for p in (tmp_path / "models" / "versions").iterdir()]) == 1  # the refused one left nothing


async def test_cancel_stops_the_trainer(retrainer: Retrainer, tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text("pipeline: [{name: NoSuchComponent}]\npolicies: []\n")
    retrainer.cfg = RetrainConfig(root=tmp_path, config="bad.yml")
    with pytest.raises(errors.BadState):
        await retrainer.cancel()
    await retrainer.start("ada")
    while (await retrainer.status())["job"]["state"] == "preparing":
        await asyncio.sleep(0.05)
    await retrainer.cancel()
    status = await finished(retrainer)
    assert (status["job"]["state"], status["job"]["error"]) == ("cancelled", "cancelled by an admin")


async def test_progress_polling_rejects_a_malformed_cursor(retrainer: Retrainer) -> None:
    assert (await retrainer.status())["job"] is None
    for bad in ("abc", "1-2-3", "-1", "1 -0"):
        with pytest.raises(errors.InvalidFrame):
            await retrainer.status(after=bad)


# ------------------------------------------------------------------------------------------ thresholds


def test_the_tunable_thresholds_are_the_numeric_ones_of_the_policy() -> None:
    names = {f["name"]: f for f in threshold_fields()}
    assert {"rolling_threshold", "spike_level", "max_fallbacks"} <= set(names)
    assert "fallback_intents" not in names and "explicit_intent" not in names
    assert names["max_fallbacks"]["type"] == "int" and names["rolling_threshold"]["type"] == "float"


def test_thresholds_are_checked_by_the_policys_own_rules() -> None:
    assert check_thresholds({"rolling_threshold": 0.7, "max_fallbacks": 3}) == {
        "rolling_threshold": 0.7, "max_fallbacks": 3}
    for bad, message in (({"rolling_threshold": 1.5}, "between 0 and 1"), ({"max_fallbacks": 0}, "whole number"),
                         ({"max_fallbacks": 2.5}, "whole number"), ({"max_fallbacks": 99}, "at most"),
                         ({"rolling_threshold": "high"}, "number"), ({"no_such": 1}, "unknown"),
                         ({"rolling_threshold": True}, "number")):
        with pytest.raises(errors.InvalidFrame, match=message):
            check_thresholds(bad)


async def test_saved_thresholds_keep_only_what_differs_from_the_default(retrainer: Retrainer) -> None:
    defaults = {f["name"]: f["default"] for f in threshold_fields()}
    saved = await retrainer.save_thresholds({"rolling_threshold": 0.7, "spike_level": defaults["spike_level"]})
    assert saved == await retrainer.thresholds() == {"rolling_threshold": 0.7}
    assert await retrainer.save_thresholds({}) == {}


def test_thresholds_go_into_the_escalation_policy_block_of_the_candidates_config() -> None:
    config = {"pipeline": [], "policies": [{"name": "RulePolicy"},
                                           {"name": "bot.escalation.policy.EscalationPolicy", "max_fallbacks": 2}]}
    assert apply_thresholds(config, {"max_fallbacks": 3, "rolling_threshold": 0.7}) is True
    assert config["policies"][1] == {"name": "bot.escalation.policy.EscalationPolicy", "max_fallbacks": 3,
                                     "rolling_threshold": 0.7}
    assert apply_thresholds({"policies": [{"name": "RulePolicy"}]}, {"max_fallbacks": 3}) is False


def test_the_page_sees_each_progress_bar_once_a_second_and_what_matters_not_rasas_noise() -> None:
    f = LineFilter(every_s=1.0)
    shown = []
    feed = [
        (0.0, "Epochs:   0%|          | 0/15 [00:00<?, ?it/s]"),
        (0.2, "Epochs:   7%|▋         | 1/15 [00:05<01:10, 5.0s/it, t_loss=4.1]2026-01-01 [debug    ] x"),
        (0.4, "Epochs:  13%|█▎        | 2/15 [00:10<01:05, 5.0s/it, t_loss=3.9]"),
        (0.5, "2026-11-25 03:09:00 [debug    ] rule_policy.actions.find       current_states="),
        (0.6, "[state 1] user intent: greet | previous action name: action_listen"),
        (0.7, "/venv/site-packages/rasa/io.py:100: UserWarning: The following duplicated intents"),
        (1.5, "Epochs:  20%|██        | 3/15 [00:15<01:00, 5.0s/it, t_loss=3.7]"),
        (1.6, "Epochs: 100%|██████████| 15/15 [01:15<00:00, 5.0s/it, t_loss=3.3]"),
        (1.7, "trained models/versions/v1/tandem.tar.gz in 80 s"),
        (1.8, "ValueError: something broke"),
    ]
    for t, line in feed:
        shown += f.feed(line, t)
    shown += f.flush()
    assert shown == [
        "Epochs:   0%|          | 0/15 [00:00<?, ?it/s]",
        "Epochs:  13%|█▎        | 2/15 [00:10<01:05, 5.0s/it, t_loss=3.9]",  # the last one before other output
        "Epochs:  20%|██        | 3/15 [00:15<01:00, 5.0s/it, t_loss=3.7]",
        "Epochs: 100%|██████████| 15/15 [01:15<00:00, 5.0s/it, t_loss=3.3]",
        "trained models/versions/v1/tandem.tar.gz in 80 s",
        "ValueError: something broke",
    ]
    assert list(f.tail) == ["trained models/versions/v1/tandem.tar.gz in 80 s", "ValueError: something broke"]


def test_the_retrain_page_says_what_changed_since_the_newest_candidate(retrainer: Retrainer) -> None:
    import shutil

    from handoff.admin.retrain import SNAPSHOT
    from handoff.admin.training_data import NLU_FILE

    data = retrainer.data
    data.label(["is my metal card on its way", "metal card delivery"], "metal_card", "ada", answer="Soon.")
    assert retrainer.facts() == {"last_took_s": None, "since_version": None, "labels_new": 2, "labels_removed": 0}
    # A candidate trained with those two (its snapshot of the labels, as _prepare copies it) ...
    version = retrainer.registry.versions_dir / "v20250301-1"
    (version / SNAPSHOT).mkdir(parents=True)
    (version / "tandem.tar.gz").write_bytes(b"model")
    shutil.copy2(data.path(NLU_FILE), version / SNAPSHOT / NLU_FILE.name)
    # ... then one relabelled, one new, one removed.
    data.label(["metal card delivery"], "metal_card_delivery", "ada", answer="In a week.")
    data.label(["can I pay with my watch"], "watch_payments", "ada", answer="Yes.")
    data.unlabel(["is my metal card on its way"], "ada", "reopen")
    assert retrainer.facts() == {"last_took_s": None, "since_version": "v20250301-1", "labels_new": 2,
                                 "labels_removed": 1}
