"""``minance backtest sweep STRATEGY ... --grid k=a:b:s [--workers N] [--dask ADDRESS]``: a parameter grid."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from minance.cli.common import CliError

__all__ = ["register"]

METRICS = ("total_return", "cagr", "sharpe", "sortino", "calmar", "max_drawdown", "win_rate", "profit_factor",
           "expectancy", "trades", "fees", "exposure")
# a drawdown is better small; everything else better large
ASCENDING = {"max_drawdown", "fees"}


def register(bsub: Any) -> None:
    s = bsub.add_parser("sweep", help="backtest every point of a parameter grid, locally or on a Dask cluster")
    s.add_argument("strategy", metavar="STRATEGY", help="a built-in name or a strategy file")
    s.add_argument("--symbol", required=True)
    s.add_argument("--interval", default=None, help="bar interval (default: the strategy's, else 1m)")
    s.add_argument("--start", required=True, metavar="YYYY-MM-DD")
    s.add_argument("--end", required=True, metavar="YYYY-MM-DD", help="last day (inclusive)")
    s.add_argument("--grid", action="append", required=True, metavar="K=START:STOP:STEP|K=V1,V2",
                   help="a swept parameter (inclusive range or list); repeatable")
    s.add_argument("--param", action="append", metavar="K=V", help="a fixed strategy parameter; repeatable")
    s.add_argument("--balance", action="append", metavar="ASSET=AMOUNT", help="starting balance (default USDT=10000)")
    s.add_argument("--fill-model", choices=["default", "pessimistic"], default="default")
    s.add_argument("--sort", default="total_return", choices=METRICS, help="rank by this metric (default "
                   "total_return; max_drawdown and fees rank smallest first)")
    s.add_argument("--top", type=int, default=20, help="rows shown in the table (default 20; --json has all)")
    s.add_argument("--workers", type=int, default=None, help="local processes (default: every core)")
    s.add_argument("--dask", metavar="ADDRESS", help="run on a Dask distributed scheduler, e.g. tcp://host:8786")
    s.add_argument("--history", metavar="DIR", help="the kline cache (default $MINANCE_HISTORY)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    from minance.backtest import BacktestError, load_range, parse_time
    from minance.backtest.sweep import (
        GridError,
        SweepPoint,
        backtest_point,
        expand_grid,
        parse_grid,
        run_points,
        sort_results,
    )
    from minance.bots.errors import BotError, StrategyLoadError
    from minance.bots.runner import prepare
    from minance.cli.backtest import _balances, parse_pairs, user_code_error

    if args.workers is not None and args.workers < 1:
        raise CliError("--workers must be at least 1")
    if args.workers is not None and args.dask:
        raise CliError("--workers is for local runs; a Dask cluster has its own workers")
    try:
        grids = [parse_grid(g) for g in args.grid]
        combos = expand_grid(grids)
    except GridError as exc:
        raise CliError(str(exc)) from None
    fixed = parse_pairs(args.param, "--param")
    clash = sorted(set(fixed) & {n for n, _ in grids})
    if clash:
        raise CliError(f"{clash[0]} is both a --param and a --grid")
    # Check everything once, here, before any worker starts: the strategy loads, every grid value parses
    # against the declared parameters, and the cache holds the range.
    try:
        strategy = prepare(args.strategy, {**fixed, **{k: str(v) for k, v in combos[0].items()}})
        for combo in combos:
            type(strategy).parse_params({**fixed, **{k: str(v) for k, v in combo.items()}})
        interval = args.interval or strategy.interval or "1m"
        from pathlib import Path
        root = Path(args.history).expanduser() if args.history else None
        load_range(args.symbol.upper(), interval, parse_time(args.start), parse_time(args.end, end=True), root=root)
    except StrategyLoadError as exc:
        raise user_code_error(exc) from None
    except (BacktestError, BotError) as exc:
        raise CliError(str(exc)) from None
    balance = _balances(args.balance)
    job = {"strategy": args.strategy, "symbol": args.symbol.upper(), "interval": interval, "start": args.start,
           "end": args.end, "params": fixed, "fill_model": args.fill_model, "history": args.history,
           "balance": {k: str(v) for k, v in balance.items()} if balance else None}
    points = [SweepPoint(i, combo) for i, combo in enumerate(combos)]
    results = []
    show_bar = not args.json and sys.stderr.isatty()
    try:
        if show_bar:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
            with Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                          transient=True) as bar:
                task = bar.add_task("sweep", total=len(points))
                for r in run_points(backtest_point, job, points, workers=args.workers, dask_address=args.dask):
                    results.append(r)
                    bar.advance(task)
        else:
            results = list(run_points(backtest_point, job, points, workers=args.workers, dask_address=args.dask))
    except GridError as exc:
        raise CliError(str(exc)) from None
    ranked = sort_results(results, args.sort, descending=args.sort not in ASCENDING)
    failed = [r for r in ranked if r.error]
    if args.json:
        print(json.dumps({"sortedBy": args.sort, "points": len(ranked), "failed": len(failed),
                          "results": [{"params": {k: str(v) for k, v in r.params.items()}, "metrics": r.metrics,
                                       "error": r.error} for r in ranked]}, indent=2, default=str))
    else:
        _table(ranked[: args.top], [n for n, _ in grids], args.sort)
        if failed:
            print(f"{len(failed)} point(s) failed; first: {failed[0].params}: {failed[0].error}", file=sys.stderr)
    return 0 if len(failed) < len(ranked) else 2


def _fmt(value: Any, pct: bool = False) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value * 100:.2f}%" if pct else f"{value:.3f}"
    return str(value)


def _table(rows: list, names: list[str], metric: str) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"sweep, best {metric} first")
    for n in names:
        t.add_column(n, justify="right")
    cols = ["total_return", "sharpe", "max_drawdown", "trades", "win_rate"]
    if metric not in cols:
        cols.insert(0, metric)
    for c in cols:
        t.add_column(c, justify="right")
    for r in rows:
        if r.error:
            t.add_row(*[str(r.params[n]) for n in names], *(["error"] + [""] * (len(cols) - 1)))
            continue
        m = r.metrics
        t.add_row(*[str(r.params[n]) for n in names],
                  *[_fmt(m.get(c), pct=c in ("total_return", "max_drawdown", "win_rate", "cagr")) for c in cols])
    Console().print(t)
