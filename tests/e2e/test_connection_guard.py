"""Issue 9 item 2: half-sent requests are closed after the read timeouts, and one IP's connections are capped
with a clean refusal, on a real ``minance serve`` (short timeouts and a small cap from the environment)."""

from __future__ import annotations

import json
import socket
import time
from contextlib import ExitStack

import pytest

from tests.e2e.wsclient import ws_connect
from tests.support import Server

TIMEOUT_S = 1.0
CAP = 6


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("guard") / "data", "--no-market",
                 env={"MINANCE_HTTP_HEADER_TIMEOUT": str(TIMEOUT_S), "MINANCE_HTTP_BODY_TIMEOUT": str(TIMEOUT_S),
                      "MINANCE_CONNECTIONS_PER_IP": str(CAP)})
    yield srv
    srv.stop()


def _connect(server, source: str = "127.0.0.1") -> socket.socket:
    sock = socket.socket()
    sock.settimeout(10)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", server.port))
    return sock


def _read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    out = b""
    while chunk := sock.recv(65536):
        out += chunk
    return out


def _get(server, path: str, source: str = "127.0.0.1") -> tuple[int, dict]:
    with _connect(server, source) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        head, _, body = _read_all(sock).partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


PARTIAL = (b"", b"GET /api/v3/pi", b"GET /api/v3/ping HTTP/1.1\r\nHost: x\r\n",
           b"POST /api/v3/order HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
           b"Content-Length: 100\r\n\r\nsymbol=BTCUSDT&side=BUY")  # nothing, a request line, headers, a body


def test_partial_headers_and_bodies_are_closed_after_the_timeout(server):
    started = time.monotonic()
    held = []
    for i in range(60):  # many half-sent requests, from 12 addresses (each below the cap)
        sock = _connect(server, source=f"127.0.1.{i // 5 + 1}")
        sock.sendall(PARTIAL[i % len(PARTIAL)])
        held.append(sock)
    assert _get(server, "/api/v3/ping") == (200, {})  # the server keeps serving meanwhile
    for sock in held:
        with sock:
            # closed without an answer: a half-sent request is never executed
            assert _read_all(sock) == b""
    waited = time.monotonic() - started
    assert TIMEOUT_S * 0.9 <= waited < TIMEOUT_S + 5  # by the timer, not at once
    assert "Traceback" not in server.log()


def test_trickling_headers_do_not_extend_the_deadline(server):
    with _connect(server) as sock:
        started = time.monotonic()
        for part in (b"GET /api/v3/", b"ping HTTP/1.1\r\n", b"Host: x\r\n"):
            sock.sendall(part)
            time.sleep(TIMEOUT_S / 3)  # slower than the deadline allows in total
        assert _read_all(sock) == b""
        assert time.monotonic() - started < TIMEOUT_S + 5


def test_connections_over_the_cap_are_refused_cleanly(server):
    with ExitStack() as others:
        holders = [others.enter_context(ws_connect(server, "/ws/btcusdt@trade")) for _ in range(CAP)]  # WS count
        status, body = _get(server, "/api/v3/ping")
        assert status == 429 and body["code"] == -1003
        assert body["msg"] == f"Too many connections from this IP; current limit is {CAP}."
        assert _get(server, "/api/v3/ping", source="127.0.0.2") == (200, {})  # other clients are served
        holders[0].close()
        # one slot free again: the same IP is served (the server sees the close a moment later)
        deadline = time.monotonic() + 5
        while (answer := _get(server, "/api/v3/ping"))[0] == 429 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert answer == (200, {})
