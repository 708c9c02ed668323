"""Binance's public-data archives (``data.binance.vision`` layout): names, checksums and kline CSV rows.

Layout under a base URL (``--dumps-url``; Binance's own is :data:`BINANCE_DUMPS_URL`)::

    data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-11.zip            (+ .zip.CHECKSUM)
    data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-11-19.zip           (+ .zip.CHECKSUM)

A ``.CHECKSUM`` file is one line ``<sha256 hex>  <name>.zip`` (sometimes without a newline). Monthly archives
use ``1mo`` where the REST API says ``1M``; daily archives exist only up to ``1d``. Spot CSVs have no header
(a header row is tolerated) and, from 2025-01-01 on, microsecond timestamps: every time here is normalised to ms.

Pure functions: no network, no clock — :mod:`minance.history.download` does the fetching.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime

from minance.market.intervals import INTERVALS
from minance.market.klinefiles import normalise_ms  # ≥ 10^14 is µs (spot archives from 2025 on)

__all__ = [
    "BINANCE_DUMPS_URL",
    "DAILY_INTERVALS",
    "Archive",
    "ArchiveError",
    "ChecksumError",
    "archives_for",
    "daily_archives_of",
    "normalise_ms",
    "parse_checksum",
    "parse_kline_csv",
    "sha256_hex",
    "verify_archive",
]

BINANCE_DUMPS_URL = "https://data.binance.vision"
# Daily archives are published for intervals up to one day; longer ones only monthly.
DAILY_INTERVALS = frozenset(i for i, ms in INTERVALS.items() if ms is not None and ms <= 86_400_000)
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")


class ArchiveError(ValueError):
    """An archive that cannot be read: not a zip, no CSV inside, a malformed row."""


class ChecksumError(ArchiveError):
    """An archive whose sha256 differs from its published ``.CHECKSUM``."""


@dataclass(frozen=True, slots=True)
class Archive:
    """One public-data kline archive: a calendar month or a day of one symbol and interval."""

    symbol: str
    interval: str
    period: str  # "2024-11" (monthly) or "2024-11-19" (daily)

    @property
    def monthly(self) -> bool:
        return len(self.period) == 7

    @property
    def file_interval(self) -> str:
        return "1mo" if self.interval == "1M" else self.interval

    @property
    def name(self) -> str:
        return f"{self.symbol}-{self.file_interval}-{self.period}.zip"

    @property
    def path(self) -> str:
        kind = "monthly" if self.monthly else "daily"
        return f"data/spot/{kind}/klines/{self.symbol}/{self.file_interval}/{self.name}"

    def url(self, base_url: str) -> str:
        return f"{base_url.rstrip('/')}/{self.path}"

    def checksum_url(self, base_url: str) -> str:
        return self.url(base_url) + ".CHECKSUM"

    @property
    def start_ms(self) -> int:
        return _ms(self._first_day())

    @property
    def end_ms(self) -> int:
        """Open time of the first instant after the archive's period (exclusive)."""
        first = self._first_day()
        if self.monthly:
            nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        else:
            nxt = date.fromordinal(first.toordinal() + 1)
        return _ms(nxt)

    def _first_day(self) -> date:
        parts = [int(p) for p in self.period.split("-")]
        return date(parts[0], parts[1], parts[2] if len(parts) == 3 else 1)


def _ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * 1000


def _day(ms: int) -> date:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).date()


def archives_for(symbol: str, interval: str, start_ms: int, end_ms: int, today: date) -> list[Archive]:
    """The archives covering ``[start_ms, end_ms)``: monthly ones for months before ``today``'s month, daily
    ones (for intervals that have them) for the current month up to yesterday (today's appears tomorrow)."""
    if end_ms <= start_ms:
        return []
    out: list[Archive] = []
    first, last = _day(start_ms), _day(end_ms - 1)
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        if (y, m) < (today.year, today.month) or interval not in DAILY_INTERVALS:
            if (y, m) < (today.year, today.month):
                out.append(Archive(symbol, interval, f"{y:04d}-{m:02d}"))
        else:
            d = max(date(y, m, 1), first)
            stop = min(last, date.fromordinal(today.toordinal() - 1))
            while d <= stop:
                out.append(Archive(symbol, interval, d.isoformat()))
                d = date.fromordinal(d.toordinal() + 1)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def daily_archives_of(archive: Archive) -> list[Archive]:
    """The daily archives of a monthly one (a fallback when the month's archive is not published yet)."""
    first = archive._first_day()
    days = []
    d = first
    while d.month == first.month:
        days.append(Archive(archive.symbol, archive.interval, d.isoformat()))
        d = date.fromordinal(d.toordinal() + 1)
    return days


def parse_checksum(text: str, name: str) -> str:
    """The sha256 hex from a ``.CHECKSUM`` file's text (``<hex>  <name>``; the name may be missing)."""
    fields = text.strip().split()
    if not fields or not _HEX64.match(fields[0]):
        raise ArchiveError(f"{name}.CHECKSUM is not a sha256 checksum file")
    if len(fields) > 1 and fields[-1].lstrip("*") != name:
        raise ArchiveError(f"{name}.CHECKSUM names another file ({fields[-1]})")
    return fields[0].lower()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def verify_archive(data: bytes, expected_hex: str, name: str) -> None:
    """Raise :class:`ChecksumError` unless ``data`` hashes to ``expected_hex``."""
    actual = sha256_hex(data)
    if actual != expected_hex.lower():
        raise ChecksumError(f"{name}: sha256 {actual[:16]}… does not match its .CHECKSUM {expected_hex[:16]}…; "
                            "the archive was refused and the cache left as it was")


KlineRow = tuple[int, str, str, str, str, str, int, str, int, str, str]


def parse_kline_csv(data: bytes, name: str) -> list[KlineRow]:
    """The kline rows of an archive (zip holding one CSV) as (open_ms, open, high, low, close, volume, close_ms,
    quote_volume, trades, taker_buy_base, taker_buy_quote) — amounts stay exact decimal text."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = [n for n in z.namelist() if n.endswith(".csv")]
            if not names:
                raise ArchiveError(f"{name} holds no CSV file")
            text = z.read(names[0]).decode("utf-8")
    except zipfile.BadZipFile as exc:
        raise ArchiveError(f"{name} is not a zip archive ({exc})") from None
    rows: list[KlineRow] = []
    for lineno, row in enumerate(csv.reader(io.StringIO(text)), 1):
        if not row or not row[0].strip():
            continue
        if not row[0].strip().isdigit():
            if lineno == 1:
                continue  # a header row
            raise ArchiveError(f"{name} line {lineno}: open time {row[0][:20]!r} is not a number")
        if len(row) < 11:
            raise ArchiveError(f"{name} line {lineno}: {len(row)} columns, klines have 12")
        try:
            rows.append((normalise_ms(int(row[0])), row[1], row[2], row[3], row[4], row[5],
                         normalise_ms(int(row[6])), row[7], int(row[8]), row[9], row[10]))
        except ValueError as exc:
            raise ArchiveError(f"{name} line {lineno}: {exc}") from None
    return rows
