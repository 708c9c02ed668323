"""The market maker, as pure functions: the ladder it wants, and the orders to change to get there.

:func:`ladder` quotes ``levels`` bids and asks around a reference price (the replayed price):

* prices sit on a fixed grid (multiples of ``spacing`` ticks, where ``spacing`` is ``spacing_bps`` of the price
  rounded to one significant digit), so a small move of the reference changes only the levels near the touch
  and :func:`diff` keeps the rest; the best bid is at or below ``ref × (1 − spread/2)``, the best ask at or above
  ``ref × (1 + spread/2)``;
* sizes grow geometrically away from the touch (``first_notional × growth^i`` in quote), so a market order walks
  the book with realistic slippage: with the defaults a 1 BTC market buy at ~95 000 takes about six levels;
* every order satisfies the symbol's PRICE_FILTER, LOT_SIZE and NOTIONAL filters; ``max_base``/``max_quote`` and
  the maker's available balances cap the total asked quantity and the total bid notional (outer levels go first).

:func:`diff` compares the maker's resting orders with a desired ladder and returns what to cancel and what to
place; an order at a wanted price whose remaining quantity is within ``qty_tolerance`` of the wanted quantity is
kept (no churn, no lost queue priority). Apply cancels before placements so new quotes never meet stale ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

from minance.domain.symbols import SymbolSpec

__all__ = ["BUY", "SELL", "MakerParams", "Quote", "RestingOrder", "diff", "grid_spacing", "ladder"]

BUY, SELL = "BUY", "SELL"
_BPS = Decimal(10_000)
# Size at the touch, in quote units, when MakerParams.first_notional is None.
_FIRST_NOTIONAL = {"BTC": Decimal("0.1")}
_FIRST_NOTIONAL_DEFAULT = Decimal("10000")


@dataclass(frozen=True, slots=True)
class MakerParams:
    levels: int = 20  # per side
    spread_bps: Decimal = Decimal(2)  # touch-to-touch spread (before rounding to the grid)
    spacing_bps: Decimal = Decimal(1)  # distance between levels
    first_notional: Decimal | None = None  # quote value at the touch; None → 10 000 (0.1 for BTC-quoted)
    growth: Decimal = Decimal("1.2")  # size multiplier per level away from the touch
    max_base: Decimal | None = None  # cap on the sum of ask quantities
    max_quote: Decimal | None = None  # cap on the sum of bid notionals


@dataclass(frozen=True, slots=True)
class Quote:
    side: str  # BUY | SELL
    price: Decimal
    qty: Decimal


@dataclass(frozen=True, slots=True)
class RestingOrder:
    order_id: int
    side: str
    price: Decimal
    qty: Decimal  # remaining quantity


def _one_digit(x: Decimal) -> int:
    """Round a positive number to one significant digit (≥ 1): 1 900 → 2 000, 7.4 → 7, 0.3 → 1."""
    if x < 1:
        return 1
    e = x.adjusted()
    scaled = (x.scaleb(-e)).to_integral_value(ROUND_HALF_EVEN)
    return int(scaled.scaleb(e))


def grid_spacing(ref_price: Decimal, spec: SymbolSpec, spacing_bps: Decimal) -> int:
    """Level spacing in ticks for a reference price."""
    return _one_digit(ref_price / spec.tick_size * spacing_bps / _BPS)


def _qty(notional: Decimal, price: Decimal, spec: SymbolSpec) -> Decimal | None:
    """Quantity for a target notional, on the step grid and inside LOT_SIZE / NOTIONAL (None if impossible)."""
    step = spec.step_size
    qty = (notional / price / step).to_integral_value(ROUND_DOWN) * step
    qty = max(qty, spec.min_qty)
    if qty * price < spec.min_notional:
        qty = (spec.min_notional / price / step).to_integral_value(ROUND_CEILING) * step
    qty = min(qty, spec.max_qty, (spec.max_notional / price / step).to_integral_value(ROUND_DOWN) * step)
    return qty if _valid(spec, price, qty) else None


def _valid(spec: SymbolSpec, price: Decimal, qty: Decimal) -> bool:
    return (spec.tick_size <= price <= spec.max_price and price % spec.tick_size == 0
            and spec.min_qty <= qty <= spec.max_qty and qty % spec.step_size == 0
            and spec.min_notional <= price * qty <= spec.max_notional)


def ladder(ref_price: Decimal, spec: SymbolSpec, params: MakerParams = MakerParams(), *,
           base_available: Decimal | None = None, quote_available: Decimal | None = None) -> list[Quote]:
    """The desired quotes: bids best→worst, then asks best→worst."""
    tick = spec.tick_size
    ref_ticks = ref_price / tick
    spacing = grid_spacing(ref_price, spec, params.spacing_bps)
    half = ref_ticks * params.spread_bps / _BPS / 2
    best_bid = int(((ref_ticks - half) / spacing).to_integral_value(ROUND_FLOOR)) * spacing
    best_ask = int(((ref_ticks + half) / spacing).to_integral_value(ROUND_CEILING)) * spacing
    if best_ask <= best_bid:
        best_ask = best_bid + spacing
    first = params.first_notional or _FIRST_NOTIONAL.get(spec.quote, _FIRST_NOTIONAL_DEFAULT)
    caps = {BUY: _min(params.max_quote, quote_available), SELL: _min(params.max_base, base_available)}
    out: list[Quote] = []
    for side, start, sign in ((BUY, best_bid, -1), (SELL, best_ask, 1)):
        used = Decimal(0)
        for i in range(params.levels):
            price = (start + sign * i * spacing) * tick
            if price < tick or price > spec.max_price:
                break
            qty = _qty(first * params.growth ** i, price, spec)
            if qty is None:
                break
            cap = caps[side]
            if cap is not None:
                room = cap - used if side == SELL else (cap - used) / price
                if qty > room:
                    qty = (room / spec.step_size).to_integral_value(ROUND_DOWN) * spec.step_size
                    if not _valid(spec, price, qty):
                        break
            out.append(Quote(side, price, qty))
            used += qty if side == SELL else qty * price
    return out


def _min(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    if a is None:
        return b
    return a if b is None else min(a, b)


def diff(current: Sequence[RestingOrder], desired: Sequence[Quote], *,
         qty_tolerance: Decimal = Decimal("0.5")) -> tuple[list[RestingOrder], list[Quote]]:
    """(orders to cancel, quotes to place) to turn ``current`` into ``desired`` with the fewest changes.

    An order is kept when a desired quote has its side and price and |remaining − wanted| ≤ tolerance × wanted;
    at most one order is kept per price.
    """
    wanted = {(q.side, q.price): q for q in desired}
    kept: set[tuple[str, Decimal]] = set()
    cancel = []
    for o in current:
        key = (o.side, o.price)
        q = wanted.get(key)
        if q is not None and key not in kept and abs(o.qty - q.qty) <= qty_tolerance * q.qty:
            kept.add(key)
        else:
            cancel.append(o)
    return cancel, [q for q in desired if (q.side, q.price) not in kept]
