"""WebSockets under load and faults, each on a dedicated server with tight limits: a reader that stops reading
is dropped with a clear close reason while the others carry on; a peer that never answers pings is closed;
a connection ends after its lifetime; handshakes per IP are limited."""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import time

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.e2e.wsclient import recv_json, ws_connect
from tests.support import Server, wait_for

HEAVY = ["btcusdt", "ethusdt", "ethbtc", "bnbusdt", "bnbbtc", "solusdt"]


@pytest.fixture(scope="module")
def slow_server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("ws-slow") / "data",
                 env={"MINANCE_WS_SEND_QUEUE": "20", "MINANCE_WS_SEND_QUEUE_BYTES": "1000000",
                      "MINANCE_WS_MESSAGES_PER_S": "0"})
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def timer_server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("ws-timers") / "data",
                 env={"MINANCE_WS_PING_INTERVAL": "0.2", "MINANCE_WS_PONG_TIMEOUT": "0.4", "MINANCE_WS_LIFETIME": "2",
                      "MINANCE_WS_CONNECTIONS_PER_5M": "8"})
    yield srv
    srv.stop()


# -- a bare-bones client that does only what a test tells it to (no automatic pong) -----------------------
def raw_connect(server, path: str, *, rcvbuf: int | None = None) -> socket.socket:
    sock = socket.socket()
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(5)
    sock.connect(("127.0.0.1", server.port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def send_text(sock: socket.socket, text: str) -> None:
    """One masked text frame, as a client must send it."""
    payload = text.encode()
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else
                            bytes([0x80 | 126]) + struct.pack("!H", n) if n < 65536 else
                            bytes([0x80 | 127]) + struct.pack("!Q", n))
    sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))


def _exactly(sock: socket.socket, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise EOFError
        out += chunk
    return out


def read_frames(sock: socket.socket, timeout: float) -> list[tuple[int, bytes]]:
    """Server frames (opcode, payload) until a close frame, the end of the stream, or ``timeout``."""
    frames: list[tuple[int, bytes]] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            sock.settimeout(max(deadline - time.monotonic(), 0.01))
            b0, b1 = _exactly(sock, 2)
            length = b1 & 0x7F
            if length == 126:
                length = struct.unpack("!H", _exactly(sock, 2))[0]
            elif length == 127:
                length = struct.unpack("!Q", _exactly(sock, 8))[0]
            frames.append((b0 & 0x0F, _exactly(sock, length)))
            if b0 & 0x0F == 0x8:
                break
    except (EOFError, TimeoutError, ConnectionResetError):
        pass
    return frames


def close_of(frames: list[tuple[int, bytes]]) -> tuple[int, str] | None:
    for opcode, payload in frames:
        if opcode == 0x8:
            return struct.unpack("!H", payload[:2])[0], payload[2:].decode()
    return None


# -- slow consumer ---------------------------------------------------------------------------------------
def test_a_slow_consumer_is_dropped_with_a_reason(slow_server):
    real = [f"{s}@depth{n}@100ms" for s in HEAVY for n in (5, 10, 20)] + ["!ticker@arr", "btcusdt@trade"]
    names = real + [f"sym{i}usdt@kline_1m" for i in range(1024 - len(real))]
    sock = raw_connect(slow_server, "/ws", rcvbuf=4096)
    try:
        with ws_connect(slow_server, "/ws/btcusdt@trade") as healthy:
            send_text(sock, json.dumps({"method": "SUBSCRIBE", "params": names, "id": 0}))
            for i in range(1, 400):  # each answer lists 1024 streams (~20 kB); the client reads nothing
                send_text(sock, json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": i}))
            wait_for(lambda: "Slow consumer" in slow_server.log(), timeout=15, interval=0.1)
            frames = read_frames(sock, 4)  # what the transport still held, then the close frame
            code, reason = close_of(frames) or (None, "")
            assert code == 1008 and reason.startswith("Slow consumer: more than 20 messages"), frames[-3:]
            data = [json.loads(p) for op, p in frames if op == 0x1]
            assert data[0] == {"result": None, "id": 0}
            assert [m["id"] for m in data if "result" in m] == list(range(len([m for m in data if "result" in m])))
            # everyone else is served as before
            assert recv_json(healthy, 5)["e"] == "trade"
    finally:
        sock.close()


# -- pings, lifetime, handshakes --------------------------------------------------------------------------
def test_a_peer_that_never_answers_pings_is_closed(timer_server):
    sock = raw_connect(timer_server, "/ws/btcusdt@trade")
    started = time.monotonic()
    try:
        frames = read_frames(sock, 3)
    finally:
        sock.close()
    elapsed = time.monotonic() - started
    assert any(op == 0x9 for op, _ in frames)  # pinged
    assert close_of(frames) == (1011, "keepalive ping timeout")
    assert elapsed < 1.8  # ping after 0.2 s, no pong within 0.4 s; before the 2 s lifetime


def test_a_connection_ends_after_its_lifetime(timer_server):
    started = time.monotonic()
    received = 0
    with ws_connect(timer_server, "/ws/btcusdt@trade") as ws:  # answers pings: only the lifetime ends it
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                ws.recv(timeout=5)
                received += 1
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1000, "Connection lifetime ended; reconnect")
    assert 1.8 < time.monotonic() - started < 4 and received >= 1


def test_connection_attempts_per_ip_are_limited(timer_server):
    refused = None
    for _ in range(10):
        try:
            with ws_connect(timer_server, "/ws"):
                pass
        except InvalidStatus as exc:
            refused = exc
            break
    assert refused is not None, "never refused"
    assert refused.response.status_code == 429
    body = json.loads(refused.response.body)
    assert body["code"] == -1003 and body["msg"] == "Too many connection attempts; current limit is 8 per 5 MINUTE."
    assert int(refused.response.headers["Retry-After"]) > 0
