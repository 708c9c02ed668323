"""Performance metrics from a daily equity curve and the fills, with their formulas stated.

Crypto trades every day, so returns are *daily* (the equity at each UTC day's last close, the starting equity as
day 0) and annualised with √365 and 365-day years:

* total return  = E_end / E_start − 1
* CAGR          = (E_end / E_start)^(365 / days) − 1
* Sharpe        = mean(r) / std(r) × √365            (r = daily returns, sample std, risk-free rate 0)
* Sortino       = mean(r) / √(mean(min(r, 0)²)) × √365
* max drawdown  = max over days of 1 − E_t / max(E_≤t); its duration: the longest time below a previous peak
* Calmar        = CAGR / max drawdown
* trades        = round trips (a position opened from flat and closed back to flat); win rate = winners / trades;
  profit factor = gross profit / gross loss; expectancy = mean PnL per trade (quote, fees included)
* exposure      = share of bars that ended with a position; fees = commissions valued in the quote asset

Spans under 30 days are not annualised (CAGR, Sharpe, Sortino and Calmar are None, and the report says why):
annualising a week of returns gives the absurd figures other tools print.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from functools import lru_cache

import numpy as np

__all__ = ["FORMULAS", "MIN_ANNUALISE_DAYS", "Metrics", "RoundTrip", "compute_metrics", "daily_equity",
           "drawdown", "round_trips"]

DAY_MS = 86_400_000
MIN_ANNUALISE_DAYS = 30
FORMULAS = {
    "sharpe": "mean(daily r) / std(daily r) × √365",
    "sortino": "mean(daily r) / √mean(min(daily r, 0)²) × √365",
    "cagr": "(E_end / E_start)^(365 / days) − 1",
    "calmar": "CAGR / max drawdown",
}


@dataclass(frozen=True, slots=True)
class RoundTrip:
    open_time: int
    close_time: int
    qty: Decimal
    pnl: Decimal  # quote, commissions included


@dataclass(frozen=True)
class Metrics:
    start_equity: float
    end_equity: float
    days: float
    total_return: float
    cagr: float | None
    sharpe: float | None
    sortino: float | None
    max_drawdown: float
    max_drawdown_days: float
    calmar: float | None
    trades: int
    win_rate: float | None
    profit_factor: float | None
    expectancy: float | None
    exposure: float
    fees: float
    fills: int
    annualised: bool
    note: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def daily_equity(times_ms: Sequence[int] | np.ndarray, equity: Sequence[float] | np.ndarray, start_ms: int,
                 start_equity: float) -> tuple[list[int], list[float]]:
    """The equity at each UTC day's last observation, preceded by the starting point. Arrays or sequences; the
    day ends are found with numpy (a year of minutes is half a million points, summarised once per backtest)."""
    t = np.asarray(times_ms, dtype=np.int64)
    e = np.asarray(equity)
    if len(t) != len(e):
        raise ValueError(f"{len(t)} times but {len(e)} equity points")
    if not len(t):
        return [start_ms], [start_equity]
    day = t // DAY_MS
    last = np.flatnonzero(np.append(day[1:] != day[:-1], True))  # each run of one day's points: its last one
    return [start_ms, *t[last].tolist()], [start_equity, *e[last].tolist()]


def drawdown(equity: Sequence[float]) -> list[float]:
    """1 − E_t / running peak, per point."""
    out, peak = [], -math.inf
    for e in equity:
        peak = max(peak, e)
        out.append(1 - e / peak if peak > 0 else 0.0)
    return out


def _dd_duration(times_ms: Sequence[int], equity: Sequence[float]) -> float:
    longest, peak, peak_t = 0, -math.inf, times_ms[0] if times_ms else 0
    for t, e in zip(times_ms, equity, strict=True):
        if e >= peak:
            peak, peak_t = e, t
        else:
            longest = max(longest, t - peak_t)
    return longest / DAY_MS


def round_trips(fills: Sequence, dust: Decimal = Decimal(0)) -> list[RoundTrip]:
    """Flat → position → flat cycles of a long-only book from fills (Fill records, oldest first)."""
    out: list[RoundTrip] = []
    pos = Decimal(0)
    cash = Decimal(0)
    opened = 0
    qty_in = Decimal(0)
    for f in fills:
        side = getattr(f.side, "value", f.side)
        fee = f.commission
        base_fee = fee if f.commission_asset and f.commission_asset != _quote_of(f) else Decimal(0)
        quote_fee = fee - base_fee
        if pos <= dust and side == "BUY":
            opened, cash, qty_in = f.time, Decimal(0), Decimal(0)
        if side == "BUY":
            pos += f.qty - base_fee
            qty_in += f.qty
            cash -= f.price * f.qty + quote_fee
        else:
            pos -= f.qty
            cash += f.price * f.qty - quote_fee
        cash -= base_fee * f.price
        if side == "SELL" and pos <= dust and qty_in:
            out.append(RoundTrip(opened, f.time, qty_in, cash))
            qty_in = Decimal(0)
    return out


def _quote_of(fill) -> str:
    return _quote_of_symbol(fill.symbol)


@lru_cache(maxsize=256)  # one look-up per fill otherwise: a year of minutes can hold tens of thousands
def _quote_of_symbol(symbol: str) -> str:
    for q in ("USDT", "USDC", "FDUSD", "BTC", "ETH", "BNB"):
        if symbol.endswith(q):
            return q
    return ""


def compute_metrics(times_ms: Sequence[int], equity: Sequence[float], *, trips: Sequence[RoundTrip] = (),
                    exposure: float = 0.0, fees: float = 0.0, fills: int = 0,
                    span_ms: int | None = None) -> Metrics:
    """Metrics of a daily equity curve (``times_ms[0]`` is the start, ``equity[0]`` the starting equity)."""
    e0, e1 = float(equity[0]), float(equity[-1])
    span = span_ms if span_ms is not None else times_ms[-1] - times_ms[0]
    days = span / DAY_MS
    total = e1 / e0 - 1 if e0 else 0.0
    returns = [b / a - 1 for a, b in itertools.pairwise(equity) if a]
    annualise = days >= MIN_ANNUALISE_DAYS
    cagr = sharpe = sortino = calmar = None
    note = "" if annualise else f"span of {days:.1f} days < {MIN_ANNUALISE_DAYS}: not annualised"
    dd = drawdown(equity)
    max_dd = max(dd) if dd else 0.0
    if annualise:
        cagr = (e1 / e0) ** (365 / days) - 1 if e0 > 0 and e1 > 0 else -1.0
        if len(returns) > 1:
            mean = sum(returns) / len(returns)
            std = math.sqrt(sum((r - mean) ** 2 for r in returns) / (len(returns) - 1))
            sharpe = mean / std * math.sqrt(365) if std > 0 else None
            down = math.sqrt(sum(min(r, 0.0) ** 2 for r in returns) / len(returns))
            sortino = mean / down * math.sqrt(365) if down > 0 else None
        calmar = cagr / max_dd if max_dd > 0 else None
    wins = [t.pnl for t in trips if t.pnl > 0]
    losses = [t.pnl for t in trips if t.pnl <= 0]
    win_rate = len(wins) / len(trips) if trips else None
    gross_loss = -sum(losses, Decimal(0))
    profit_factor = float(sum(wins, Decimal(0)) / gross_loss) if trips and gross_loss > 0 else None
    expectancy = float(sum((t.pnl for t in trips), Decimal(0)) / len(trips)) if trips else None
    return Metrics(e0, e1, days, total, cagr, sharpe, sortino, max_dd, _dd_duration(times_ms, equity), calmar,
                   len(trips), win_rate, profit_factor, expectancy, exposure, fees, fills, annualise, note)
