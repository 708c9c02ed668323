"""The activity log and its alerts.

Records are buffered in memory and written by a background thread in batches (one transaction
every ``flush_interval_s``), so logging never costs a database round trip on the request path.
Alerts are decided here, synchronously, from what the server has seen.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

from minance.domain.activity import ActivityRecord, Alert, AlertKind
from minance.domain.errors import Err
from minance.store.base import Store

log = logging.getLogger("minance.activity")

WITHDRAW_PATH = "/sapi/v1/capital/withdraw/apply"
AUTH_FAILURE_CODES = frozenset({Err.INVALID_TIMESTAMP.code, Err.INVALID_SIGNATURE.code})
# -2010: symbol not in the key's allow-list
PERMISSION_CODES = frozenset({Err.UNAUTHORIZED.code, Err.SYMBOL_NOT_PERMITTED.code, Err.REJECTED_MBX_KEY.code})
MAX_LOGGED_SEGMENTS = 8
UNKNOWN_ROUTE_NOTE = "unknown route"


def route_segments(paths: Iterable[str]) -> frozenset[str]:
    """Every path segment of the served routes: the only words an unknown path may show in the log."""
    return frozenset(seg for path in paths for seg in path.split("/") if seg)


def loggable_path(path: str, known: frozenset[str]) -> str:
    """What the activity table and the debug log keep of a path that matched no route.

    A client may paste anything into a URL path (an API secret, a listen key), so only segments that some
    served route also has are kept; every other segment is ``*`` and the count is capped, which also bounds
    the row an unauthenticated request can write.
    """
    segments = path.split("/")[1:]
    shown = [seg if not seg or seg in known else "*" for seg in segments[:MAX_LOGGED_SEGMENTS]]
    if len(segments) > MAX_LOGGED_SEGMENTS:
        shown.append("...")
    return "/" + "/".join(shown)


class AlertRules:
    """Decides which records raise alerts. Pure: state in, alerts out."""

    def __init__(self, known_ips: dict[int, set[str]], *, burst_count: int = 5, burst_window_ms: int = 60_000,
                 grace_repeat_ms: int = 3_600_000) -> None:
        self.known_ips = known_ips
        self.burst_count = burst_count
        self.burst_window_ms = burst_window_ms
        self.grace_repeat_ms = grace_repeat_ms
        self._failures: dict[int, deque[int]] = {}
        self._last_burst: dict[int, int] = {}
        self._last_grace: dict[int, int] = {}

    def evaluate(self, rec: ActivityRecord, *, in_grace: bool, new_ips: list[tuple[int, str, int]]) -> list[Alert]:
        alerts: list[Alert] = []
        kid = rec.key_id
        if kid is None:
            return alerts

        def alert(kind: AlertKind, detail: str) -> None:
            alerts.append(Alert(rec.ts_ms, kid, rec.account_id, kind, detail))

        seen = self.known_ips.setdefault(kid, set())
        if rec.ip not in seen:
            if seen:  # the first address a key is used from is its baseline, not news
                alert(AlertKind.NEW_IP, f"key {rec.key_masked} used from new address {rec.ip}")
            seen.add(rec.ip)
            new_ips.append((kid, rec.ip, rec.ts_ms))
        if rec.code in AUTH_FAILURE_CODES:
            window = self._failures.setdefault(kid, deque())
            window.append(rec.ts_ms)
            while window and window[0] <= rec.ts_ms - self.burst_window_ms:
                window.popleft()
            last = self._last_burst.get(kid, -self.burst_window_ms)
            if len(window) >= self.burst_count and rec.ts_ms - last >= self.burst_window_ms:
                self._last_burst[kid] = rec.ts_ms
                alert(AlertKind.AUTH_FAILURE_BURST,
                      f"{len(window)} signature/timestamp failures within {self.burst_window_ms // 1000}s")
        if rec.code in PERMISSION_CODES and rec.note.startswith("denied"):  # not unknown/revoked keys
            alert(AlertKind.PERMISSION_DENIED, f"{rec.method} {rec.path}: {rec.note}")
        if rec.path == WITHDRAW_PATH:
            outcome = "accepted" if rec.code == 0 else f"rejected ({rec.code})"
            alert(AlertKind.WITHDRAWAL_ATTEMPT, f"withdrawal request from {rec.ip}: {outcome}")
        if in_grace and rec.ts_ms - self._last_grace.get(kid, -self.grace_repeat_ms) >= self.grace_repeat_ms:
            self._last_grace[kid] = rec.ts_ms
            alert(AlertKind.GRACE_PERIOD_USE, "a rotated key is still in use during its grace period")
        return alerts


class ActivityLog:
    """Buffers records and alerts; a daemon thread flushes them through its own store connection."""

    def __init__(self, open_store: Callable[[], Store], known_ips: dict[int, set[str]], *,
                 flush_interval_s: float = 0.1) -> None:
        self._open_store = open_store
        self.rules = AlertRules(known_ips)
        self.flush_interval_s = flush_interval_s
        self._lock = threading.Lock()
        self._records: list[ActivityRecord] = []
        self._alerts: list[Alert] = []
        self._new_ips: list[tuple[int, str, int]] = []
        self._last_used: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def record(self, rec: ActivityRecord, *, in_grace: bool = False) -> None:
        new_ips: list[tuple[int, str, int]] = []
        alerts = self.rules.evaluate(rec, in_grace=in_grace, new_ips=new_ips)
        with self._lock:
            self._records.append(rec)
            if alerts:
                self._alerts.extend(alerts)
                for a in alerts:
                    log.warning("alert %s: %s", a.kind.value, a.detail)
            if new_ips:
                self._new_ips.extend(new_ips)
            if rec.key_id is not None and rec.code == 0:
                self._last_used[rec.key_id] = rec.ts_ms

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="minance-activity", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _take(self) -> tuple[list, list, list, dict]:
        with self._lock:
            batch = (self._records, self._alerts, self._new_ips, self._last_used)
            self._records, self._alerts, self._new_ips, self._last_used = [], [], [], {}
        return batch

    def _run(self) -> None:
        store = self._open_store()
        try:
            while not self._stop.wait(self.flush_interval_s):
                self._flush(store)
            self._flush(store)
        finally:
            store.close()

    def _flush(self, store: Store) -> None:
        records, alerts, new_ips, last_used = self._take()
        if not (records or alerts or new_ips):
            return
        for attempt in range(3):
            try:
                store.record_activity(records, alerts, new_ips, last_used)
                return
            except Exception:  # a locked database (CLI writing) must not lose the batch
                log.exception("activity flush failed (attempt %d)", attempt + 1)
                time.sleep(0.2)
