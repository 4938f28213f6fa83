"""Real Redis topologies for the HA tests, started from Debian's redis-server 7 on free ports in temp dirs:
a primary with a replica and three sentinels, and a Cluster of three primaries with a replica each.

Every server is stopped by its test's `close()` (in a `finally`), and any still running when the test process
exits by an atexit hook. Never 127.0.0.1:6379.
"""

from __future__ import annotations

import atexit
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support import TIME_SCALE, free_port, stop

SYSTEM_REDIS = "/usr/bin/redis-server"  # Debian's 7.x: sentinel and cluster modes (the embedded one is 6.2)
STARTED: list[subprocess.Popen] = []


@atexit.register
def _kill_leftovers() -> None:
    for proc in STARTED:
        if proc.poll() is None:
            proc.kill()


def redis7() -> str:
    exe = SYSTEM_REDIS if Path(SYSTEM_REDIS).exists() else shutil.which("redis-server")
    if not exe:
        pytest.skip("no system redis-server (apt-get install -y redis-server) for sentinel/cluster tests")
    out = subprocess.run([exe, "--version"], check=False, capture_output=True, text=True).stdout
    if " v=7." not in out and " v=8." not in out:
        pytest.skip(f"sentinel/cluster tests need redis-server 7 (sharded pub/sub); found {out.strip()}")
    return exe


def ping(port: int, host: str = "127.0.0.1") -> bool:
    import socket

    try:
        with socket.create_connection((host, port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith((b"+PONG", b"-"))
    except OSError:
        return False


def cli(port: int, *args: str, timeout: float = 10) -> str:
    return subprocess.run(["redis-cli", "-p", str(port), *args], check=False, capture_output=True,
                          text=True, timeout=timeout * TIME_SCALE).stdout.strip()


@dataclass
class Server:
    port: int
    directory: Path
    args: list[str]
    proc: subprocess.Popen | None = None

    def start(self) -> Server:
        self.directory.mkdir(parents=True, exist_ok=True)
        log = open(self.directory / "server.log", "ab")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen([redis7(), *self.args], cwd=self.directory, stdout=log, stderr=subprocess.STDOUT)
        STARTED.append(self.proc)
        deadline = time.monotonic() + 10 * TIME_SCALE
        while not ping(self.port):
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis on {self.port} exited; see {self.directory / 'server.log'}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"redis on {self.port} did not answer")
            time.sleep(0.05)
        return self

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc, timeout=5)


def data_server(directory: Path, port: int, *extra: str) -> Server:
    """A data node: AOF with fsync on every write, as the desk's own Redis."""
    return Server(port, directory, ["--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory),
                                    "--save", "", "--appendonly", "yes", "--appendfsync", "always",
                                    "--protected-mode", "no", *extra])


@dataclass
class SentinelSet:
    primary: Server
    replica: Server
    sentinels: list[Server] = field(default_factory=list)
    service: str = "tandem"

    @property
    def url(self) -> str:
        """REDIS_URL for the gateway: the database (and password) only; the address comes from the sentinels."""
        return f"redis://127.0.0.1:{self.primary.port}/0"

    @property
    def sentinel_addresses(self) -> str:
        return ",".join(f"127.0.0.1:{s.port}" for s in self.sentinels)

    def current_primary_port(self) -> int:
        out = cli(self.sentinels[0].port, "SENTINEL", "get-master-addr-by-name", self.service).split()
        return int(out[-1])

    def close(self) -> None:
        for s in [*self.sentinels, self.replica, self.primary]:
            s.stop()


def start_sentinel_set(root: Path, down_after_ms: int = 1000) -> SentinelSet:
    """1 primary, 1 replica, 3 sentinels (quorum 2) on free ports under `root`."""
    primary = data_server(root / "primary", free_port()).start()
    replica_port = free_port()
    replica = data_server(root / "replica", replica_port, "--replicaof", "127.0.0.1", str(primary.port)).start()
    deadline = time.monotonic() + 20 * TIME_SCALE
    while "master_link_status:up" not in cli(replica_port, "INFO", "replication"):
        assert time.monotonic() < deadline, "the replica never synced"
        time.sleep(0.1)
    group = SentinelSet(primary, replica)
    for i in range(3):
        port = free_port()
        conf = root / f"sentinel-{i}" / "sentinel.conf"
        conf.parent.mkdir(parents=True)
        conf.write_text(f"port {port}\nbind 127.0.0.1\nprotected-mode no\ndir {conf.parent}\n"
                        f"sentinel monitor {group.service} 127.0.0.1 {primary.port} 2\n"
                        f"sentinel down-after-milliseconds {group.service} {down_after_ms}\n"
                        f"sentinel failover-timeout {group.service} 10000\n"
                        f"sentinel parallel-syncs {group.service} 1\n")
        group.sentinels.append(Server(port, conf.parent, [str(conf), "--sentinel"]).start())
    # Sentinels discover each other (and the replica) over pub/sub: wait until each sees the others.
    deadline = time.monotonic() + 30 * TIME_SCALE
    while True:
        seen = [cli(s.port, "SENTINEL", "master", group.service) for s in group.sentinels]
        if all("num-other-sentinels\n2" in out and "num-slaves\n1" in out for out in seen):
            break
        assert time.monotonic() < deadline, f"sentinels did not see each other: {seen}"
        time.sleep(0.2)
    return group


@dataclass
class Cluster:
    """A Redis Cluster of primaries, each with one replica; `nodes[i]` by port."""

    nodes: list[Server]

    @property
    def seeds(self) -> str:
        """REDIS_CLUSTER for the gateway: every node, so any one left alive is enough to find the others."""
        return ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    @property
    def url(self) -> str:
        """REDIS_URL beside REDIS_CLUSTER: the password (none here) and database 0."""
        return f"redis://127.0.0.1:{self.nodes[0].port}/0"

    def alive(self) -> list[Server]:
        return [n for n in self.nodes if n.proc is not None and n.proc.poll() is None]

    def owner_of(self, key: str) -> Server:
        """The primary serving `key`'s slot now (asked of a live node)."""
        slot = int(cli(self.alive()[0].port, "CLUSTER", "KEYSLOT", key))
        for node in self.alive():
            out = cli(node.port, "CLUSTER", "NODES")
            for line in out.splitlines():
                parts = line.split()
                if "myself" in parts[2] and "master" in parts[2]:
                    for span in parts[8:]:
                        lo, _, hi = span.partition("-")
                        if span[0].isdigit() and int(lo) <= slot <= int(hi or lo):
                            return node
        raise AssertionError(f"no live primary serves slot {slot}")

    def replica_of(self, primary: Server) -> Server:
        for node in self.alive():
            if node is not primary and f"master_port:{primary.port}" in cli(node.port, "INFO", "replication"):
                return node
        raise AssertionError(f"no replica of {primary.port}")

    def wait_healthy(self, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s * TIME_SCALE
        while True:
            infos = [cli(n.port, "CLUSTER", "INFO") for n in self.alive()]
            if all("cluster_state:ok" in i for i in infos):
                return
            assert time.monotonic() < deadline, f"the cluster never became healthy: {infos[:1]}"
            time.sleep(0.1)

    def close(self) -> None:
        for n in self.nodes:
            n.stop()


def start_cluster(root: Path, primaries: int = 3, node_timeout_ms: int = 1000, fsync: str = "everysec") -> Cluster:
    """`primaries` primaries with a replica each (redis-cli --cluster create), on free ports under `root`;
    a dead primary is failed over after `node_timeout_ms`. `fsync`: the AOF's appendfsync (the tests need no
    fsync per write: a replica has what WAIT acknowledged; the benchmark uses "always", as the desk's Redis)."""
    nodes = []
    for i in range(primaries * 2):
        port = free_port()
        nodes.append(data_server(root / f"node-{i}", port, "--cluster-enabled", "yes", "--cluster-config-file",
                                 "nodes.conf", "--cluster-port", str(free_port()), "--cluster-node-timeout", str(node_timeout_ms),
                                 "--cluster-replica-validity-factor", "0", "--appendfsync", fsync))
    cluster = Cluster(nodes)
    try:
        for n in nodes:
            n.start()
        out = subprocess.run(["redis-cli", "--cluster", "create", *[f"127.0.0.1:{n.port}" for n in nodes],
                              "--cluster-replicas", "1", "--cluster-yes"], check=False, capture_output=True,
                             text=True, timeout=60 * TIME_SCALE)
        assert out.returncode == 0, out.stdout + out.stderr
        cluster.wait_healthy()
        # Every replica attached and synced, so that WAIT 1 has someone to wait for from the first message.
        deadline = time.monotonic() + 30 * TIME_SCALE
        while sum("master_link_status:up" in cli(n.port, "INFO", "replication") for n in nodes) < primaries:
            assert time.monotonic() < deadline, "the replicas never synced"
            time.sleep(0.1)
    except BaseException:
        cluster.close()
        raise
    return cluster
