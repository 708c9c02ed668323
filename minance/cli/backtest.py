"""``minance backtest run``: a strategy replayed on cached bars through the exchange's engine, and its report.

``minance backtest sweep`` registers itself here too (minance/cli/sweep.py, when present).
"""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

from minance.cli.common import CliError

__all__ = ["parse_pairs", "register", "user_code_error"]


def parse_pairs(items: list[str] | None, what: str) -> dict[str, str]:
    """``k=v`` arguments into a dict (one-line error naming the bad one)."""
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CliError(f"{what} {item!r}: write it as NAME=VALUE")
        out[key.strip()] = value.strip()
    return out


def user_code_error(exc: Exception) -> CliError:
    """A strategy that failed to load or raised: its traceback (the user's frames) on stderr, then one line."""
    detail = getattr(exc, "detail", "")
    if detail:
        print(detail.rstrip(), file=sys.stderr)
    return CliError(str(exc))


def _balances(items: list[str] | None) -> dict[str, Decimal] | None:
    pairs = parse_pairs(items, "--balance")
    out = {}
    for asset, amount in pairs.items():
        try:
            value = Decimal(amount)
        except InvalidOperation:
            raise CliError(f"--balance {asset}={amount}: the amount is not a number") from None
        if not value.is_finite() or value < 0:
            raise CliError(f"--balance {asset}={amount}: the amount must be a positive number")
        out[asset.upper()] = value
    return out or None


def cmd_run(args: argparse.Namespace) -> int:
    from minance.backtest import BacktestError, BacktestStrategyError, run
    from minance.bots.errors import BotError, OrderError, StrategyLoadError

    options: dict = {"maker_bps": args.maker_bps, "taker_bps": args.taker_bps, "latency_ms": args.latency_ms}
    if args.volume_cap is not None:
        options["volume_cap"] = args.volume_cap
    try:
        result = run(args.strategy, params=parse_pairs(args.param, "--param"), symbols=args.symbol,
                     interval=args.interval, start=args.start, end=args.end, balance=_balances(args.balance),
                     fill_model=args.fill_model, history=args.history, **options)
    except (BacktestStrategyError, StrategyLoadError) as exc:
        raise user_code_error(exc) from None
    except (BacktestError, BotError) as exc:
        raise CliError(str(exc)) from None
    except OrderError as exc:
        raise CliError(f"the exchange refused an order in on_start: {exc.code} {exc.msg}") from None
    written: list[Path] = []
    if args.report:
        from minance.backtest.report import write_report

        written = write_report(result, args.report)
        _record_report(args.report, result.as_json())
    if args.json:
        data = result.as_json()
        if written:
            data["report"] = [str(p) for p in written]
        print(json.dumps(data, indent=2))
        return 0
    from minance.backtest.report import print_summary

    print_summary(result)
    if written:
        print(f"report: {Path(args.report) / 'report.html'} (and {len(written) - 1} more files in {args.report})")
    return 0


def _record_report(folder: str, summary: dict) -> None:
    """List the report in the backtests index (the web console's Bots page reads it). The report itself is
    written already: an index that cannot be written costs a warning, not the run."""
    from minance.backtest_registry import index_path, record

    try:
        record(folder, summary)
    except OSError as exc:
        print(f"minance: warning: the report is not listed in {index_path()} ({exc.strerror or exc}); "
              f"set MINANCE_BACKTESTS to a writable file", file=sys.stderr)


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value.is_finite() or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be positive")
    return value


def register(sub) -> None:
    p = sub.add_parser("backtest", help="replay a strategy on cached bars through the exchange's engine")
    bsub = p.add_subparsers(dest="backtest_command", required=True, metavar="SUBCOMMAND")
    r = bsub.add_parser("run", help="backtest one strategy and report")
    r.add_argument("strategy", metavar="STRATEGY", help="a built-in name (dca, grid, guard, ...) or a strategy file")
    r.add_argument("--symbol", action="append",
                   help="default: the strategy's symbol parameter; several symbols replayed together: repeat it "
                        "or separate them with commas (--symbol BTCUSDT,ETHUSDT,ETHBTC), the first drives equity")
    r.add_argument("--interval", help="bar interval (default: the strategy's, else 1m)")
    r.add_argument("--start", required=True, metavar="YYYY-MM-DD", help="first day (UTC)")
    r.add_argument("--end", required=True, metavar="YYYY-MM-DD", help="last day (UTC, inclusive)")
    r.add_argument("--param", action="append", metavar="K=V", help="a strategy parameter; repeatable")
    r.add_argument("--balance", action="append", metavar="ASSET=AMOUNT",
                   help="starting balance (default USDT=10000); repeatable")
    r.add_argument("--fill-model", choices=["default", "pessimistic"], default="default",
                   help="pessimistic: when orders lie above and below inside one bar, the worse order of extremes")
    r.add_argument("--maker-bps", type=int, default=10, help="maker commission in basis points (default 10)")
    r.add_argument("--taker-bps", type=int, default=10, help="taker commission in basis points (default 10)")
    r.add_argument("--volume-cap", type=_decimal, metavar="FRACTION",
                   help="resting orders fill at most this fraction of a bar's volume per price point")
    r.add_argument("--latency-ms", type=int, default=0, help="orders meet the market this much later")
    r.add_argument("--history", metavar="DIR", help="the kline cache (default $MINANCE_HISTORY or the user data dir)")
    r.add_argument("--report", metavar="DIR", help="write summary.json, fills/orders/equity, equity.png, report.html")
    r.add_argument("--json", action="store_true", help="print the result as JSON")
    r.set_defaults(run=cmd_run)
    try:  # ``minance backtest sweep`` (the sweep module adds its parser when it exists)
        from minance.cli import sweep as _sweep
    except ImportError:
        return
    _sweep.register(bsub)
