"""The write-ahead command journal with group commit, and engine snapshots.

Every command the engine accepts is appended here before its reply is sent. A single writer
thread takes whatever has queued up, writes it in one transaction and fsyncs once (SQLite
``synchronous=FULL``), then releases every waiting reply: one fsync serves many orders, which is
how acknowledged orders can be durable at thousands per second. Records are committed in append
order, so if a command is durable every command before it is too.

Restart = latest snapshot + replay of the journal after it.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger("minance.journal")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY, payload BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS snapshots (seq INTEGER PRIMARY KEY, state BLOB NOT NULL);
"""


class JournalClosed(Exception):
    pass


class Journal:
    def __init__(self, path: Path, *, durable: bool = True) -> None:
        self.path = path
        self.durable = durable
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'OFF'}")
        # fewer, larger checkpoints: a checkpoint runs inside a commit and would stall the group commit
        self._conn.execute("PRAGMA wal_autocheckpoint=20000")
        self._conn.executescript(_SCHEMA)
        row = self._conn.execute("SELECT MAX(seq) FROM journal").fetchone()
        snap = self._conn.execute("SELECT MAX(seq) FROM snapshots").fetchone()
        self._next_seq = max(row[0] or 0, snap[0] or 0) + 1
        self._cond = threading.Condition()
        self._db_lock = threading.Lock()  # one connection, used by the writer and by snapshot()
        self._pending: list[tuple[int, bytes, asyncio.Future | None, asyncio.AbstractEventLoop | None]] = []
        self._closed = False
        self._thread: threading.Thread | None = None
        self.commits = 0  # fsynced transactions (for the benchmark's report)
        self.records = 0

    # -- reading (at startup, before the writer runs) ------------------------------------------
    def latest_snapshot(self) -> tuple[int, bytes] | None:
        row = self._conn.execute("SELECT seq, state FROM snapshots ORDER BY seq DESC LIMIT 1").fetchone()
        return (row[0], bytes(row[1])) if row else None

    def replay(self, after_seq: int = 0) -> Iterator[tuple[int, bytes]]:
        cursor = self._conn.execute("SELECT seq, payload FROM journal WHERE seq > ? ORDER BY seq", (after_seq,))
        for seq, payload in cursor:
            yield seq, bytes(payload)

    # -- writing -------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="minance-journal", daemon=True)
        self._thread.start()

    def append(self, payload: bytes) -> asyncio.Future:
        """Queue a record; the returned future resolves (with its seq) once it is on disk."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        with self._cond:
            if self._closed:
                raise JournalClosed("journal is closed")
            seq = self._next_seq
            self._next_seq += 1
            self._pending.append((seq, payload, future, loop))
            self._cond.notify()
        return future

    def barrier(self) -> asyncio.Future:
        """Resolves once everything queued before it is on disk (writes nothing itself)."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        with self._cond:
            if self._closed:
                raise JournalClosed("journal is closed")
            self._pending.append((0, None, future, loop))
            self._cond.notify()
        return future

    def append_nowait(self, payload: bytes) -> int:
        """Queue a record nobody waits for (market-maker re-quotes); still committed in order."""
        with self._cond:
            if self._closed:
                raise JournalClosed("journal is closed")
            seq = self._next_seq
            self._next_seq += 1
            self._pending.append((seq, payload, None, None))
            self._cond.notify()
        return seq

    def append_sync(self, payload: bytes) -> int:
        """Write one record durably from a thread with no writer running (offline CLI use)."""
        with self._cond:
            seq = self._next_seq
            self._next_seq += 1
        with self._db_lock:
            self._conn.execute("INSERT INTO journal VALUES (?, ?)", (seq, payload))
        return seq

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._closed:
                    self._cond.wait()
                batch, self._pending = self._pending, []
                closing = self._closed
            if batch:
                self._commit(batch)
            if closing and not batch:
                return

    def _commit(self, batch) -> None:
        try:
            with self._db_lock:
                self._conn.execute("BEGIN")
                self._conn.executemany("INSERT INTO journal VALUES (?, ?)",
                                       [(s, p) for s, p, _, _ in batch if p is not None])
                self._conn.execute("COMMIT")
            self.commits += 1
            self.records += sum(1 for _, p, _, _ in batch if p is not None)
            error = None
        except Exception as exc:  # the disk failed: no reply may claim durability
            log.exception("journal commit failed")
            try:
                with self._db_lock:
                    self._conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            error = exc
        waiting: dict[asyncio.AbstractEventLoop, list] = {}
        for seq, _, future, loop in batch:
            if future is not None:
                waiting.setdefault(loop, []).append((future, seq))
        for loop, futures in waiting.items():  # one wake-up of the event loop per batch, not per record
            loop.call_soon_threadsafe(_settle_all, futures, error)

    def snapshot(self, seq: int, state: bytes) -> None:
        """Store engine state as of journal ``seq`` and drop the journal up to it. Records at or before
        ``seq`` still queued are written after and ignored by replay; later ones are kept."""
        with self._db_lock:
            self._conn.execute("BEGIN")
            self._conn.execute("INSERT OR REPLACE INTO snapshots VALUES (?, ?)", (seq, state))
            self._conn.execute("DELETE FROM journal WHERE seq <= ?", (seq,))
            self._conn.execute("DELETE FROM snapshots WHERE seq < ?", (seq,))
            self._conn.execute("COMMIT")

    def last_seq(self) -> int:
        with self._cond:
            return self._next_seq - 1

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._conn.close()


def _settle_all(futures: list[tuple[asyncio.Future, int]], error: Exception | None) -> None:
    for future, seq in futures:
        if future.done():
            continue
        if error is None:
            future.set_result(seq)
        else:
            future.set_exception(error)
