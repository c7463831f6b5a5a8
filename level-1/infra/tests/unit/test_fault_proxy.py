"""The fault proxy moves bytes both ways and injects each fault it promises."""

from __future__ import annotations

import socket
import threading
import time
from typing import Iterator

import pytest

from fault_proxy import FaultProxy

pytestmark = pytest.mark.unit


@pytest.fixture
def echo_port() -> Iterator[int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        conns = []
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except socket.timeout:
                continue
            conns.append(conn)
            threading.Thread(target=_echo, args=(conn,), daemon=True).start()
        for conn in conns:
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


def _echo(conn: socket.socket) -> None:
    try:
        while data := conn.recv(4096):
            conn.sendall(data)
    except OSError:
        pass


def _roundtrip(port: int, payload: bytes, timeout: float = 2.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(payload)
        return sock.recv(4096)


def test_forwards_both_ways(echo_port: int) -> None:
    with FaultProxy(echo_port) as proxy:
        assert _roundtrip(proxy.port, b"hello") == b"hello"
        assert proxy.stats.accepted == 1
        assert proxy.stats.bytes_up == 5 and proxy.stats.bytes_down == 5


def test_drop_connections_resets_open_links(echo_port: int) -> None:
    with FaultProxy(echo_port) as proxy:
        sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=2)
        sock.sendall(b"x")
        assert sock.recv(10) == b"x"
        assert proxy.drop_connections() == 1
        with pytest.raises(OSError):
            sock.sendall(b"y")
            data = sock.recv(10)
            if data == b"":
                raise ConnectionResetError("closed")
        sock.close()


def test_refusing_closes_new_connections(echo_port: int) -> None:
    with FaultProxy(echo_port) as proxy:
        proxy.set_refusing(True)
        with pytest.raises(OSError):
            data = _roundtrip(proxy.port, b"x", timeout=1)
            if data == b"":
                raise ConnectionResetError("closed")
        assert proxy.stats.refused == 1
        proxy.set_refusing(False)
        assert _roundtrip(proxy.port, b"ok") == b"ok"


def test_stall_holds_bytes_until_released(echo_port: int) -> None:
    with FaultProxy(echo_port) as proxy:
        sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=0.5)
        proxy.set_stalled(True)
        time.sleep(0.1)
        sock.sendall(b"late")
        with pytest.raises(socket.timeout):
            sock.recv(10)
        proxy.set_stalled(False)
        sock.settimeout(2)
        assert sock.recv(10) == b"late"
        sock.close()


def test_delay_adds_latency(echo_port: int) -> None:
    with FaultProxy(echo_port) as proxy:
        proxy.set_delay(0.2)
        t0 = time.monotonic()
        assert _roundtrip(proxy.port, b"d") == b"d"
        assert time.monotonic() - t0 >= 0.4  # both directions


def test_only_loopback_upstreams() -> None:
    with pytest.raises(ValueError):
        FaultProxy(1883, upstream_host="10.0.0.1")
