"""A scratch copy of the project for tests that label and retrain (the admin page writes data/ and models/).

The gateway under test gets PROJECT_ROOT=<the copy>, so labels, audit lines and model versions land there
and the repository's own data/ is never touched. Text data is copied (it gets written); big read-only
inputs (encoders, Banking77's CSV, sentiment data) are symlinked.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import requests

from tests.support import ROOT, TIME_SCALE, copy_shipped, is_admin_written

COPIED_DATA = ("nlu", "core", "eval", "assist")  # what the admin page writes or the comparison reads
SHARED_MODELS = ("encoders", "cache", "reduced")  # read-only inputs; never the desk's own models or versions


def make_workspace(dest: Path, root: Path = ROOT) -> Path:
    """The shipped project (`root`'s data/, domain/, configs) in `dest`, without what an admin wrote into
    `root` (handoff.admin.training_data.ADMIN_FILES): tests see the same data in a clean clone and a used desk."""
    dest.mkdir(parents=True, exist_ok=True)
    copy_shipped(root / "domain", dest / "domain", root)
    (dest / "data").mkdir()
    for child in (root / "data").iterdir():
        if child.name in COPIED_DATA:
            copy_shipped(child, dest / "data" / child.name, root)
        elif not is_admin_written(child, root):
            (dest / "data" / child.name).symlink_to(child)
    (dest / "models").mkdir()
    for name in SHARED_MODELS:
        if (root / "models" / name).exists():
            (dest / "models" / name).symlink_to(root / "models" / name)
    for config in root.glob("config*.yml"):
        shutil.copy(config, dest / config.name)
    return dest


def admin_env(workspace: Path, **extra: str) -> dict[str, str]:
    """Gateway environment for the admin page on `workspace`, retraining the reduced way."""
    return {"PROJECT_ROOT": str(workspace), "RETRAIN_CONFIG": "config.reduced.yml",
            "RETRAIN_MAX_PER_INTENT": "25", **extra}


def signed_in(gateway: str, username: str, password: str) -> requests.Session:
    http = requests.Session()
    resp = http.post(gateway + "/api/login", json={"username": username, "password": password}, timeout=30)
    assert resp.status_code == 200, resp.text
    return http


def wait_for_job(http: requests.Session, gateway: str, timeout_s: float = 1200,
                 on_poll: Any = None) -> tuple[dict[str, Any], list[str]]:
    """Poll GET /api/admin/retrain until the job leaves the running states; returns (job, every line)."""
    deadline = time.monotonic() + timeout_s * TIME_SCALE
    after, lines = "0-0", []
    while True:
        data = http.get(gateway + "/api/admin/retrain", params={"after": after}, timeout=30).json()
        lines += [line["text"] for line in data["lines"]]
        after = data["next"]
        job = data["job"]
        if job["state"] not in ("preparing", "training", "evaluating"):
            return job, lines
        if on_poll is not None:
            on_poll(job)
        assert time.monotonic() < deadline, f"retraining still {job['state']} after {timeout_s:.0f} s: {lines[-5:]}"
        time.sleep(2)


def wait_until_live(http: requests.Session, gateway: str, version: str, timeout_s: float = 300) -> dict[str, Any]:
    """Poll GET /api/admin/models until every instance reports `version` loaded and ready."""
    deadline = time.monotonic() + timeout_s * TIME_SCALE
    while True:
        models = http.get(gateway + "/api/admin/models", timeout=30).json()
        instances = models["instances"]
        if instances and all(i["version"] == version and i["status"] == "ready" for i in instances):
            return models
        failed = [i for i in instances if i["status"] == "failed"]
        assert not failed, f"an instance could not load {version}: {failed}"
        assert time.monotonic() < deadline, f"{version} not live after {timeout_s:.0f} s: {instances}"
        time.sleep(1)
