"""Engine snapshots written without stopping the event loop.

A snapshot must be the engine's state at one journal position. At 100k resting orders building its rows takes
~0.6 s and encoding them another ~0.2 s, all of it holding the GIL, so neither a thread nor a copy made on the
loop keeps the loop free. Instead the loop forks (a few ms: page tables only): the child process is a
copy-on-write image of the engine exactly as of ``journal.last_seq()`` (every command the engine applied has
been appended by then, synchronously, and nothing after it), encodes it and writes it into a pipe, then exits.
A thread of the server reads the pipe and hands the bytes to the journal, whose writer stores them after the
records up to that seq are committed, and never after a journal failure (``Journal.queue_snapshot``).

The child touches nothing but the engine and the pipe: it closes every other descriptor at once (so it holds
no lock or socket of the server, not even after a ``kill -9`` of the parent), never collects garbage (that
would copy every page of the heap), never logs, and leaves with ``os._exit``. Where ``fork`` is missing the
snapshot is taken on the loop, as before.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
from collections.abc import Callable

log = logging.getLogger("minance.venue")

Encoder = Callable[[], bytes]
Store = Callable[[int, bytes], object]

_CHUNK = 1 << 20


class BackgroundSnapshots:
    """At most one snapshot in flight; ``take`` returns False when one still is (the next trigger retries)."""

    def __init__(self, store: Store, *, use_fork: bool | None = None) -> None:
        self.store = store  # Journal.queue_snapshot
        self.use_fork = hasattr(os, "fork") if use_fork is None else use_fork
        self._busy = threading.Lock()
        self.taken = 0  # snapshots handed to the journal (for tests and the benchmark)
        self.failed = 0

    def busy(self) -> bool:
        return self._busy.locked()

    def take(self, seq: int, encode: Encoder) -> bool:
        """Snapshot the state ``encode`` renders, as of journal ``seq``. Call it on the engine's thread."""
        if not self._busy.acquire(blocking=False):
            return False
        if not self.use_fork:
            try:
                self._hand_over(seq, encode())
            finally:
                self._busy.release()
            return True
        read_fd, write_fd = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_fd)
            os.close(write_fd)
            log.exception("could not fork for a snapshot; taking it on the loop")
            try:
                self._hand_over(seq, encode())
            finally:
                self._busy.release()
            return True
        if pid == 0:  # the child: never returns
            _child(read_fd, write_fd, encode)
        os.close(write_fd)
        threading.Thread(target=self._collect, args=(pid, read_fd, seq), name="minance-snapshot",
                         daemon=True).start()
        return True

    def wait(self, timeout: float | None = None) -> bool:
        """Until no snapshot is in flight (tests, shutdown); False on timeout."""
        if not self._busy.acquire(timeout=-1 if timeout is None else timeout):
            return False
        self._busy.release()
        return True

    def _collect(self, pid: int, read_fd: int, seq: int) -> None:
        try:
            chunks = []
            with os.fdopen(read_fd, "rb", buffering=0) as pipe:
                while chunk := pipe.read(_CHUNK):
                    chunks.append(chunk)
            _, status = os.waitpid(pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                self.failed += 1
                log.error("snapshot process %d failed (status %d); the journal keeps every command", pid, status)
                return
            self._hand_over(seq, b"".join(chunks))
        except Exception:
            self.failed += 1
            log.exception("snapshot at seq %d not taken; the journal keeps every command", seq)
        finally:
            self._busy.release()

    def _hand_over(self, seq: int, state: bytes) -> None:
        try:
            self.store(seq, state)
            self.taken += 1
        except Exception as exc:  # the journal closed or failed meanwhile: this snapshot must not be stored
            self.failed += 1
            log.warning("snapshot at seq %d dropped: %s", seq, exc)


def _child(read_fd: int, write_fd: int, encode: Encoder) -> None:
    code = 1
    try:
        gc.disable()
        os.close(read_fd)
        _close_all_but(write_fd)
        view = memoryview(encode())
        while view:
            view = view[os.write(write_fd, view):]
        code = 0
    except BaseException:  # noqa: S110 - nothing to report to: the parent sees the exit status
        pass
    finally:
        os._exit(code)


def _close_all_but(keep: int) -> None:
    os.closerange(3, keep)
    os.closerange(keep + 1, _max_fd())


def _max_fd() -> int:
    try:
        return os.sysconf("SC_OPEN_MAX")
    except (ValueError, OSError):
        return 65536
