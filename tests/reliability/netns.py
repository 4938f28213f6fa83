"""Hosts for the across-hosts test: one network namespace per host, joined by veth pairs to a bridge in a
namespace of its own, so every packet stays inside the test's namespaces (no interface is added to the
machine's own network). `Network.close()` kills what runs in them and deletes them, failure or not.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from dataclasses import dataclass, field

SUBNET = "10.254.77"  # private to the test's namespaces


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


def netns_available() -> str | None:
    """None when namespaces can be made here; else why not (the test is skipped with it)."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    probe = f"tdm-probe-{uuid.uuid4().hex[:6]}"
    try:
        _ip("netns", "add", probe)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"`ip netns add` is not available here ({type(exc).__name__})"
    _ip("netns", "del", probe)
    return None


@dataclass
class Network:
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:5])
    hosts: dict[str, str] = field(default_factory=dict)  # name -> address
    procs: list[subprocess.Popen] = field(default_factory=list)

    @property
    def switch(self) -> str:
        return f"tdm{self.tag}-sw"

    def ns(self, host: str) -> str:
        return f"tdm{self.tag}-{host}"

    def start(self) -> Network:
        _ip("netns", "add", self.switch)
        _ip("-n", self.switch, "link", "set", "lo", "up")
        _ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
        _ip("-n", self.switch, "link", "set", "br0", "up")
        return self

    def add_host(self, name: str) -> str:
        """A namespace `name` with eth0 on the bridge; returns its address."""
        ns, address = self.ns(name), f"{SUBNET}.{len(self.hosts) + 2}"
        port = f"p{len(self.hosts)}"
        _ip("netns", "add", ns)
        self.hosts[name] = address
        _ip("-n", self.switch, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns)
        _ip("-n", self.switch, "link", "set", port, "master", "br0", "up")
        _ip("-n", ns, "link", "set", "lo", "up")
        _ip("-n", ns, "addr", "add", f"{address}/24", "dev", "eth0")
        _ip("-n", ns, "link", "set", "eth0", "up")
        return address

    def run(self, host: str, args: list[str], **popen: object) -> subprocess.Popen:
        """Start `args` inside `host`'s namespace (`ip netns exec` execs it: the Popen is the process)."""
        proc = subprocess.Popen(["ip", "netns", "exec", self.ns(host), *args], **popen)  # type: ignore[call-overload]
        self.procs.append(proc)
        return proc

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for ns in [*(self.ns(h) for h in self.hosts), self.switch]:
            pids = subprocess.run(["ip", "netns", "pids", ns], check=False, capture_output=True, text=True).stdout
            for pid in pids.split():  # anything a process left behind in the namespace
                try:
                    os.kill(int(pid), 9)
                except (ProcessLookupError, ValueError):
                    pass
            subprocess.run(["ip", "netns", "del", ns], check=False, capture_output=True)
