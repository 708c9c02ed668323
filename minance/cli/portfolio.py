"""``minance portfolio --profile P [--quote USDT] [--cost average|fifo] [--since 30d] [--plot FILE.png] [--json]``:
the account valued in a quote asset, with cost basis, PnL, allocation and time-weighted return; each run keeps a
snapshot locally so an equity history builds up (see :mod:`minance.portfolio`)."""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from typing import Any

from minance.cli.common import CliError, parse_when
from minance.cli.profiles import add_vault_option, cli_errors, load_profile
from minance.portfolio.collect import (
    HistoricalPrices,
    fetch_fills,
    fetch_pairs,
    fetch_prices,
    fetch_transfers,
    symbols_to_scan,
)
from minance.portfolio.ledger import CostMethod, Ledger
from minance.portfolio.report import Report, build_report
from minance.portfolio.snapshots import Snapshot, SnapshotStore
from minance.portfolio.valuation import PairGraph, UnknownAsset, route_price, value_balances

__all__ = ["cmd_portfolio", "register"]


def unknown_quote(quote: str) -> CliError:
    return CliError(f"unknown quote asset {quote}: the exchange lists no pair with it (try USDT, BTC or ETH)")


def _report(client: Any, args: argparse.Namespace) -> tuple[Report, list[tuple[int, Decimal]]]:
    quote = args.quote.upper()
    pairs = fetch_pairs(client)
    graph = PairGraph(pairs)
    if quote not in graph.assets:
        raise unknown_quote(quote)
    prices = fetch_prices(client)
    now = client.server_time().server_time
    since = parse_when(args.since, now, past=True) if args.since else None
    account = client.account()
    amounts = {b.asset: b.total for b in account.balances if b.total}
    transfers = fetch_transfers(client)
    extra = [s.strip().upper() for s in (args.symbols or "").split(",") if s.strip()]
    unknown = [s for s in extra if s not in graph.pairs]
    if unknown:
        raise CliError(f"--symbols: the exchange lists no {', '.join(unknown)}")
    scan = symbols_to_scan(pairs, set(amounts) | {t.asset for t in transfers} | {quote}, extra)
    fills = fetch_fills(client, scan, pairs)
    ledger = Ledger(quote, CostMethod(args.cost), HistoricalPrices(client, graph, prices, quote))
    ledger.replay(fills, transfers, checkpoints=[since] if since is not None else [])
    start_equity = ledger.equity_at(since, ledger.checkpoints[since]) if since is not None else None
    valuation = value_balances(amounts, prices, graph, quote)
    current = {a.asset: a.price for a in valuation.assets if a.price is not None}
    for asset in {f.asset for f in ledger.flows} | set(ledger.checkpoints.get(since or -1, {})):
        route = graph.route(asset, quote, prices)
        if asset not in current and route is not None:
            current[asset] = route_price(route, prices)
    report = build_report(valuation, ledger, method=args.cost, now_ms=now, since_ms=since,
                          start_equity=start_equity, current_prices=current)
    points = [(f.time, f.equity_before + f.value) for f in ledger.flows
              if f.equity_before is not None and f.value is not None]
    return report, points


def _pct(value: Decimal | None) -> str:
    return "-" if value is None else f"{(value * 100).quantize(Decimal('0.01'))} %"


def _num(value: Decimal | None, places: int | None = None) -> str:
    if value is None:
        return "-"
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places))
    return format(value, "f")


def _render(report: Report, snapshots: int) -> None:
    from rich.console import Console
    from rich.table import Table

    q, p = report.quote, report.precision
    table = Table(title=f"Portfolio in {q} ({report.method} cost)", title_justify="left")
    for name in ("ASSET", "BALANCE", f"PRICE ({q})", f"VALUE ({q})", "ALLOC", "AVG COST", "UNREALISED",
                 "REALISED", "FEES", "ROUTE"):
        table.add_column(name, justify="left" if name in ("ASSET", "ROUTE") else "right")
    for r in report.rows:
        fees = f"{_num(r.fees)} {r.asset}" if r.fees else ""
        note = "" if r.cost_complete or r.asset == q else " *"
        table.add_row(r.asset, _num(r.balance), _num(r.price, p), _num(r.value) if r.value is not None else
                      "not priced", _pct(r.allocation), _num(r.avg_cost, p), _num(r.unrealised) + note,
                      _num(r.realised), fees, r.route)
    console = Console(soft_wrap=True)
    console.print(table)
    unvalued = "n/a (a flow or holding is not priced)"
    lines = [f"equity {_num(report.equity)} {q}",
             f"PnL realised {_num(report.realised)} {q}, unrealised {_num(report.unrealised)} {q}; "
             f"fees {_num(report.fees_value)} {q}",
             f"net deposits {_num(report.net_deposits) + ' ' + q if report.net_deposits is not None else unvalued}; "
             f"time-weighted return {_pct(report.twr) if report.twr is not None else unvalued}; "
             f"buy-and-hold {_num(report.hold_value) + ' ' + q if report.hold_value is not None else unvalued}",
             f"snapshots kept: {snapshots}"]
    if report.unpriced:
        lines.append(f"not priced (no route to {q}): {', '.join(report.unpriced)}")
    if any(not r.cost_complete and r.asset != q for r in report.rows):
        lines.append("* cost basis unknown or incomplete: an arrival had no price then, or the trade and transfer "
                     "history does not explain the whole balance")
    console.print("\n".join(lines), highlight=False)


def cmd_portfolio(args: argparse.Namespace) -> None:
    if args.plot and not args.plot.lower().endswith(".png"):
        raise CliError(f"--plot writes a PNG: give a file name ending in .png, not {args.plot!r}")
    with cli_errors():
        profile, _ = load_profile(args)
        with profile.client() as client:
            try:
                report, flow_points = _report(client, args)
            except UnknownAsset as exc:
                raise unknown_quote(str(exc)) from None
    store = SnapshotStore(args.profile)
    try:
        store.add(Snapshot(report.time_ms, report.quote, report.equity,
                           {r.asset: r.value for r in report.rows if r.value is not None}))
        history = store.history(report.quote)
    finally:
        store.close()
    if args.plot:
        from minance.portfolio.plot import PlotUnavailable, plot_portfolio

        try:
            plot_portfolio(report, history, args.plot, flow_points)
        except PlotUnavailable as exc:
            raise CliError(str(exc)) from None
        except OSError as exc:
            raise CliError(f"cannot write {args.plot}: {exc.strerror}") from None
    if args.json:
        data = report.to_json()
        data["snapshots"] = len(history)
        if args.plot:
            data["plot"] = args.plot
        json.dump(data, sys.stdout, indent=2)
        print()
    else:
        _render(report, len(history))
        if args.plot:
            print(f"plot written to {args.plot}")


def register(sub) -> None:
    p = sub.add_parser("portfolio", help="balances valued in a quote asset, cost basis, PnL and returns")
    p.add_argument("--profile", required=True, metavar="P",
                   help="vault profile (NAME, keyring:NAME, hashicorp:NAME or env)")
    p.add_argument("--quote", default="USDT", help="value everything in this asset (default USDT)")
    p.add_argument("--cost", choices=[m.value for m in CostMethod], default="average",
                   help="cost basis method (default average; fifo for tax reports)")
    p.add_argument("--since", metavar="WHEN", help="report realised PnL and returns from then (30d, ISO date, ms)")
    p.add_argument("--plot", metavar="FILE.png", help="write a PNG of equity history and allocation")
    p.add_argument("--symbols", metavar="S1,S2", help="also read the trades of these pairs")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    add_vault_option(p)
    p.set_defaults(run=cmd_portfolio)
