"""The portfolio report: per asset the balance, its value and route, allocation, cost basis, realised and
unrealised PnL and fees; in total equity, PnL, net deposits, time-weighted return and buy-and-hold. Pure:
built from a :class:`~minance.portfolio.valuation.Valuation` and a replayed
:class:`~minance.portfolio.ledger.Ledger`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from minance.portfolio.ledger import Ledger
from minance.portfolio.returns import time_weighted_return
from minance.portfolio.valuation import Valuation, quantize

__all__ = ["AssetRow", "Report", "build_report"]

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class AssetRow:
    asset: str
    balance: Decimal
    price: Decimal | None
    value: Decimal | None
    route: str
    allocation: Decimal | None  # fraction of equity
    cost: Decimal | None  # cost basis of what is held (None for the quote asset)
    avg_cost: Decimal | None
    realised: Decimal
    unrealised: Decimal | None
    fees: Decimal  # charged in this asset, in the asset
    fees_value: Decimal
    unexplained: Decimal  # balance − what the history explains (history not complete)
    cost_complete: bool


@dataclass(frozen=True, slots=True)
class Report:
    quote: str
    method: str
    time_ms: int
    since_ms: int | None
    precision: int
    rows: tuple[AssetRow, ...]
    equity: Decimal
    realised: Decimal
    unrealised: Decimal
    fees_value: Decimal
    net_deposits: Decimal | None
    twr: Decimal | None
    hold_value: Decimal | None  # what the start holdings and later deposits would be worth now, untraded
    unpriced: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        def s(v: Decimal | None) -> str | None:
            return None if v is None else format(v, "f")

        return {
            "quote": self.quote, "costMethod": self.method, "time": self.time_ms, "since": self.since_ms,
            "equity": s(self.equity), "realisedPnl": s(self.realised), "unrealisedPnl": s(self.unrealised),
            "fees": s(self.fees_value), "netDeposits": s(self.net_deposits), "timeWeightedReturn": s(self.twr),
            "buyAndHold": s(self.hold_value), "unpriced": list(self.unpriced),
            "assets": [{"asset": r.asset, "balance": s(r.balance), "price": s(r.price), "value": s(r.value),
                        "route": r.route, "allocation": s(r.allocation), "costBasis": s(r.cost),
                        "avgCost": s(r.avg_cost), "realisedPnl": s(r.realised), "unrealisedPnl": s(r.unrealised),
                        "fees": s(r.fees), "feesValue": s(r.fees_value), "unexplained": s(r.unexplained),
                        "costComplete": r.cost_complete} for r in self.rows],
        }


def build_report(valuation: Valuation, ledger: Ledger, *, method: str, now_ms: int,
                 since_ms: int | None = None, start_equity: Decimal | None = None,
                 current_prices: dict[str, Decimal] | None = None) -> Report:
    """``valuation`` of the current balances; ``ledger`` replayed over the whole history (with a checkpoint at
    ``since_ms`` when given: realised PnL and TWR then cover [since, now])."""
    q, prec = valuation.quote, valuation.precision
    equity = valuation.total
    rows = []
    realised_before = ledger.realised_at.get(since_ms, {}) if since_ms is not None else {}
    assets = {a.asset for a in valuation.assets} | {a for a, p in ledger.positions.items() if p.realised or p.fees}
    for asset in sorted(assets):
        held = valuation.get(asset)
        pos = ledger.positions.get(asset)
        balance = held.amount if held else ZERO
        value = held.value if held else (ZERO if balance == 0 else None)
        realised = (pos.realised - realised_before.get(asset, ZERO)) if pos else ZERO
        replayed = pos.qty if pos else ZERO
        complete = pos is not None and not pos.unknown_cost and replayed == balance
        cost = None if asset == q else quantize(pos.cost, prec) if pos else None
        avg = None if asset == q or pos is None or not pos.qty or pos.unknown_cost else pos.cost / pos.qty
        unrealised = None
        if asset != q and value is not None and pos is not None and complete:
            unrealised = value - quantize(pos.cost, prec)
        elif asset == q:
            unrealised = quantize(ZERO, prec)
        rows.append(AssetRow(
            asset=asset, balance=balance, price=held.price if held else None, value=value,
            route=held.path if held and held.value is not None else "-",
            allocation=(value / equity) if value is not None and equity else None, cost=cost, avg_cost=avg,
            realised=quantize(realised, prec), unrealised=unrealised,
            fees=pos.fees if pos else ZERO, fees_value=quantize(pos.fees_value, prec) if pos else ZERO,
            unexplained=balance - replayed, cost_complete=complete))
    flows = [f for f in ledger.flows if since_ms is None or f.time >= since_ms]
    flow_values = [f.value for f in flows]
    net = None if None in flow_values else quantize(sum((v for v in flow_values if v is not None), ZERO), prec)
    twr = time_weighted_return(start_equity, flows, equity, since_ms)
    hold = None
    if current_prices is not None:
        start = dict(ledger.checkpoints.get(since_ms, {})) if since_ms is not None else {}
        for f in flows:
            start[f.asset] = start.get(f.asset, ZERO) + f.amount
        known = [qty * current_prices[asset] for asset, qty in start.items() if asset in current_prices]
        hold = quantize(sum(known, ZERO), prec) if len(known) == len(start) else None
    return Report(
        quote=q, method=method, time_ms=now_ms, since_ms=since_ms, precision=prec, rows=tuple(rows), equity=equity,
        realised=sum((r.realised for r in rows), ZERO),
        unrealised=sum((r.unrealised for r in rows if r.unrealised is not None), ZERO),
        fees_value=sum((r.fees_value for r in rows), ZERO), net_deposits=net,
        twr=twr, hold_value=hold, unpriced=valuation.unpriced)
