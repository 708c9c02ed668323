"""The data dir (issue 9): private files, and no stale server.json naming a dead process."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

from minance.store import open_store
from minance.store.lock import INFO_FILE, ServerLock, running_server_url


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_open_store_makes_the_dir_and_its_databases_private(tmp_path):
    data = tmp_path / "data"
    store = open_store(data)
    store.create_account("alice", 1)
    store.close()
    assert mode(data) == 0o700
    assert {p.name: mode(p) for p in data.iterdir() if p.name.startswith("minance.db")} == {
        p.name: 0o600 for p in data.iterdir() if p.name.startswith("minance.db")}


def test_open_store_tightens_a_loose_data_dir(tmp_path):
    data = tmp_path / "data"
    open_store(data).close()
    (data / "journal.db").write_bytes(b"")
    for path in (data, data / "minance.db", data / "journal.db"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    open_store(data).close()
    assert mode(data) == 0o700 and mode(data / "minance.db") == 0o600 and mode(data / "journal.db") == 0o600


def test_a_stale_server_json_is_dropped(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / "server.lock").write_bytes(b"")
    (tmp_path / INFO_FILE).write_text(json.dumps({"pid": int(dead.stdout), "url": "http://127.0.0.1:1"}))
    assert running_server_url(tmp_path) is None  # nobody holds the lock: the note names a dead process
    assert not (tmp_path / INFO_FILE).exists()

    (tmp_path / INFO_FILE).write_text(json.dumps({"pid": int(dead.stdout), "url": "http://127.0.0.1:1"}))
    lock = ServerLock(tmp_path)  # a starting server drops it too, before it publishes its own
    assert not (tmp_path / INFO_FILE).exists()
    lock.publish("http://127.0.0.1:2")
    assert running_server_url(tmp_path) == "http://127.0.0.1:2"
    lock.release()
    assert running_server_url(tmp_path) is None
