"""Exchange rules for one symbol (PRICE_FILTER, LOT_SIZE, NOTIONAL, TRAILING_DELTA) and the rounding helpers
every venue shares, built from Binance's exchangeInfo filter dicts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

__all__ = ["Commission", "SymbolRules"]

ZERO = Decimal(0)


def _d(value: Any, default: str = "0") -> Decimal:
    return Decimal(str(value if value is not None else default))


@dataclass(frozen=True, slots=True)
class Commission:
    """Fee rates as fractions (0.001 = 0.1 %)."""

    maker: Decimal = Decimal("0.001")
    taker: Decimal = Decimal("0.001")


@dataclass(frozen=True, slots=True)
class SymbolRules:
    symbol: str
    base: str
    quote: str
    tick_size: Decimal
    step_size: Decimal
    min_qty: Decimal
    max_qty: Decimal
    min_notional: Decimal
    max_notional: Decimal = Decimal("9e15")
    market_max_qty: Decimal = ZERO  # 0: no separate market lot cap
    min_trailing_delta: int = 10
    max_trailing_delta: int = 2000
    min_price: Decimal = ZERO
    max_price: Decimal = ZERO
    status: str = "TRADING"

    @classmethod
    def from_filters(cls, symbol: str, base: str, quote: str, filters: list[dict[str, Any]] | tuple,
                     status: str = "TRADING") -> SymbolRules:
        by_type = {f.get("filterType"): f for f in filters}
        price = by_type.get("PRICE_FILTER", {})
        lot = by_type.get("LOT_SIZE", {})
        market = by_type.get("MARKET_LOT_SIZE", {})
        notional = by_type.get("NOTIONAL") or by_type.get("MIN_NOTIONAL") or {}
        trailing = by_type.get("TRAILING_DELTA", {})
        return cls(symbol, base, quote, tick_size=_d(price.get("tickSize")), step_size=_d(lot.get("stepSize")),
                   min_qty=_d(lot.get("minQty")), max_qty=_d(lot.get("maxQty"), "9e15"),
                   min_notional=_d(notional.get("minNotional")),
                   max_notional=_d(notional.get("maxNotional"), "9e15"), market_max_qty=_d(market.get("maxQty")),
                   min_trailing_delta=int(trailing.get("minTrailingBelowDelta", 10)),
                   max_trailing_delta=int(trailing.get("maxTrailingBelowDelta", 2000)),
                   min_price=_d(price.get("minPrice")), max_price=_d(price.get("maxPrice")), status=status)

    # -- rounding --------------------------------------------------------------------------------
    def round_price(self, price: Decimal, *, up: bool = False) -> Decimal:
        """``price`` on the tick grid: down by default (a safer buy), ``up=True`` for the ceiling."""
        return _to_step(price, self.tick_size, up)

    def round_qty(self, qty: Decimal, *, up: bool = False) -> Decimal:
        """``qty`` on the LOT_SIZE step grid, floored (never more than you have) unless ``up``."""
        return _to_step(qty, self.step_size, up)

    def qty_for_quote(self, quote: Decimal, price: Decimal) -> Decimal:
        """The largest lot-aligned quantity whose notional at ``price`` does not exceed ``quote``."""
        return self.round_qty(quote / price) if price > 0 else ZERO

    def min_qty_at(self, price: Decimal) -> Decimal:
        """The smallest quantity that passes LOT_SIZE and NOTIONAL at ``price``."""
        by_notional = self.round_qty(self.min_notional / price, up=True) if price > 0 else self.min_qty
        return max(self.min_qty, by_notional)

    # -- checks ----------------------------------------------------------------------------------
    def check(self, qty: Decimal | None, price: Decimal | None) -> str | None:
        """Why an order of ``qty`` at ``price`` would fail the filters (Binance's words), or None."""
        if price is not None and price > 0 and self.tick_size > 0 and price % self.tick_size:
            return "Filter failure: PRICE_FILTER"
        if qty is not None:
            if qty < self.min_qty or qty > self.max_qty or (self.step_size > 0 and qty % self.step_size):
                return "Filter failure: LOT_SIZE"
            if price is not None and price > 0 and qty * price < self.min_notional:
                return "Filter failure: NOTIONAL"
        return None

    def fits(self, qty: Decimal, price: Decimal) -> bool:
        return self.check(qty, price) is None


def _to_step(value: Decimal, step: Decimal, up: bool) -> Decimal:
    if step <= 0:
        return value
    units = (value / step).to_integral_value(ROUND_CEILING if up else ROUND_FLOOR)
    return (units * step).quantize(step) if units else ZERO
