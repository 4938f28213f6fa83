"""A TCP proxy the browser tests can cut: real network failures between Chromium and the gateway.

Playwright's ``context.set_offline(True)`` only tells the page it is offline; an open websocket keeps working
in Chromium. To prove reconnection really works the tests put this proxy between the browser and the gateway
and then break the connection the way a network does: drop every open connection (``cut``), refuse new
ones for a while (``refuse``), or let bytes through one way only (``swallow_replies``: the server gets the
customer's frame but its ack never arrives, the case the client_id idempotency exists for).
"""

from __future__ import annotations

import socket
import threading


class CuttableProxy:
    """Forward 127.0.0.1:<port> to the gateway; every failure mode is switched from the test thread."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._refusing = False
        self._swallowing = False
        self._closed = False
        self.connections = 0  # accepted and forwarded, for asserting that a reconnect happened
        threading.Thread(target=self._accept_loop, name="netcut-accept", daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cut(self) -> None:
        """Drop every open connection at once (both directions), like a network going away."""
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for sock in pair:
                _close(sock)

    def retarget(self, host: str, port: int) -> None:
        """New connections go to another gateway from now on (a load balancer failing over)."""
        self.target = (host, port)

    def refuse(self, on: bool = True) -> None:
        """While on, new connections are accepted and closed at once (the gateway is unreachable)."""
        self._refusing = on

    def swallow_replies(self, on: bool = True) -> None:
        """While on, bytes from the gateway to the browser are dropped; the other direction still flows."""
        self._swallowing = on

    def close(self) -> None:
        self._closed = True
        self.cut()
        _close(self._listener)

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._refusing:
                _close(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._pairs.append((client, upstream))
                self.connections += 1
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, from_gateway: bool) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if from_gateway and self._swallowing:
                    continue
                dst.sendall(data)
        except OSError:
            pass
        finally:
            _close(src)
            _close(dst)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass
