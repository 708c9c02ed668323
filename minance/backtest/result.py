"""What a backtest returns: metrics, fills, orders and the equity curve (a notebook-friendly object)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from minance.backtest.engine import Backtest, Flag
from minance.backtest.metrics import Metrics, compute_metrics, daily_equity, round_trips
from minance.bots.records import Fill, Order

__all__ = ["BacktestResult", "fingerprint", "summarise"]


def fingerprint(fills: list[Fill]) -> str:
    """sha256 over (time, side, price, quantity, fee) of every fill, in order: equal fills ⇔ equal prints."""
    h = hashlib.sha256()
    for f in fills:
        side = getattr(f.side, "value", f.side)
        h.update(f"{f.time}|{side}|{f.price.normalize()}|{f.qty.normalize()}|{f.commission.normalize()}"
                 f"|{f.commission_asset}\n".encode())
    return h.hexdigest()


@dataclass
class BacktestResult:
    symbol: str
    interval: str
    start_ms: int
    end_ms: int
    strategy: str
    params: dict[str, Any]
    fill_model: str
    metrics: Metrics
    benchmark: Metrics  # buy-and-hold of the same starting equity
    fills: list[Fill]
    orders: list[Order]
    times: np.ndarray  # bar close times (ms)
    equity: np.ndarray  # account equity in the quote asset at each bar close (float64: for charts and metrics)
    bh_equity: np.ndarray
    flags: list[Flag]
    bars: Any  # the replayed Bars (columns)
    final_balances: dict[str, Decimal] = field(default_factory=dict)
    engine_moves: int = 0
    cpu_s: float = 0.0
    rejections: list[tuple[int, int, str]] = field(default_factory=list)  # (bar index, code, message)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.fills)

    def as_json(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol, "interval": self.interval, "start": self.start_ms, "end": self.end_ms,
            "strategy": self.strategy, "params": {k: str(v) for k, v in self.params.items()},
            "fillModel": self.fill_model, "bars": len(self.times),
            "metrics": _clean(self.metrics.as_dict()), "buyAndHold": _clean(self.benchmark.as_dict()),
            "finalBalances": {k: str(v) for k, v in self.final_balances.items()},
            "fills": len(self.fills), "orders": len(self.orders), "fingerprint": self.fingerprint,
            "rejections": len(self.rejections),
            "firstRejection": ({"bar": self.rejections[0][0], "code": self.rejections[0][1],
                                "msg": self.rejections[0][2]} if self.rejections else None),
            "flaggedBars": [{"index": f.index, "openTime": f.open_time, "path": f.path, "reason": f.reason}
                            for f in self.flags],
            "formulas": {"sharpe": "mean(daily r) / std(daily r) × √365",
                         "sortino": "mean(daily r) / √mean(min(daily r, 0)²) × √365"},
        }


def _clean(d: dict) -> dict:
    return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in d.items()}


def summarise(bt: Backtest, strategy_name: str, cpu_s: float = 0.0) -> BacktestResult:
    """Turn a finished :class:`Backtest` into its result: the equity curve, metrics, buy-and-hold."""
    close = bt.bars.close.astype(np.float64) / 1e8
    times = bt.bars.open_time + bt.step_ms - 1
    idx, base, quote = (np.asarray(x) for x in bt.holdings())
    at = np.searchsorted(idx, np.arange(len(close)), side="right") - 1
    at[at < 0] = 0
    equity = quote[at].astype(np.float64) / 1e8 + base[at].astype(np.float64) / 1e8 * close
    start_ms = int(bt.bars.open_time[0])
    open0 = float(bt.bars.open[0]) / 1e8
    e0 = float(quote[0]) / 1e8 + float(base[0]) / 1e8 * open0
    bh = e0 / open0 * close if open0 else np.zeros_like(close)
    span = int(times[-1]) + 1 - start_ms
    dt, de = daily_equity(times, equity, start_ms, e0)
    bt_, be = daily_equity(times, bh, start_ms, e0)
    own = [f for f in bt.fills if f.symbol == bt.symbol] if bt.markets else bt.fills  # the primary's trips
    trips = round_trips(own, dust=max(bt.spec.min_qty, bt.spec.step_size))  # LOT_SIZE leaves dust
    dust = int(max(bt.spec.min_qty, bt.spec.step_size) * 100_000_000)
    exposure = float((base[at] >= dust).mean()) if len(at) else 0.0  # a position, not LOT_SIZE dust
    fees = float(sum((f.commission * (f.price if f.commission_asset == bt.spec.base else 1) for f in own),
                     Decimal(0)))
    metrics = compute_metrics(dt, de, trips=trips, exposure=exposure, fees=fees, fills=len(bt.fills), span_ms=span)
    bench = compute_metrics(bt_, be, exposure=1.0, span_ms=span)
    balances = {b.asset: b.free + b.locked for b in bt.exchange.balances(1)}
    return BacktestResult(bt.symbol, bt.interval, start_ms, int(times[-1]) + 1, strategy_name,
                          dict(bt.strategy.params), bt.config.fill_model, metrics, bench, bt.fills,
                          bt.order_records(), times, equity, bh, bt.flags, bt.bars, balances, bt.engine_moves, cpu_s,
                          bt.rejections)

