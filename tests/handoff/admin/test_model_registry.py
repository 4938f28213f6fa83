"""Model versions, the active pointer in Redis, activation over pub/sub and rollback (handoff/admin/model_registry.py).

Two "instances" here are two ModelWatchers, each with its own Redis connection and pub/sub hub, as two gateway
processes have. Their loader records what it was asked to load instead of loading Rasa: what is under test is
who loads what and when; the real in-process swap of a Rasa model is proven in test_admin_loop.py.
"""
from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from handoff.admin.model_registry import BASE, MODEL_FILE, ModelRegistry, ModelWatcher
from handoff.core import errors
from handoff.storage import keys
from handoff.storage import store as store_mod
from handoff.storage.hub import Hub
from handoff.storage.models import ModelRecords
from tests.handoff.conftest import UNIT_DB

WAIT_S = 10.0


class Instance:
    """One gateway's view: its own connection, hub, registry and watcher; `loaded` lists the files it loaded."""

    def __init__(self, client, registry: ModelRegistry, hub: Hub, name: str) -> None:  # type: ignore[no-untyped-def]
        self.client, self.registry, self.hub, self.name = client, registry, hub, name
        self.loaded: list[Path] = []
        self.fail = False
        self.watcher = ModelWatcher(registry, hub, name, self.load)

    async def load(self, path: Path) -> None:
        await asyncio.sleep(0.05)  # a real load takes a while; events may arrive meanwhile
        if self.fail:
            raise RuntimeError("model could not be read")
        self.loaded.append(path)

    async def until(self, version: str) -> None:
        deadline = asyncio.get_running_loop().time() + WAIT_S
        while self.watcher.loaded != version:
            assert asyncio.get_running_loop().time() < deadline, f"{self.name} never loaded {version}"
            await asyncio.sleep(0.02)
        await self.watcher.wait()


@pytest.fixture
def versions(tmp_path: Path) -> Path:
    base = tmp_path / "base"
    base.mkdir()
    (base / "tandem.tar.gz").write_bytes(b"base model")
    return tmp_path / "versions"


def add_version(versions: Path, name: str, report: dict | None = None) -> None:
    d = versions / name
    d.mkdir(parents=True)
    (d / MODEL_FILE).write_bytes(name.encode())
    (d / "meta.json").write_text(json.dumps({"by": "ada", "started": 1, "config": "config.reduced.yml"}))
    if report:
        (d / "compare.json").write_text(json.dumps(report))


@pytest.fixture
async def make_instance(redis_url: str, redis, versions: Path) -> AsyncIterator:  # type: ignore[no-untyped-def]
    made: list[Instance] = []

    async def make(name: str, start: bool = True) -> Instance:
        client = await store_mod.connect(redis_url.rsplit("/", 1)[0] + f"/{UNIT_DB}")
        hub = Hub(client)
        await hub.start()
        inst = Instance(client, ModelRegistry(ModelRecords(client), versions, versions.parent / "base"), hub, name)
        made.append(inst)
        if start:
            await inst.watcher.start()
            await inst.watcher.wait()
        return inst

    yield make
    for inst in made:
        await inst.watcher.stop()
        await inst.hub.stop()
        await inst.client.close()


# ------------------------------------------------------------------------------------------ files and pointer


async def test_versions_are_listed_newest_first_with_their_figures_and_base_last(redis, versions: Path) -> None:  # type: ignore[no-untyped-def]
    add_version(versions, "20250101-000000")
    add_version(versions, "20250102-000000", {"candidate": {"accuracy": 0.8, "macro_f1": 0.7},
                                              "running": {"version": "base"}})
    (versions / "20250103-000000").mkdir()  # a failed run: no model file
    reg = ModelRegistry(ModelRecords(redis), versions, versions.parent / "base")
    listed = reg.versions()
    assert [v["version"] for v in listed] == ["20250102-000000", "20250101-000000", BASE]
    assert (listed[0]["accuracy"], listed[0]["macro_f1"], listed[0]["has_report"]) == (0.8, 0.7, True)
    assert reg.model_file(BASE) == versions.parent / "base" / "tandem.tar.gz"
    assert reg.model_file("../base") is None and reg.model_file("20250103-000000") is None
    with pytest.raises(errors.NotFound):
        reg.report("20250101-000000")


async def test_new_version_folders_never_collide(redis, versions: Path) -> None:  # type: ignore[no-untyped-def]
    reg = ModelRegistry(ModelRecords(redis), versions, versions.parent / "base")
    names = [reg.create_version_dir()[0] for _ in range(3)]
    assert len(set(names)) == 3 and all((versions / n).is_dir() for n in names)


async def test_activate_moves_the_pointer_records_history_and_rollback_goes_back(redis, versions: Path) -> None:  # type: ignore[no-untyped-def]
    add_version(versions, "v1")
    add_version(versions, "v2")
    reg = ModelRegistry(ModelRecords(redis), versions, versions.parent / "base")
    assert (await reg.active())["version"] == BASE
    with pytest.raises(errors.BadState):
        await reg.rollback("ada")  # nothing earlier yet
    await reg.activate("v1", "ada")
    active = await reg.activate("v2", "bo")
    assert (active["version"], active["previous"], active["by"]) == ("v2", "v1", "bo")
    back = await reg.rollback("ada")
    assert (back["version"], back["previous"]) == ("v1", "v2")
    again = await reg.rollback("ada")  # a rollback can itself be undone in one click
    assert again["version"] == "v2"
    assert [(h["action"], h["version"]) for h in await reg.history()] == [
        ("rollback", "v2"), ("rollback", "v1"), ("activate", "v2"), ("activate", "v1")]


async def test_a_version_without_a_model_file_cannot_be_activated(redis, versions: Path) -> None:  # type: ignore[no-untyped-def]
    reg = ModelRegistry(ModelRecords(redis), versions, versions.parent / "base")
    for bad in ("20990101-000000", "../../etc", ""):
        with pytest.raises(errors.NotFound):
            await reg.activate(bad, "ada")
    assert (await reg.active())["version"] == BASE


async def test_a_stale_rollback_loses_to_a_newer_activation(redis, versions: Path) -> None:  # type: ignore[no-untyped-def]
    for v in ("v1", "v2", "v3"):
        add_version(versions, v)
    reg = ModelRegistry(ModelRecords(redis), versions, versions.parent / "base")
    await reg.activate("v1", "ada")
    await reg.activate("v2", "ada")
    with pytest.raises(errors.Conflict):
        await reg.activate("v1", "ada", expect="v1")  # the page still showed v1 active
    assert (await reg.active())["version"] == "v2"


# ------------------------------------------------------------------------------------------ instances


async def test_activation_reaches_every_instance_over_pub_sub(make_instance, versions: Path) -> None:  # type: ignore[no-untyped-def]
    add_version(versions, "v1")
    a, b = await make_instance("gw-a"), await make_instance("gw-b")
    assert a.loaded == [] and b.loaded == []  # base is what they started with
    await a.registry.activate("v1", "ada")
    await a.until("v1")
    await b.until("v1")
    assert a.loaded == b.loaded == [versions / "v1" / MODEL_FILE]
    reports = {i["instance"]: i for i in await a.registry.instances()}
    assert {k: (v["version"], v["status"]) for k, v in reports.items()} == {
        "gw-a": ("v1", "ready"), "gw-b": ("v1", "ready")}
    await b.registry.rollback("ada")
    await a.until(BASE)
    await b.until(BASE)
    assert a.loaded[-1] == versions.parent / "base" / "tandem.tar.gz"


async def test_an_instance_started_later_loads_the_active_version(make_instance, versions: Path) -> None:  # type: ignore[no-untyped-def]
    add_version(versions, "v1")
    a = await make_instance("gw-a")
    await a.registry.activate("v1", "ada")
    await a.until("v1")
    late = await make_instance("gw-late")
    await late.until("v1")
    assert await late.registry.startup_model() == versions / "v1" / MODEL_FILE


async def test_quick_successive_activations_end_on_the_last_one(make_instance, versions: Path) -> None:  # type: ignore[no-untyped-def]
    for v in ("v1", "v2", "v3"):
        add_version(versions, v)
    a = await make_instance("gw-a")
    for v in ("v1", "v2", "v3"):
        await a.registry.activate(v, "ada")
    await a.until("v3")
    await asyncio.sleep(0.3)
    assert a.watcher.loaded == "v3"
    assert a.loaded[-1] == versions / "v3" / MODEL_FILE


async def test_an_instance_that_cannot_load_keeps_serving_its_model_and_says_so(make_instance,
                                                                                versions: Path) -> None:  # type: ignore[no-untyped-def]
    add_version(versions, "v1")
    a, b = await make_instance("gw-a"), await make_instance("gw-b")
    b.fail = True
    await a.registry.activate("v1", "ada")
    await a.until("v1")
    await asyncio.sleep(0.3)
    await b.watcher.wait()
    assert b.watcher.loaded == BASE
    report = {i["instance"]: i for i in await a.registry.instances()}["gw-b"]
    assert (report["version"], report["status"], report["target"]) == (BASE, "failed", "v1")
    assert report["error"] == "RuntimeError"


async def test_an_instance_without_the_models_folder_keeps_its_model_and_says_so(make_instance, versions: Path,
                                                                                 tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    add_version(versions, "v1")
    a = await make_instance("gw-a")
    elsewhere = await make_instance("gw-elsewhere", start=False)
    elsewhere.registry.versions_dir = tmp_path / "not-shared"  # models/ is not shared with this host
    await elsewhere.watcher.start()
    await a.registry.activate("v1", "ada")
    await a.until("v1")
    await asyncio.sleep(0.3)
    await elsewhere.watcher.wait()
    assert elsewhere.watcher.loaded == BASE and elsewhere.loaded == []
    report = {i["instance"]: i for i in await a.registry.instances()}["gw-elsewhere"]
    assert (report["status"], report["error"]) == ("failed", "model file not found on this instance")


async def test_a_stopped_instance_leaves_the_instance_list(make_instance, redis) -> None:  # type: ignore[no-untyped-def]
    a = await make_instance("gw-a")
    assert await redis.hexists(keys.MODELS_INSTANCES, "gw-a")
    await a.watcher.stop()
    assert not await redis.hexists(keys.MODELS_INSTANCES, "gw-a")
