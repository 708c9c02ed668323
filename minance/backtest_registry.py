"""The backtest reports a user has written, so that the web console (and scripts) can list and open them.

``minance backtest run ... --report DIR`` records each report in one JSON index: ``$MINANCE_BACKTESTS`` when set,
else ``minance/backtests/index.json`` in the user's data dir (``$XDG_DATA_HOME``, else ``~/.local/share`` — the same
base as the bots home). An entry holds the report's absolute folder, what was run (strategy, parameters, symbol,
interval, range) and its headline metrics. Readers only ever open the files named in :data:`SERVED_FILES` inside a
folder the index names: a caller hands in an id, never a path.

Pure file I/O, outside the ``minance.backtest`` package on purpose: the server lists reports without importing the
backtest engine (numpy and pyarrow, the ``backtest`` extra; a third of a second). The index is rewritten whole and
atomically (temp file + rename, mode 0600) under an advisory lock, so two backtests finishing together do not lose
each other's entry.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

__all__ = ["BACKTESTS_ENV", "MAX_ENTRIES", "SERVED_FILES", "entries", "find", "index_path", "record", "report_file",
           "valid_id"]

BACKTESTS_ENV = "MINANCE_BACKTESTS"
MAX_ENTRIES = 500  # the oldest drop out of the index (their files stay where they are)
SERVED_FILES = ("report.html", "equity.png")  # the only files of a report folder a reader may open
_ID = re.compile(r"[0-9a-f]{16}")
# summary.json's metric names → the index's (camelCase, like the admin API)
_METRICS = {"total_return": "totalReturn", "cagr": "cagr", "sharpe": "sharpe", "sortino": "sortino",
            "max_drawdown": "maxDrawdown", "max_drawdown_days": "maxDrawdownDays", "calmar": "calmar",
            "trades": "trades", "win_rate": "winRate", "profit_factor": "profitFactor", "exposure": "exposure",
            "fees": "fees", "fills": "fills", "start_equity": "startEquity", "end_equity": "endEquity"}


def index_path(env: Mapping[str, str] | None = None) -> Path:
    """``$MINANCE_BACKTESTS``, else ``minance/backtests/index.json`` under the user's data dir (XDG)."""
    env = os.environ if env is None else env
    if env.get(BACKTESTS_ENV):
        return Path(env[BACKTESTS_ENV]).expanduser()
    base = Path(env.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "minance" / "backtests" / "index.json"


def valid_id(report_id: str) -> bool:
    return bool(_ID.fullmatch(report_id))


def _id_for(folder: Path) -> str:
    # one entry per folder: running again into the same --report DIR replaces its entry
    return hashlib.sha256(str(folder).encode()).hexdigest()[:16]


def _load(path: Path) -> list[dict[str, Any]]:
    """The entries; a missing index is empty, and so is an unreadable one (a reader never fails on it)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):  # missing, unreadable or not JSON
        return []
    items = data.get("reports") if isinstance(data, dict) else None
    return [e for e in items if isinstance(e, dict) and valid_id(str(e.get("id", "")))] if isinstance(items, list) \
        else []


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - no advisory locks on this platform: last writer wins
        yield
        return
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _write(path: Path, items: list[dict[str, Any]]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".index-", suffix=".tmp", dir=path.parent)  # created 0600
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump({"version": 1, "reports": items}, fh, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _entry(folder: Path, summary: Mapping[str, Any], created_ms: int) -> dict[str, Any]:
    metrics = summary.get("metrics") or {}
    bench = summary.get("buyAndHold") or {}
    return {
        "id": _id_for(folder), "path": str(folder), "created": created_ms,
        "strategy": summary.get("strategy"), "params": dict(summary.get("params") or {}),
        "symbol": summary.get("symbol"), "interval": summary.get("interval"),
        "start": summary.get("start"), "end": summary.get("end"), "bars": summary.get("bars"),
        "fillModel": summary.get("fillModel"), "fingerprint": summary.get("fingerprint"),
        "flaggedBars": len(summary.get("flaggedBars") or []),
        "metrics": {out: metrics.get(name) for name, out in _METRICS.items()},
        "buyAndHold": {"totalReturn": bench.get("total_return"), "maxDrawdown": bench.get("max_drawdown")},
    }


def record(folder: str | Path, summary: Mapping[str, Any], *, index: Path | None = None,
           now_ms: int | None = None) -> dict[str, Any]:
    """Record the report written to ``folder`` (``summary`` is its summary.json: ``BacktestResult.as_json()``);
    returns its entry. Raises OSError when the index cannot be written."""
    path = index or index_path()
    entry = _entry(Path(folder).expanduser().resolve(), summary,
                   time.time_ns() // 1_000_000 if now_ms is None else now_ms)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with _locked(path):
        items = [e for e in _load(path) if e.get("id") != entry["id"]]
        items.append(entry)
        items.sort(key=lambda e: e.get("created") or 0)
        _write(path, items[-MAX_ENTRIES:])
    return entry


def entries(index: Path | None = None) -> list[dict[str, Any]]:
    """Every recorded report, newest first."""
    return sorted(_load(index or index_path()), key=lambda e: e.get("created") or 0, reverse=True)


def find(report_id: str, index: Path | None = None) -> dict[str, Any] | None:
    if not valid_id(report_id):
        return None
    return next((e for e in _load(index or index_path()) if e.get("id") == report_id), None)


def report_file(report_id: str, name: str, index: Path | None = None) -> Path | None:
    """The file ``name`` (one of :data:`SERVED_FILES`) of the report ``report_id``, when the index has that id and
    the file is still there; None otherwise. The folder comes from the index only, and the file must resolve
    inside it (a link pointing elsewhere is not followed out)."""
    if name not in SERVED_FILES:
        return None
    entry = find(report_id, index)
    if entry is None or not isinstance(entry.get("path"), str):
        return None
    folder = Path(entry["path"])
    if not folder.is_absolute():
        return None
    try:
        base = folder.resolve(strict=True)
        target = (base / name).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if target.parent != base or not target.is_file():
        return None
    return target
