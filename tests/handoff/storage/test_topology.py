"""handoff/storage/topology.py: which client a desk's settings build (one Redis, Sentinel, Redis Cluster)."""

from __future__ import annotations

import pytest

from handoff import settings as settings_mod
from handoff.settings import SettingsError
from handoff.storage.cluster import ClusterClient, SlotTransaction
from handoff.storage.hub import Hub
from handoff.storage.sharded_hub import ShardedHub
from handoff.storage.topology import Topology


def test_redis_url_alone_is_still_one_redis() -> None:
    topology = Topology.of(settings_mod.load(env={"REDIS_URL": "redis://127.0.0.1:6390/2"}))
    assert topology.kind == "single"
    assert not getattr(topology.client(), "is_cluster", False)


def test_redis_cluster_builds_the_cluster_client_with_its_sharded_hub_and_slot_transactions() -> None:
    cfg = settings_mod.load(env={"REDIS_CLUSTER": "10.0.0.1:7000, 10.0.0.2:7001", "REDIS_URL": "redis://:pw@x/0"})
    topology = Topology.of(cfg)
    assert topology.kind == "cluster" and topology.cluster == (("10.0.0.1", 7000), ("10.0.0.2", 7001))
    client = topology.client()  # nothing is connected yet
    assert isinstance(client, ClusterClient) and client.node_kwargs["password"] == "pw"
    assert isinstance(client.pipeline(transaction=True), SlotTransaction)
    assert isinstance(Hub.for_client(client), ShardedHub)


def test_a_cluster_without_redis_url_takes_its_address_from_the_first_seed() -> None:
    cfg = settings_mod.load(env={"REDIS_CLUSTER": "10.0.0.1:7000,10.0.0.2:7001"})
    assert cfg.redis_url == "redis://10.0.0.1:7000/0"  # so `python -m handoff` starts no Redis of its own


def test_a_bad_seed_or_a_database_other_than_0_is_refused_with_the_setting_named() -> None:
    with pytest.raises(SettingsError, match="REDIS_CLUSTER"):
        settings_mod.load(env={"REDIS_CLUSTER": "10.0.0.1"})
    cfg = settings_mod.load(env={"REDIS_CLUSTER": "10.0.0.1:7000", "REDIS_URL": "redis://10.0.0.1:7000/3"})
    with pytest.raises(ValueError, match="database 0"):
        Topology.of(cfg).client()
