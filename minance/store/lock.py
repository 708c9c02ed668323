"""One server per data dir: an exclusive lock, and a note of where it listens for the CLI to find.

The lock belongs to the data dir (the storage layer), not to the server: the offline CLI takes the same lock when
it appends to the journal itself, so both the server and the venue's offline path use it from here.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

__all__ = ["INFO_FILE", "LOCK_FILE", "STARTING", "DataDirBusy", "ServerLock", "running_server_url"]

LOCK_FILE = "server.lock"
INFO_FILE = "server.json"
STARTING = "starting"


class DataDirBusy(Exception):
    pass


class ServerLock:
    """Held for the server's lifetime; the kernel releases it if the process dies (even on kill -9)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            raise DataDirBusy(f"another minance server is already using {data_dir}") from None
        # Holding the lock means nobody serves this dir: a server.json left by a killed server is stale.
        (data_dir / INFO_FILE).unlink(missing_ok=True)

    def publish(self, url: str) -> None:
        info = {"pid": os.getpid(), "url": url}
        tmp = self.data_dir / f".{INFO_FILE}.{os.getpid()}"
        tmp.write_text(json.dumps(info))
        os.replace(tmp, self.data_dir / INFO_FILE)

    def release(self) -> None:
        try:
            (self.data_dir / INFO_FILE).unlink(missing_ok=True)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)


def running_server_url(data_dir: Path) -> str | None:
    """The URL of the server holding ``data_dir``; None when no server runs on it; STARTING while a server
    holds the lock but has not yet published its address."""
    path = data_dir / LOCK_FILE
    if not path.exists():
        (data_dir / INFO_FILE).unlink(missing_ok=True)
        return None
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        try:
            return json.loads((data_dir / INFO_FILE).read_text())["url"]
        except (OSError, ValueError, KeyError):
            return STARTING
    else:
        # Nobody holds the lock, so any server.json names a dead process: drop it while we hold the lock.
        (data_dir / INFO_FILE).unlink(missing_ok=True)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
