"""Binance public-data kline files (``minance serve --klines DIR``) and the feed that replays them.

Files are found anywhere under the folder (the ``data/spot/{daily,monthly}/klines/SYMBOL/1m/`` tree or flat) by
name: daily ``BTCUSDT-1m-2024-01-15.csv|zip`` and monthly ``BTCUSDT-1m-2024-01.csv|zip``. A zip holds one CSV.
Rows: ``open_time, open, high, low, close, volume, close_time, quote_volume, count, taker_buy_volume,
taker_buy_quote_volume, ignore``; a header row may be present; spot files from 2025 on use microsecond
timestamps (16 digits), normalised here to ms. Overlapping files (daily + monthly) are merged by open time.
Minutes missing inside the data are filled flat at the previous close with zero volume, as Binance renders them.
Only symbols with a spec are loaded; prices are rounded to the spec's tick and volumes to its step.

Replay (:class:`FileFeed`): the data is shifted in time by ``offset_ms`` (a whole number of days by default, so
the UTC time of day — and intraday seasonality — is kept) and then **mirrored** outside its period: after the
last minute the data plays backwards to the first, then forwards again, and likewise before the first minute.
Prices therefore stay continuous (no jump at a wrap) and within the data's range however long the server runs,
and history exists for any past time. A mirrored minute swaps its open and close and keeps everything else.
:func:`default_offset_ms` places the middle of the data at the trading start: half of it is history a bot can
backfill, half replays live.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path as FsPath

from minance.domain.symbols import DEFAULT_SYMBOLS, SymbolSpec
from minance.market.feed import BarFeed
from minance.market.intervals import DAY_MS, MINUTE_MS
from minance.market.paths import Bar, LinearPath, Memo, merge_bars, minute_path, uniforms

__all__ = [
    "FileFeed",
    "KlineFile",
    "Series",
    "default_offset_ms",
    "discover",
    "load_folder",
    "normalise_ms",
    "read_rows",
]

FILE_RE = re.compile(
    r"^(?P<symbol>[A-Z0-9]+)-1m-(?P<year>\d{4})-(?P<month>\d{2})(?:-(?P<day>\d{2}))?\.(?P<ext>csv|zip)$")
_QUOTE_UNIT = Decimal("0.00000001")


@dataclass(frozen=True, slots=True)
class KlineFile:
    path: FsPath
    symbol: str
    period: str  # "2024-01" or "2024-01-15"


def discover(folder: FsPath | str) -> list[KlineFile]:
    """Every 1m kline file under ``folder``, monthly before daily, oldest first."""
    found = []
    for p in FsPath(folder).rglob("*"):
        m = FILE_RE.match(p.name)
        if m and p.is_file():
            period = f"{m['year']}-{m['month']}" + (f"-{m['day']}" if m["day"] else "")
            found.append(KlineFile(p, m["symbol"], period))
    return sorted(found, key=lambda f: (f.symbol, len(f.period), f.period))


def read_rows(path: FsPath) -> Iterator[list[str]]:
    """The CSV rows of a ``.csv`` or ``.zip`` file (header rows skipped)."""
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist() if n.endswith(".csv")]
            if not names:
                return
            with z.open(names[0]) as raw:
                yield from _rows(io.TextIOWrapper(raw, encoding="utf-8"))
    else:
        with path.open(encoding="utf-8", newline="") as f:
            yield from _rows(f)


def _rows(f: Iterable[str]) -> Iterator[list[str]]:
    for row in csv.reader(f):
        if row and row[0].strip().isdigit():
            yield row


def normalise_ms(ts: int) -> int:
    """Binance timestamps in ms, µs (spot files from 2025) or ns → ms."""
    if ts >= 10**17:
        return ts // 1_000_000
    if ts >= 10**14:
        return ts // 1_000
    return ts


def _units(raw: str, unit: Decimal) -> int:
    return int((Decimal(raw) / unit).to_integral_value(ROUND_HALF_EVEN))


@dataclass(frozen=True)
class Series:
    """One symbol's dense 1m history: ``bars[i]`` opens at ``start_ms + i × 60 000``."""

    symbol: str
    start_ms: int
    bars: tuple[Bar, ...]

    @property
    def end_ms(self) -> int:
        """Open time of the minute after the last one."""
        return self.start_ms + len(self.bars) * MINUTE_MS


def load_folder(folder: FsPath | str, specs: Mapping[str, SymbolSpec] = DEFAULT_SYMBOLS) -> dict[str, Series]:
    """Load every known symbol's files under ``folder`` into dense series (symbols without a spec are skipped)."""
    by_symbol: dict[str, dict[int, Bar]] = {}
    for f in discover(folder):
        spec = specs.get(f.symbol)
        if spec is None:
            continue
        rows = by_symbol.setdefault(f.symbol, {})
        for row in read_rows(f.path):
            open_ms = normalise_ms(int(row[0])) // MINUTE_MS * MINUTE_MS
            rows[open_ms] = _bar(row, spec)
    return {s: _dense(s, rows) for s, rows in by_symbol.items() if rows}


def _bar(row: list[str], spec: SymbolSpec) -> Bar:
    t, st = spec.tick_size, spec.step_size
    o, h, low, c = (max(1, _units(x, t)) for x in row[1:5])
    v, tv = _units(row[5], st), _units(row[9], st)
    q, tq = _units(row[7], _QUOTE_UNIT), _units(row[10], _QUOTE_UNIT)
    return Bar(o, max(h, o, c), min(low, o, c), c, v, q, int(row[8]), min(tv, v), min(tq, q))


def _dense(symbol: str, rows: dict[int, Bar]) -> Series:
    start, end = min(rows), max(rows)
    bars: list[Bar] = []
    prev: Bar | None = None
    for t in range(start, end + MINUTE_MS, MINUTE_MS):
        bar = rows.get(t)
        if bar is None:
            assert prev is not None
            bar = Bar(prev.c, prev.c, prev.c, prev.c, 0, 0, 0, 0, 0)
        bars.append(bar)
        prev = bar
    return Series(symbol, start, tuple(bars))


def default_offset_ms(series: Iterable[Series], trading_start_ms: int) -> int:
    """Shift (whole days) that puts the middle of the data at ``trading_start_ms``."""
    items = list(series)
    start = min(s.start_ms for s in items)
    end = max(s.end_ms for s in items)
    mid = start + (end - start) // 2
    return (trading_start_ms - mid + DAY_MS // 2) // DAY_MS * DAY_MS


class FileFeed(BarFeed):
    """Replays loaded series, shifted by ``offset_ms`` (a multiple of a minute) and mirrored beyond the data."""

    def __init__(self, series: Mapping[str, Series], *, offset_ms: int, seed: int = 0,
                 specs: Mapping[str, SymbolSpec] = DEFAULT_SYMBOLS) -> None:
        if offset_ms % MINUTE_MS:
            raise ValueError("offset_ms must be a whole number of minutes")
        super().__init__({s: specs[s] for s in series}, seed)
        self.series = dict(series)
        self.offset_ms = offset_ms
        self._agg = Memo(131_072)

    @classmethod
    def from_folder(cls, folder: FsPath | str, *, trading_start_ms: int, seed: int = 0,
                    specs: Mapping[str, SymbolSpec] = DEFAULT_SYMBOLS, keep_dates: bool = False) -> FileFeed:
        """``keep_dates``: replay at the files' own dates (offset 0); else shifted by whole days so the data is
        centred on ``trading_start_ms`` (the serve banner says so)."""
        series = load_folder(folder, specs)
        if not series:
            raise ValueError(f"no 1m kline files for known symbols under {folder}")
        offset = 0 if keep_dates else default_offset_ms(series.values(), trading_start_ms)
        return cls(series, offset_ms=offset, seed=seed, specs=specs)

    def has(self, symbol: str) -> bool:
        return symbol in self.series

    def data_index(self, symbol: str, m: int) -> tuple[int, bool]:
        """(index into the data, played forwards?) for market minute ``m`` (minutes since the epoch)."""
        s = self.series[symbol]
        n = len(s.bars)
        p = (m - (s.start_ms + self.offset_ms) // MINUTE_MS) % (2 * n)
        return (p, True) if p < n else (2 * n - 1 - p, False)

    def _minute(self, symbol: str, m: int) -> Bar:
        i, forward = self.data_index(symbol, m)
        b = self.series[symbol].bars[i]
        return b if forward else Bar(b.c, b.h, b.l, b.o, b.v, b.q, b.n, b.tv, b.tq)

    def _hour(self, symbol: str, h: int) -> Bar:
        return self._agg.get((symbol, "h", h), lambda: merge_bars([self._minute(symbol, h * 60 + i)
                                                                   for i in range(60)]))

    def _day(self, symbol: str, d: int) -> Bar:
        return self._agg.get((symbol, "d", d), lambda: merge_bars([self._hour(symbol, d * 24 + j)
                                                                   for j in range(24)]))

    def _path(self, symbol: str, m: int) -> LinearPath:
        u = uniforms(self.seed, "file-shape", symbol, m)
        return minute_path(self._minute(symbol, m), u[0], u[1], u[2])
