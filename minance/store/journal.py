"""The write-ahead command journal with group commit, and engine snapshots.

Every command the engine accepts is appended here before its reply is sent. A single writer
thread takes whatever has queued up, writes it in one transaction and fsyncs once (SQLite
``synchronous=FULL``), then releases every waiting reply: one fsync serves many orders, which is
how acknowledged orders can be durable at thousands per second. Records are committed in append
order, so if a command is durable every command before it is too.

A failed commit is final (fail-stop): the records of that batch, and every one queued after it, are never
written; their waiters get ``JournalFailed``, later appends and barriers raise it, no snapshot is stored any
more, and ``on_failure`` tells the owner (the venue), whose engine now holds state the disk does not.

Snapshots go through the same writer, after every record before them: a snapshot at ``seq`` is stored only
once the records up to ``seq`` are committed, and never after a failure.

Restart = latest snapshot + replay of the journal after it.

Test hook: ``fail_after=N`` (``MINANCE_FAULT_JOURNAL_FAIL_AFTER`` for ``minance serve``) makes the first commit
that would take the journal past N records written by this process fail as a disk error would.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

log = logging.getLogger("minance.journal")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY, payload BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS snapshots (seq INTEGER PRIMARY KEY, state BLOB NOT NULL);
"""


class JournalError(Exception):
    """Nothing can be made durable any more."""


class JournalClosed(JournalError):
    pass


class JournalFailed(JournalError):
    """A commit failed: this journal writes nothing more (fail-stop)."""


class InjectedFault(OSError):
    """The test hook's commit failure."""


class _Snapshot:
    """A queued snapshot: stored by the writer after the records before it, then ``done`` is set."""

    __slots__ = ("done", "error", "seq", "state")

    def __init__(self, seq: int, state: bytes) -> None:
        self.seq, self.state = seq, state
        self.done = threading.Event()
        self.error: BaseException | None = None


class Journal:
    def __init__(self, path: Path, *, durable: bool = True, fail_after: int | None = None) -> None:
        self.path = path
        self.durable = durable
        self.failure: BaseException | None = None  # set once, by the writer: fail-stop
        self.on_failure: Callable[[BaseException], None] | None = None  # called from the writer thread
        self._fail_after = fail_after  # the test hook (see the module doc)
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
        # (seq, payload, waiter, its loop); a barrier has no payload, a snapshot a _Snapshot
        self._pending: list[tuple[int, bytes | _Snapshot | None, asyncio.Future | None,
                                  asyncio.AbstractEventLoop | None]] = []
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
            self._check_open()
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
            self._check_open()
            self._pending.append((0, None, future, loop))
            self._cond.notify()
        return future

    def append_nowait(self, payload: bytes) -> int:
        """Queue a record nobody waits for (market-maker re-quotes); still committed in order."""
        with self._cond:
            self._check_open()
            seq = self._next_seq
            self._next_seq += 1
            self._pending.append((seq, payload, None, None))
            self._cond.notify()
        return seq

    def _check_open(self) -> None:
        if self.failure is not None:
            raise JournalFailed("the journal failed earlier; nothing more is written") from self.failure
        if self._closed:
            raise JournalClosed("journal is closed")

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
        error: BaseException | None = self.failure
        records = [(s, p) for s, p, _, _ in batch if type(p) is bytes]
        if error is None and records:
            try:
                with self._db_lock:
                    self._conn.execute("BEGIN")
                    try:
                        self._maybe_inject(len(records))
                        self._conn.executemany("INSERT INTO journal VALUES (?, ?)", records)
                        self._conn.execute("COMMIT")
                    except BaseException:
                        self._rollback()
                        raise
                self.commits += 1
                self.records += len(records)
            except Exception as exc:  # the disk failed: no reply may claim durability, ever again
                log.exception("journal commit failed: the exchange stops (fail-stop)")
                error = self._fail(exc)
        for _, item, _, _ in batch:
            if type(item) is _Snapshot:
                self._store_snapshot(item, error)
        waiting: dict[asyncio.AbstractEventLoop, list] = {}
        for seq, _, future, loop in batch:
            if future is not None:
                waiting.setdefault(loop, []).append((future, seq))
        for loop, futures in waiting.items():  # one wake-up of the event loop per batch, not per record
            loop.call_soon_threadsafe(_settle_all, futures, error)

    def _maybe_inject(self, count: int) -> None:
        if self._fail_after is not None and self.records + count > self._fail_after:
            raise InjectedFault("injected journal commit failure (MINANCE_FAULT_JOURNAL_FAIL_AFTER)")

    def _fail(self, exc: BaseException) -> JournalFailed:
        failure = JournalFailed(f"journal commit failed: {exc}")
        failure.__cause__ = exc
        with self._cond:
            self.failure = failure
        if self.on_failure is not None:
            try:
                self.on_failure(failure)
            except Exception:
                log.exception("journal failure callback failed")
        return failure

    def _store_snapshot(self, item: _Snapshot, error: BaseException | None) -> None:
        if error is None:
            try:
                self._write_snapshot(item.seq, item.state)
            except Exception as exc:  # a lost snapshot loses nothing: the journal still holds every command
                log.exception("snapshot at seq %d not stored", item.seq)
                item.error = exc
        else:
            item.error = error
        item.done.set()

    def _write_snapshot(self, seq: int, state: bytes) -> None:
        with self._db_lock:
            self._conn.execute("BEGIN")
            try:
                self._conn.execute("INSERT OR REPLACE INTO snapshots VALUES (?, ?)", (seq, state))
                self._conn.execute("DELETE FROM journal WHERE seq <= ?", (seq,))
                self._conn.execute("DELETE FROM snapshots WHERE seq < ?", (seq,))
                self._conn.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        try:
            self._conn.execute("ROLLBACK")
        except sqlite3.Error:  # the failed statement may have ended the transaction already
            pass

    def queue_snapshot(self, seq: int, state: bytes) -> threading.Event:
        """Store engine state as of journal ``seq`` (and drop the journal up to it) once every record up to
        ``seq`` is committed; never after a failure. Returns an event set when the writer is done with it."""
        return self._queue_snapshot(_Snapshot(seq, state)).done

    def snapshot(self, seq: int, state: bytes) -> None:
        """``queue_snapshot`` and wait (shutdown, offline use); raises what kept it from being stored."""
        item = self._queue_snapshot(_Snapshot(seq, state))
        item.done.wait()
        if item.error is not None:
            raise item.error

    def _queue_snapshot(self, item: _Snapshot) -> _Snapshot:
        with self._cond:
            self._check_open()
            if self._thread is not None and self._thread.is_alive():
                self._pending.append((0, item, None, None))
                self._cond.notify()
                return item
        self._store_snapshot(item, None)  # no writer (offline use): every record is already written
        return item

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


def _settle_all(futures: list[tuple[asyncio.Future, int]], error: BaseException | None) -> None:
    for future, seq in futures:
        if future.done():
            continue
        if error is None:
            future.set_result(seq)
        else:
            future.set_exception(error)
