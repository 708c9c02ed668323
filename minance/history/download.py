"""Fill the kline cache from the REST API or from Binance's public-data archives; resumable, gaps reported.

Both sources write into :mod:`minance.history.cache` as they go, so an interrupted download keeps what it got:

* ``api`` asks only for the spans the cache lacks (:func:`cache.gaps`), pages them (1000 bars a request, through
  the SDK's weight-aware client) and writes each page before asking for the next. Only closed bars are stored:
  the range is capped at the target's server time.
* ``dumps`` imports whole archives (monthly ones, daily ones for the current month, daily ones again for a month
  whose archive is not yet published). Each archive is checked against its ``.CHECKSUM`` *before* anything is
  written — a mismatch stops the download with the cache untouched — and recorded in the manifest with its sha256,
  so a resumed download skips it (unless Binance has since published another checksum for it).

Gaps left after a download are reported, never filled: on Binance a missing bar means no trading.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx

from minance.history import cache
from minance.history.api_source import KlineSource, page_klines
from minance.history.dumps import (
    DAILY_INTERVALS,
    Archive,
    ArchiveError,
    archives_for,
    daily_archives_of,
    parse_checksum,
    parse_kline_csv,
    verify_archive,
)
from minance.history.manifest import Manifest
from minance.market.intervals import INTERVALS, bucket_open

__all__ = ["DownloadError", "SeriesReport", "download_api", "download_dumps"]

Progress = Callable[[int], None]  # advance by n units (bars for the API, archives for dumps)


class DownloadError(Exception):
    """A download that cannot go on (unreachable source, refused archive); the cache keeps what was written."""


@dataclass
class SeriesReport:
    symbol: str
    interval: str
    source: str
    bars_written: int = 0
    archives_imported: list[str] = field(default_factory=list)
    archives_skipped: list[str] = field(default_factory=list)
    archives_missing: list[str] = field(default_factory=list)
    gaps: list[tuple[int, int]] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {"symbol": self.symbol, "interval": self.interval, "source": self.source,
                "barsWritten": self.bars_written, "archivesImported": self.archives_imported,
                "archivesSkipped": self.archives_skipped, "archivesMissing": self.archives_missing,
                "gaps": [{"start": s, "end": e} for s, e in self.gaps]}


def _folder(symbol: str, interval: str, root: Path | None) -> Path:
    return (root or cache.history_dir()) / "klines" / symbol.upper() / interval


def expected_bars(interval: str, start_ms: int, end_ms: int) -> int:
    step = INTERVALS[interval]
    return max(0, (end_ms - start_ms) // step) if step else max(1, (end_ms - start_ms) // (30 * 86_400_000))


def download_api(client: KlineSource, symbol: str, interval: str, start_ms: int, end_ms: int, *,
                 server_time_ms: int, root: Path | None = None, progress: Progress | None = None) -> SeriesReport:
    """Page the spans of ``[start_ms, end_ms)`` the cache lacks; closed bars only (``end`` capped at the open
    of the bar in progress at ``server_time_ms``)."""
    report = SeriesReport(symbol, interval, "api")
    end_ms = min(end_ms, bucket_open(interval, server_time_ms))
    manifest = Manifest.load(_folder(symbol, interval, root))
    for gap_start, gap_end in cache.gaps(symbol, interval, start_ms, end_ms, root=root):
        last_seen = gap_start
        for rows in page_klines(client, symbol, interval, gap_start, gap_end):
            report.bars_written += cache.write_bars(symbol, interval, rows, root=root)
            manifest.record_files()
            manifest.save()
            if progress is not None:
                progress(expected_bars(interval, last_seen, rows[-1][0]) + 1)
            last_seen = rows[-1][0] + 1
    report.gaps = cache.gaps(symbol, interval, start_ms, end_ms, root=root)
    return report


def _get(http: httpx.Client, url: str) -> bytes | None:
    """The body, or None on 404 (not published); anything else is a DownloadError."""
    try:
        response = http.get(url)
    except httpx.HTTPError as exc:
        raise DownloadError(f"cannot fetch {url}: {exc}") from None
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise DownloadError(f"{url} answered HTTP {response.status_code}")
    return response.content


def download_dumps(http: httpx.Client, base_url: str, symbol: str, interval: str, start_ms: int, end_ms: int, *,
                   today: date, root: Path | None = None, progress: Progress | None = None,
                   on_plan: Callable[[int], None] | None = None) -> SeriesReport:
    """Import the public-data archives covering ``[start_ms, end_ms)``; see the module docstring."""
    report = SeriesReport(symbol, interval, "dumps")
    folder = _folder(symbol, interval, root)
    manifest = Manifest.load(folder)
    queue = archives_for(symbol, interval, start_ms, end_ms, today)
    if on_plan is not None:
        on_plan(len(queue))
    while queue:
        archive = queue.pop(0)
        if not _import_archive(http, base_url, archive, manifest, report, root):
            if archive.monthly and archive.interval in DAILY_INTERVALS:
                days = [d for d in daily_archives_of(archive) if d.end_ms > start_ms and d.start_ms < end_ms
                        and d.start_ms < _ms_of(today)]
                queue[0:0] = days
                if on_plan is not None:
                    on_plan(len(days))
            else:
                report.archives_missing.append(archive.name)
        if progress is not None:
            progress(1)
    report.gaps = cache.gaps(symbol, interval, start_ms, end_ms, root=root)
    return report


def _ms_of(day: date) -> int:
    return Archive("X", "1d", day.isoformat()).start_ms


def _import_archive(http: httpx.Client, base_url: str, archive: Archive, manifest: Manifest,
                    report: SeriesReport, root: Path | None) -> bool:
    """False when the archive is not published (404); True when imported or already there."""
    checksum = _get(http, archive.checksum_url(base_url))
    if checksum is None:
        return False
    try:
        expected = parse_checksum(checksum.decode("utf-8", "replace"), archive.name)
    except ArchiveError as exc:
        raise DownloadError(str(exc)) from None
    if manifest.archives.get(archive.name) == expected:
        report.archives_skipped.append(archive.name)
        return True
    data = _get(http, archive.url(base_url))
    if data is None:
        return False
    try:
        verify_archive(data, expected, archive.name)
        rows = parse_kline_csv(data, archive.name)
    except ArchiveError as exc:
        raise DownloadError(str(exc)) from None
    try:
        report.bars_written += cache.write_bars(archive.symbol, archive.interval, rows, root=root)
    except cache.CacheError as exc:
        raise DownloadError(f"{archive.name}: {exc}") from None
    manifest.archives[archive.name] = expected
    manifest.record_files()
    manifest.save()
    report.archives_imported.append(archive.name)
    return True
