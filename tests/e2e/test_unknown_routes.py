"""Issue 9 item 2: a path that matches no route is answered 404 but never stored or logged as sent.

A secret pasted into a URL path must not land in minance.db (activity table) or the server's debug log, and
unauthenticated 404s with long paths must not grow the activity rows without bound."""

from __future__ import annotations

import secrets
import sqlite3

import httpx

from tests.support import running_server

MAX_LOGGED_PATH = 200  # loggable_path: at most 8 segments, each a served route's word or "*"


def test_unknown_paths_are_recorded_as_routes_not_verbatim(tmp_path):
    secret = secrets.token_hex(32)  # looks like an API secret
    data = tmp_path / "data"
    long_tail = "/".join(f"{secret[:8]}{i}" for i in range(500))
    sent = [f"/api/v3/{secret}", f"/sapi/v1/capital/{secret}/x", f"/{secret}", f"/api/v3/order/{long_tail}"]
    with running_server(data, "--no-market", "--log-level", "debug") as server:
        for path in sent:
            reply = httpx.get(server.url + path)
            body = reply.json()
            assert (reply.status_code, body["code"]) == (404, -1000)
            assert body["msg"].endswith(", Method: GET is invalid")
        assert httpx.get(server.url + "/api/v3/ping").status_code == 200
    log = server.log_path.read_text()
    assert secret not in log and secret[:8] not in log
    assert "GET /api/v3/* 404 code=-1000" in log  # the debug line names the route shape
    stored = b"".join(p.read_bytes() for p in data.iterdir() if p.name.startswith("minance.db"))
    assert secret.encode() not in stored and secret[:8].encode() not in stored
    with sqlite3.connect(data / "minance.db") as db:
        rows = db.execute("SELECT path, note FROM activity WHERE code = -1000 ORDER BY id").fetchall()
    assert [r[0] for r in rows] == ["/api/v3/*", "/sapi/v1/capital/*/*", "/*", "/api/v3/order/*/*/*/*/*/..."]
    assert all(len(path) <= MAX_LOGGED_PATH and note == "unknown route" for path, note in rows)
