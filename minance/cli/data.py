"""``minance data download | list | show | verify``: the local kline history that backtests read."""

from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from minance.cli.common import CliError, emit, fmt_time, table
from minance.market.intervals import INTERVALS

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    data = sub.add_parser("data", help="download and inspect the kline history backtests use")
    dsub = data.add_subparsers(dest="data_command", required=True, metavar="ACTION")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--history", metavar="DIR",
                       help="history dir (default: $MINANCE_HISTORY, then ~/.local/share/minance/history)")
        p.add_argument("--json", action="store_true", help="machine-readable output")

    dl = dsub.add_parser("download", help="fill the cache from the REST API or Binance's public-data archives")
    dl.add_argument("symbols", nargs="+", metavar="SYMBOL")
    dl.add_argument("--interval", default="1m", help="kline interval (default 1m)")
    dl.add_argument("--start", required=True, help="first day (YYYY-MM-DD, UTC) or an ISO time")
    dl.add_argument("--end", required=True, help="last day, inclusive (YYYY-MM-DD) or an ISO time (exclusive)")
    dl.add_argument("--source", choices=("api", "dumps"), default="api",
                    help="api: GET /api/v3/klines on --target (default); dumps: Binance's public-data archives")
    dl.add_argument("--target", default=None, help="for --source api: local (default), testnet, live or a URL")
    dl.add_argument("--dumps-url", default=None, help="for --source dumps: base URL of the archive tree "
                                                       "(default https://data.binance.vision)")
    common(dl)
    dl.set_defaults(run=_download)

    ls = dsub.add_parser("list", help="the cached series")
    common(ls)
    ls.set_defaults(run=_list)

    show = dsub.add_parser("show", help="one series: range, bar count, gaps")
    show.add_argument("symbol", metavar="SYMBOL")
    show.add_argument("--interval", default="1m")
    common(show)
    show.set_defaults(run=_show)

    verify = dsub.add_parser("verify", help="re-check every cached series (exit 2 when a problem is found)")
    common(verify)
    verify.set_defaults(run=_verify)


def require_extra() -> None:
    """The history cache needs numpy and pyarrow (the ``backtest`` extra): say so instead of a traceback."""
    try:
        import numpy  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError:
        raise CliError("this command needs the backtest extra: pip install 'minance[backtest]'") from None


def _root(args: argparse.Namespace) -> Path:
    require_extra()
    from minance.history import cache
    return Path(args.history).expanduser() if args.history else cache.history_dir()


def _interval(text: str) -> str:
    if text not in INTERVALS:
        raise CliError(f"unknown interval {text!r}: use one of {', '.join(INTERVALS)}")
    return text


def _symbol(text: str) -> str:
    s = text.strip().upper()
    if not s.isalnum() or not 2 <= len(s) <= 20:
        raise CliError(f"not a symbol: {text!r} (e.g. BTCUSDT)")
    return s


def parse_day(text: str, *, end: bool) -> int:
    """``YYYY-MM-DD`` → that day's start (its end for ``end``: the day is inclusive); an ISO time as is."""
    try:
        if len(text) == 10:
            d = date.fromisoformat(text)
            start = int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp() * 1000)
            return start + 86_400_000 if end else start
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CliError(f"not a date: {text!r} (use YYYY-MM-DD or an ISO time, UTC)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def date_range(args: argparse.Namespace) -> tuple[int, int]:
    start, end = parse_day(args.start, end=False), parse_day(args.end, end=True)
    if end <= start:
        raise CliError(f"--end {args.end} is not after --start {args.start}")
    return start, end


@contextmanager
def _progress(enabled: bool):
    """A rich progress bar on a terminal; a no-op elsewhere (pipes, --json, CI logs)."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  transient=True) as bar:
        yield bar


def _download(args: argparse.Namespace) -> int:
    import httpx

    require_extra()
    from minance.history.download import DownloadError, download_api, download_dumps, expected_bars
    from minance.history.dumps import BINANCE_DUMPS_URL

    interval = _interval(args.interval)
    symbols = [_symbol(s) for s in args.symbols]
    start, end = date_range(args)
    root = _root(args)
    if args.source == "dumps" and args.target:
        raise CliError("--target is for --source api; --source dumps reads --dumps-url")
    if args.source == "api" and args.dumps_url:
        raise CliError("--dumps-url is for --source dumps")
    show_bar = not args.json and sys.stderr.isatty()
    reports = []
    try:
        with _progress(show_bar) as bar:
            if args.source == "api":
                reports = _download_api(args, symbols, interval, start, end, root, bar, download_api,
                                        expected_bars)
            else:
                base = (args.dumps_url or BINANCE_DUMPS_URL).rstrip("/")
                if not base.startswith(("http://", "https://")):
                    raise CliError(f"--dumps-url {base!r} is not an http(s) URL")
                today = datetime.now(UTC).date()
                with httpx.Client(timeout=60.0, follow_redirects=True) as http:
                    for symbol in symbols:
                        task = bar.add_task(symbol, total=0) if bar else None

                        def plan(n: int, task: Any = task) -> None:
                            if bar is not None:
                                bar.update(task, total=(bar.tasks[task].total or 0) + n)

                        def step(n: int, task: Any = task) -> None:
                            if bar is not None:
                                bar.advance(task, n)

                        report = download_dumps(http, base, symbol, interval, start, end, today=today, root=root,
                                                progress=step, on_plan=plan)
                        if not report.archives_imported and not report.archives_skipped:
                            raise CliError(f"no {symbol} {interval} archives at {base} for {args.start}..{args.end}"
                                           " — check the symbol, the interval and the dates")
                        reports.append(report)
    except DownloadError as exc:
        raise CliError(f"{exc} (what was downloaded before is kept; run the same command to resume)") from None
    _print_reports(args, reports)
    return 0


def _download_api(args, symbols, interval, start, end, root, bar, download_api, expected_bars):
    from minance.client import Client
    from minance.client.errors import ApiError, ClientError
    from minance.client.targets import TargetError, resolve_target

    try:
        target = resolve_target(args.target)
    except TargetError as exc:
        raise CliError(str(exc)) from None
    reports = []
    try:
        with Client(target=target) as client:
            server_ms = client.server_time().server_time
            for symbol in symbols:
                task = bar.add_task(symbol, total=expected_bars(interval, start, min(end, server_ms))) if bar else None
                reports.append(download_api(client, symbol, interval, start, end, server_time_ms=server_ms,
                                            root=root, progress=(lambda n, t=task: bar.advance(t, n)) if bar else None))
    except ApiError as exc:
        raise CliError(f"{target}: {exc.code} {exc.msg} (what was downloaded before is kept)") from None
    except ClientError as exc:
        raise CliError(f"{target}: {exc} (what was downloaded before is kept; run the same command to resume)"
                       ) from None
    return reports


def _print_reports(args: argparse.Namespace, reports: list) -> None:
    if args.json:
        emit(args, [r.as_json() for r in reports])
        return
    for r in reports:
        parts = [f"{r.symbol} {r.interval}: {r.bars_written} bars written"]
        if r.source == "dumps":
            parts.append(f"{len(r.archives_imported)} archives imported, {len(r.archives_skipped)} already there")
            if r.archives_missing:
                parts.append(f"not published: {', '.join(r.archives_missing)}")
        print("; ".join(parts))
        for s, e in r.gaps[:10]:
            print(f"  gap (no bars, left empty): {fmt_time(s)} → {fmt_time(e)}")
        if len(r.gaps) > 10:
            print(f"  … {len(r.gaps) - 10} more gaps (minance data show {r.symbol} --interval {r.interval})")


def _list(args: argparse.Namespace) -> int:
    root = _root(args)
    from minance.history import cache
    found: list[tuple[str, str, tuple[int, int, int]]] = []
    for symbol, interval in cache.series(root=root):
        cov = cache.coverage(symbol, interval, root=root)
        if cov:
            found.append((symbol, interval, cov))
    rows = [{"symbol": s, "interval": i, "first": first, "last": last, "bars": bars}
            for s, i, (first, last, bars) in found]
    human = table([[s, i, fmt_time(first), fmt_time(last), bars] for s, i, (first, last, bars) in found],
                  ["SYMBOL", "INTERVAL", "FIRST", "LAST", "BARS"]) if found else f"no history in {root}"
    emit(args, rows, human)
    return 0


def _show(args: argparse.Namespace) -> int:
    from minance.history import cache
    from minance.history.verify import verify_series
    symbol, interval = _symbol(args.symbol), _interval(args.interval)
    root = _root(args)
    if cache.coverage(symbol, interval, root=root) is None:
        raise CliError(f"no {symbol} {interval} history in {root}: minance data download {symbol} "
                       f"--interval {interval} --start YYYY-MM-DD --end YYYY-MM-DD")
    check = verify_series(symbol, interval, root)
    lines = [f"{symbol} {interval}: {check.bars} bars, {fmt_time(check.first_ms)} → {fmt_time(check.last_ms)}"]
    lines += [f"  gap: {fmt_time(s)} → {fmt_time(e)}" for s, e in check.gaps]
    lines += [f"  problem: {p}" for p in check.problems]
    emit(args, check.as_json(), "\n".join(lines))
    return 0


def _verify(args: argparse.Namespace) -> int:
    from minance.history import cache
    from minance.history.verify import verify_series
    root = _root(args)
    checks = [verify_series(s, i, root) for s, i in cache.series(root=root)]
    bad = [c for c in checks if not c.ok]
    if args.json:
        emit(args, [c.as_json() for c in checks])
    else:
        for c in checks:
            state = "ok" if c.ok else "PROBLEMS"
            print(f"{c.symbol} {c.interval}: {c.bars} bars, {len(c.gaps)} gaps, {state}")
            for p in c.problems:
                print(f"  {p}")
        if not checks:
            print(f"no history in {root}")
    if bad:
        print(f"minance: {len(bad)} series failed verification; delete the files named and download again",
              file=sys.stderr)
        return 2
    return 0
