"""A symbol's trading rules (Binance filters) in integer units, and the checks that apply them.

The rules are read from the same ``filters()`` list that exchangeInfo publishes, so what clients see is
what the engine enforces. Each check returns the failing filter's name (the engine turns it into -1013
"Filter failure: <NAME>") or None.
"""

from __future__ import annotations

from decimal import Decimal

from minance.domain.errors import BinanceError, Err
from minance.domain.orders import UNITS_PER_ONE, OrderType, StpMode, to_units
from minance.domain.symbols import STP_MODES, SymbolSpec

__all__ = ["SymbolRules", "filter_failure", "precision_error", "rules_for"]

# Enum members as module constants: on Python 3.11 `OrderType.LIMIT` costs ~10x a global lookup.
STP_EXPIRE_MAKER = StpMode.EXPIRE_MAKER
TAKE_PROFIT = OrderType.TAKE_PROFIT
TAKE_PROFIT_LIMIT = OrderType.TAKE_PROFIT_LIMIT

ONE = UNITS_PER_ONE
_MARKET_TYPES = frozenset({OrderType.MARKET, OrderType.STOP_LOSS, OrderType.TAKE_PROFIT})
# Trailing stops that trigger on a rise ("above" bounds of TRAILING_DELTA); the others trigger on a fall.
_ABOVE = frozenset({(OrderType.STOP_LOSS, True), (OrderType.STOP_LOSS_LIMIT, True),
                    (TAKE_PROFIT, False), (TAKE_PROFIT_LIMIT, False)})


def _u(text: str | Decimal | int) -> int:
    units = to_units(Decimal(text))
    assert units is not None, text
    return units


class SymbolRules:
    """Everything the engine needs to know about one symbol, in units of 1e-8."""

    __slots__ = ("allowed_stp", "apply_max_to_market", "apply_min_to_market", "ask_down", "ask_up", "base",
                 "bid_down", "bid_up", "default_stp", "market_max_qty", "market_min_qty", "market_step",
                 "max_algo_orders", "max_notional", "max_orders", "max_price", "max_qty", "max_trail_above",
                 "max_trail_below", "min_notional", "min_price", "min_qty", "min_trail_above",
                 "min_trail_below", "quote", "spec", "step", "symbol", "tick")

    def __init__(self, spec: SymbolSpec, default_stp: StpMode = STP_EXPIRE_MAKER,
                 allowed_stp: tuple[str, ...] = STP_MODES) -> None:
        self.spec = spec
        self.symbol = spec.symbol
        self.base = spec.base
        self.quote = spec.quote
        self.default_stp = default_stp
        self.allowed_stp = frozenset(StpMode(m) for m in allowed_stp)
        # neutral defaults: a filter the symbol does not list checks nothing
        self.min_price = self.max_price = self.tick = 0
        self.min_qty = self.max_qty = self.step = 0
        self.market_min_qty = self.market_max_qty = self.market_step = 0
        self.min_notional = self.max_notional = 0
        self.apply_min_to_market = self.apply_max_to_market = False
        self.bid_up = self.bid_down = self.ask_up = self.ask_down = 0
        self.max_orders = self.max_algo_orders = 0
        self.min_trail_above = self.max_trail_above = self.min_trail_below = self.max_trail_below = 0
        for f in spec.filters():
            self._read(f)

    def _read(self, f: dict) -> None:
        kind = f["filterType"]
        if kind == "PRICE_FILTER":
            self.min_price, self.max_price, self.tick = _u(f["minPrice"]), _u(f["maxPrice"]), _u(f["tickSize"])
        elif kind == "LOT_SIZE":
            self.min_qty, self.max_qty, self.step = _u(f["minQty"]), _u(f["maxQty"]), _u(f["stepSize"])
        elif kind == "MARKET_LOT_SIZE":
            self.market_min_qty, self.market_max_qty = _u(f["minQty"]), _u(f["maxQty"])
            self.market_step = _u(f["stepSize"])
        elif kind == "NOTIONAL":
            self.min_notional, self.max_notional = _u(f["minNotional"]), _u(f["maxNotional"])
            self.apply_min_to_market = bool(f["applyMinToMarket"])
            self.apply_max_to_market = bool(f["applyMaxToMarket"])
        elif kind == "PERCENT_PRICE_BY_SIDE":
            self.bid_up, self.bid_down = _u(f["bidMultiplierUp"]), _u(f["bidMultiplierDown"])
            self.ask_up, self.ask_down = _u(f["askMultiplierUp"]), _u(f["askMultiplierDown"])
        elif kind == "MAX_NUM_ORDERS":
            self.max_orders = int(f["maxNumOrders"])
        elif kind == "MAX_NUM_ALGO_ORDERS":
            self.max_algo_orders = int(f["maxNumAlgoOrders"])
        elif kind == "TRAILING_DELTA":
            self.min_trail_above, self.max_trail_above = f["minTrailingAboveDelta"], f["maxTrailingAboveDelta"]
            self.min_trail_below, self.max_trail_below = f["minTrailingBelowDelta"], f["maxTrailingBelowDelta"]

    # single checks --------------------------------------------------------------------------------------
    def price_ok(self, price: int) -> bool:
        if price <= 0:
            return False
        if self.min_price and price < self.min_price:
            return False
        if self.max_price and price > self.max_price:
            return False
        return not (self.tick and price % self.tick)

    def lot_ok(self, qty: int) -> bool:
        if qty <= 0:
            return False
        if self.min_qty and qty < self.min_qty:
            return False
        if self.max_qty and qty > self.max_qty:
            return False
        return not (self.step and (qty - self.min_qty) % self.step)

    def market_lot_ok(self, qty: int) -> bool:
        if self.market_min_qty and qty < self.market_min_qty:
            return False
        if self.market_max_qty and qty > self.market_max_qty:
            return False
        return not (self.market_step and (qty - self.market_min_qty) % self.market_step)

    def percent_ok(self, is_buy: bool, price: int, avg: int) -> bool:
        up, down = (self.bid_up, self.bid_down) if is_buy else (self.ask_up, self.ask_down)
        scaled = price * ONE
        if up and scaled > avg * up:
            return False
        return not (down and scaled < avg * down)

    def trailing_ok(self, order_type: OrderType, is_buy: bool, delta: int) -> bool:
        if (order_type, is_buy) in _ABOVE:
            lo, hi = self.min_trail_above, self.max_trail_above
        else:
            lo, hi = self.min_trail_below, self.max_trail_below
        return delta > 0 and not (lo and delta < lo) and not (hi and delta > hi)

    def notional_ok(self, notional: int, is_market: bool) -> bool:
        if self.min_notional and (not is_market or self.apply_min_to_market) and notional < self.min_notional:
            return False
        return not (self.max_notional and (not is_market or self.apply_max_to_market)
                    and notional > self.max_notional)

    # one order ------------------------------------------------------------------------------------------
    def check(self, order_type: OrderType, is_buy: bool, price: int, qty: int, quote_qty: int, stop: int,
              trailing: int, avg: int) -> str | None:
        """The first filter a single order fails, in exchangeInfo's filter order, or None.

        ``price`` (market types), ``qty`` (quoteOrderQty orders), ``quote_qty``, ``stop`` and ``trailing``
        are 0 when absent; ``avg`` is the 5-minute
        average price (0 when there has been no trade yet: the checks that need it are skipped).
        """
        is_market = order_type in _MARKET_TYPES
        if not is_market:
            # the common case, inlined: a priced order on the grid, a lot on the grid, a notional in range
            if price <= 0 or price < self.min_price or (self.max_price and price > self.max_price) or (
                    self.tick and price % self.tick):
                return "PRICE_FILTER"
        if stop and not self.price_ok(stop):
            return "PRICE_FILTER"
        if not quote_qty and (qty <= 0 or qty < self.min_qty or (self.max_qty and qty > self.max_qty) or (
                self.step and (qty - self.min_qty) % self.step)):
            return "LOT_SIZE"
        if is_market and not quote_qty and not self.market_lot_ok(qty):
            return "MARKET_LOT_SIZE"
        if trailing and not self.trailing_ok(order_type, is_buy, trailing):
            return "TRAILING_DELTA"
        if price and avg:  # self.percent_ok(is_buy, price, avg), inlined
            up, down = (self.bid_up, self.bid_down) if is_buy else (self.ask_up, self.ask_down)
            scaled = price * ONE
            if (up and scaled > avg * up) or (down and scaled < avg * down):
                return "PERCENT_PRICE_BY_SIDE"
        if not is_market:
            notional = price * qty // ONE
        elif quote_qty:
            notional = quote_qty
        else:
            ref = stop or avg
            if not ref:
                return None
            notional = ref * qty // ONE
        if is_market:
            if not self.notional_ok(notional, True):
                return "NOTIONAL"
        elif (self.min_notional and notional < self.min_notional) or (
                self.max_notional and notional > self.max_notional):  # self.notional_ok(notional, False)
            return "NOTIONAL"
        return None


def rules_for(spec: SymbolSpec) -> SymbolRules:
    return SymbolRules(spec)


def filter_failure(name: str) -> BinanceError:
    return Err.FILTER_FAILURE(filter=name)


def precision_error(name: str, value: Decimal | None) -> BinanceError | None:
    """Binance's -1111 when ``value`` has more decimals than the 8 every asset here carries.

    The server may call this while parsing parameters; the engine applies it to every command too.
    """
    if value is None or to_units(value) is not None:
        return None
    return Err.TOO_MUCH_PRECISION(name=name)
