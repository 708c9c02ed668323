"""The typed, frozen records a strategy sees: bars, quotes, trades, balances, orders, fills, positions.

Amounts are ``Decimal`` (never float); sides, types and statuses are the domain's enums
(:mod:`minance.domain.orders`). Field meanings follow Binance's (``executed_qty`` is the filled base quantity,
``cummulative_quote_qty`` the quote spent or received, a fill's ``commission`` is charged in
``commission_asset``). Times are epoch milliseconds on the venue's clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from minance.domain.orders import TERMINAL_STATUSES, OrderStatus, OrderType, Side, TimeInForce

__all__ = ["Balance", "Bar", "Fill", "Order", "Position", "Quote", "Trade"]

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Bar:
    """A closed kline of ``interval``; ``on_bar`` receives it at its close (no look-ahead)."""

    symbol: str
    interval: str
    open_time: int
    close_time: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal = ZERO
    trades: int = 0


@dataclass(frozen=True, slots=True)
class Quote:
    """Best bid and ask (bookTicker)."""

    symbol: str
    bid: Decimal
    bid_qty: Decimal
    ask: Decimal
    ask_qty: Decimal
    time: int = 0

    @property
    def mid(self) -> Decimal:
        return (self.bid + self.ask) / 2


@dataclass(frozen=True, slots=True)
class Trade:
    """One public trade (the ``trade`` stream), for strategies that ask for trade ticks."""

    symbol: str
    trade_id: int
    price: Decimal
    qty: Decimal
    time: int
    is_buyer_maker: bool


@dataclass(frozen=True, slots=True)
class Balance:
    asset: str
    free: Decimal
    locked: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.free + self.locked


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution of one of the bot's orders."""

    symbol: str
    order_id: int
    client_order_id: str
    trade_id: int
    side: Side
    price: Decimal
    qty: Decimal
    commission: Decimal
    commission_asset: str
    time: int
    is_maker: bool = False
    order_list_id: int = -1

    @property
    def quote_qty(self) -> Decimal:
        return self.price * self.qty


@dataclass(frozen=True, slots=True)
class Order:
    """An order as the exchange last reported it."""

    symbol: str
    order_id: int
    client_order_id: str
    side: Side
    type: OrderType
    status: OrderStatus
    orig_qty: Decimal = ZERO
    executed_qty: Decimal = ZERO
    cummulative_quote_qty: Decimal = ZERO
    price: Decimal = ZERO  # 0 for market-type orders
    stop_price: Decimal = ZERO  # 0 when none
    trailing_delta: int = 0  # BIPS, 0 when none
    time_in_force: TimeInForce | None = None
    order_list_id: int = -1
    time: int = 0
    update_time: int = 0
    fills: tuple[Fill, ...] = ()  # the fills reported with the placement answer, when the venue has them

    @property
    def is_open(self) -> bool:
        return self.status not in TERMINAL_STATUSES

    @property
    def remaining(self) -> Decimal:
        return self.orig_qty - self.executed_qty

    @property
    def avg_price(self) -> Decimal | None:
        return self.cummulative_quote_qty / self.executed_qty if self.executed_qty else None


@dataclass(frozen=True, slots=True)
class Position:
    """What the bot holds in ``symbol`` from its own fills, at average cost.

    ``qty`` is net of commissions charged in the base asset; ``cost`` is the quote paid for the open quantity
    (fees charged in the quote asset included), so ``avg_cost = cost / qty``. ``realized`` is the quote PnL
    of what was sold, against the average cost at the time, after fees.
    """

    symbol: str
    qty: Decimal = ZERO
    cost: Decimal = ZERO
    realized: Decimal = ZERO
    fees_quote: Decimal = ZERO  # commissions paid, valued in the quote asset at the fill price

    @property
    def avg_cost(self) -> Decimal | None:
        return self.cost / self.qty if self.qty > 0 else None

    def unrealized(self, price: Decimal) -> Decimal:
        return self.qty * price - self.cost

    def pnl(self, price: Decimal) -> Decimal:
        return self.realized + self.unrealized(price)
