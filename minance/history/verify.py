"""``minance data verify``: re-check every cached series without trusting it.

For each (symbol, interval): every data file still hashes to what minance wrote (the manifest), reads, has
strictly increasing open times aligned to the interval, prices above zero with the high and low around the open
and close, no negative volume; and the gaps inside the cached range are listed (reported, never filled).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from minance.history import cache
from minance.history.manifest import Manifest, file_sha256
from minance.market.intervals import INTERVALS

__all__ = ["SeriesCheck", "verify_series"]


@dataclass
class SeriesCheck:
    symbol: str
    interval: str
    bars: int = 0
    first_ms: int | None = None
    last_ms: int | None = None
    problems: list[str] = field(default_factory=list)
    gaps: list[tuple[int, int]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, object]:
        return {"symbol": self.symbol, "interval": self.interval, "bars": self.bars, "first": self.first_ms,
                "last": self.last_ms, "ok": self.ok, "problems": self.problems,
                "gaps": [{"start": s, "end": e} for s, e in self.gaps]}


def verify_series(symbol: str, interval: str, root: Path | None = None) -> SeriesCheck:
    check = SeriesCheck(symbol, interval)
    folder = (root or cache.history_dir()) / "klines" / symbol / interval
    manifest = Manifest.load(folder)
    known = dict(manifest.files)
    for path in sorted(folder.glob("*.parquet")):
        expected = known.pop(path.name, None)
        if expected is None:
            check.problems.append(f"{path.name}: not recorded in the manifest (written outside minance?)")
        elif file_sha256(path) != expected:
            check.problems.append(f"{path.name}: changed since minance wrote it (sha256 mismatch)")
        try:
            table = pq.read_table(path)
        except (OSError, pa.ArrowException) as exc:
            check.problems.append(f"{path.name}: unreadable ({exc})")
            continue
        check.problems.extend(f"{path.name}: {p}" for p in _check(interval, table))
    check.problems.extend(f"{name}: in the manifest but missing" for name in sorted(known))
    if check.problems:
        return check  # coverage and gaps would read the damaged files again
    span = cache.coverage(symbol, interval, root=root)
    if span is not None:
        check.first_ms, check.last_ms, check.bars = span
        end = check.last_ms + (INTERVALS[interval] or 1)
        check.gaps = cache.gaps(symbol, interval, check.first_ms, end, root=root)
    return check


def _check(interval: str, table: pa.Table) -> list[str]:
    missing = [c for c in cache.COLUMNS if c not in table.column_names]
    if missing:
        return [f"missing columns {', '.join(missing)}"]
    out: list[str] = []
    t = table.column("open_time").to_numpy()
    if len(t) > 1 and (np.diff(t) <= 0).any():
        out.append("open times not strictly increasing (duplicates or disorder)")
    step = INTERVALS[interval]
    if step:
        offset = 4 * 86_400_000 if interval == "1w" else 0  # weeks open on Mondays; 1970-01-05 was one
        misaligned = np.nonzero((t - offset) % step)[0]
        if len(misaligned):
            out.append(f"{len(misaligned)} bar(s) not aligned to {interval}, first at {int(t[misaligned[0]])}")
    o, h, lo, c = (table.column(k).to_numpy() for k in ("open", "high", "low", "close"))
    bad = np.nonzero((lo <= 0) | (h < np.maximum(o, c)) | (lo > np.minimum(o, c)))[0]
    if len(bad):
        out.append(f"{len(bad)} bar(s) with a high/low outside the open/close, first at {int(t[bad[0]])}")
    for col in ("volume", "quote_volume", "trades"):
        if (table.column(col).to_numpy() < 0).any():
            out.append(f"negative {col}")
    return out
