"""The engine's mutable state objects: orders, order lists, accounts and symbols.

Only the engine mutates these; everything it hands out is a frozen view (``OrderView``, ``OrderListView``).
Amounts are integer units of 1e-8.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import deque

from minance.domain.orders import (
    UNITS_PER_ONE,
    ContingencyType,
    ExpiryReason,
    ListOrderStatus,
    ListStatusType,
    OrderListView,
    OrderStatus,
    OrderType,
    OrderView,
    Side,
    StpMode,
    TimeInForce,
    Trade,
)
from minance.engine.book import OrderBook
from minance.engine.ledger import Cell, Reservation
from minance.engine.rules import SymbolRules
from minance.engine.stops import StopBook

__all__ = ["AVG_PRICE_WINDOW_MS", "AccountState", "Order", "OrderList", "SymbolState", "VwapWindow"]

# Enum members as module constants: on Python 3.11 `OrderType.LIMIT` costs ~10x a global lookup.
BUY = Side.BUY
LOS_EXECUTING = ListOrderStatus.EXECUTING
LST_EXEC_STARTED = ListStatusType.EXEC_STARTED
ST_NEW = OrderStatus.NEW

AVG_PRICE_WINDOW_MS = 5 * 60_000  # /avgPrice and the filters' avgPriceMins: 5 minutes
_new_tuple = tuple.__new__  # builds a NamedTuple without its Python-level __new__ (hot path)


class Order:
    """One order's full state. Fields above ``status`` never change once the order exists, except
    ``qty`` of a quoteOrderQty market order (fixed when it executes) and ``update_ms``/``working_ms``."""

    __slots__ = (
        "account", "account_id", "base_cell", "client_order_id", "created_ms", "cum_quote", "executed",
        "expiry_reason", "is_buy", "is_working", "leaves", "on_book", "order_id", "order_list", "order_list_id",
        "prevented_match_id", "prevented_qty", "price", "qty", "quote_cell", "quote_order_qty", "res", "side",
        "status", "stop_price", "stp_mode", "strategy_id", "strategy_type", "sym", "symbol", "tif",
        "trail_active", "trail_extreme", "trailing_delta", "trailing_ms", "type", "update_ms", "working_ms",
    )

    def __init__(self, order_id: int, sym: SymbolState, account: AccountState, client_order_id: str, side: Side,
                 order_type: OrderType, tif: TimeInForce, qty: int, price: int, stop_price: int,
                 trailing_delta: int, quote_order_qty: int, stp_mode: StpMode, ts_ms: int,
                 strategy_id: int | None, strategy_type: int | None, base_cell: Cell, quote_cell: Cell) -> None:
        self.order_id = order_id
        self.sym = sym
        self.symbol = sym.symbol
        self.account = account
        self.account_id = account.account_id
        self.client_order_id = client_order_id
        self.side = side
        self.is_buy = side is BUY
        self.type = order_type
        self.tif = tif
        self.qty = qty
        self.price = price
        self.stop_price = stop_price
        self.trailing_delta = trailing_delta
        self.quote_order_qty = quote_order_qty
        self.stp_mode = stp_mode
        self.order_list: OrderList | None = None
        self.order_list_id = -1
        self.created_ms = ts_ms
        self.update_ms = ts_ms
        self.working_ms = -1
        self.strategy_id = strategy_id
        self.strategy_type = strategy_type
        self.status = ST_NEW
        self.executed = 0
        self.cum_quote = 0
        self.leaves = qty
        self.prevented_qty = 0
        self.prevented_match_id = -1
        self.res: Reservation | None = None
        self.base_cell = base_cell
        self.quote_cell = quote_cell
        self.on_book = False
        self.is_working = False
        self.trail_active = False
        self.trail_extreme = 0
        self.trailing_ms = -1
        self.expiry_reason: ExpiryReason | None = None

    def view(self) -> OrderView:
        return _new_tuple(OrderView, (
            self.symbol, self.order_id, self.order_list_id, self.client_order_id, self.account_id, self.side,
            self.type, self.tif, self.price, self.qty, self.executed, self.cum_quote, self.status, self.stop_price,
            self.created_ms, self.update_ms, self.is_working, self.working_ms, self.quote_order_qty, self.stp_mode,
            self.trailing_delta, self.trailing_ms, self.strategy_id, self.strategy_type, self.prevented_match_id,
            self.prevented_qty, self.expiry_reason,
        ))

    @property
    def is_open(self) -> bool:
        return self.status in _OPEN


_OPEN = frozenset({OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED, OrderStatus.PENDING_NEW})


class OrderList:
    """An OCO (legs share one reservation), OTO or OTOCO (``legs[0]`` works, the rest wait)."""

    __slots__ = ("account", "contingency", "is_oto", "legs", "list_client_order_id", "order_list_id",
                 "order_status", "resolved", "status_type", "symbol", "transaction_ms")

    def __init__(self, order_list_id: int, symbol: str, account: AccountState, list_client_order_id: str,
                 contingency: ContingencyType, is_oto: bool, ts_ms: int) -> None:
        self.order_list_id = order_list_id
        self.symbol = symbol
        self.account = account
        self.list_client_order_id = list_client_order_id
        self.contingency = contingency
        self.is_oto = is_oto  # OTO or OTOCO: legs[0] is the working order
        self.legs: list[Order] = []
        self.status_type = LST_EXEC_STARTED
        self.order_status = LOS_EXECUTING
        self.transaction_ms = ts_ms
        self.resolved = False  # an OCO leg (or an OTOCO pending leg) fired or filled: its siblings expired

    @property
    def is_open(self) -> bool:
        return self.order_status is LOS_EXECUTING

    def view(self) -> OrderListView:
        return OrderListView(
            self.order_list_id, self.contingency, self.status_type, self.order_status, self.list_client_order_id,
            self.transaction_ms, self.symbol, self.account.account_id,
            tuple((o.symbol, o.order_id, o.client_order_id) for o in self.legs),
        )


class AccountState:
    """Per-account indexes; balances live in the ledger.

    History is bounded (see :class:`~minance.engine.exchange.Exchange`): ``closed`` holds the account's
    finished orders that are not in an order list, per symbol, in the order they finished, and the oldest
    are forgotten past the engine's ``keep_closed_orders``; ``closed_lists`` does the same for finished
    order lists (with their legs) past ``keep_closed_lists``; ``trades`` keeps the last ``keep_my_trades``
    per symbol. Open orders and open lists (with all their legs) are never forgotten.
    """

    __slots__ = ("account_id", "algo_counts", "cells", "client_ids", "closed", "closed_lists", "list_client_ids",
                 "lists", "maker_bps", "open", "orders", "pruned_upto", "taker_bps", "trades")

    def __init__(self, account_id: int, maker_bps: int, taker_bps: int, cells: dict[str, Cell]) -> None:
        self.account_id = account_id
        self.cells = cells  # the ledger's cells of this account (asset → Cell), shared
        self.maker_bps = maker_bps
        self.taker_bps = taker_bps
        self.open: dict[str, dict[int, Order]] = {}  # symbol → open orders (incl. stops, pending legs)
        self.algo_counts: dict[str, int] = {}  # symbol → open STOP_LOSS*/TAKE_PROFIT* orders
        self.client_ids: dict[str, dict[str, Order]] = {}  # symbol → clientOrderId → latest order with it
        self.orders: dict[str, dict[int, Order]] = {}  # symbol → retained orders by id, in id order
        self.closed: dict[str, deque[Order]] = {}  # symbol → retained closed non-list orders, oldest closed first
        self.trades: dict[str, deque[tuple[Trade, bool]]] = {}  # symbol → last (trade, is_buyer), in trade order
        self.pruned_upto: dict[str, int] = {}  # symbol → highest order id forgotten (GET /order: -2026)
        self.lists: dict[int, OrderList] = {}  # retained order lists, by id
        self.list_client_ids: dict[str, dict[str, OrderList]] = {}
        self.closed_lists: deque[OrderList] = deque()  # retained finished lists, oldest finished first

    def open_on(self, symbol: str) -> dict[int, Order]:
        d = self.open.get(symbol)
        if d is None:
            d = self.open[symbol] = {}
        return d


class SymbolState:
    """One symbol: its rules, book, stop orders, its most recent trades and counters."""

    __slots__ = ("agg_key", "base", "book", "fee_base", "fee_quote", "last_price", "next_agg_id",
                 "next_prevented_id", "next_trade_id", "quote", "rules", "stops", "symbol", "trades", "virtual",
                 "vwap")

    def __init__(self, rules: SymbolRules, fee_base: Cell, fee_quote: Cell, keep_trades: int | None = None) -> None:
        self.rules = rules
        self.symbol = rules.symbol
        self.base = rules.base
        self.quote = rules.quote
        self.book = OrderBook()
        self.stops = StopBook()
        self.last_price = 0  # 0 until the first trade
        self.trades: deque[Trade] = deque(maxlen=keep_trades)  # the most recent public trades, oldest first
        self.next_trade_id = 1
        self.next_agg_id = 1
        self.agg_key: tuple[int, int] = (0, 0)  # (taker order id, price) of the last aggregate trade
        self.next_prevented_id = 0
        self.vwap = VwapWindow()
        self.fee_base = fee_base
        self.fee_quote = fee_quote
        self.virtual = None  # a VirtualMarket once the symbol has virtual liquidity (engine/market.py)

    def record_vwap(self, ts_ms: int, quote: int, qty: int) -> None:
        self.vwap.record(ts_ms, quote, qty)

    def avg_price(self, now_ms: int) -> int:
        """5-minute volume-weighted average of own trades; the last price if none in the window; 0 if none.

        A pure read: only trades (accepted commands) move the window, so a declined command, which the
        journal does not keep, cannot make a replay diverge.
        """
        return self.vwap.average(now_ms) or self.last_price

    peek_avg_price = avg_price


class VwapWindow:
    """Trades of the last 5 minutes with running totals, so any window's sums are two subtractions."""

    __slots__ = ("base_qty", "base_quote", "cached", "cached_at", "cum_qty", "cum_quote", "qtys", "quotes", "start",
                 "times")

    def __init__(self) -> None:
        self.times: list[int] = []
        self.quotes: list[int] = []
        self.qtys: list[int] = []
        self.cum_quote: list[int] = []  # running totals up to and including each entry
        self.cum_qty: list[int] = []
        self.base_quote = 0  # running totals before entry 0 (entries dropped by compaction)
        self.base_qty = 0
        self.start = 0  # entries before it are out of every future window
        self.cached_at: int | None = None  # average(cached_at) == cached, until the next record
        self.cached = 0

    def record(self, ts_ms: int, quote: int, qty: int) -> None:
        self.cached_at = None
        times = self.times
        if times:
            if ts_ms < times[-1]:  # a clock that stepped back: keep the times sorted
                ts_ms = times[-1]
            total_quote, total_qty = self.cum_quote[-1], self.cum_qty[-1]
        else:
            total_quote, total_qty = self.base_quote, self.base_qty
        times.append(ts_ms)
        self.quotes.append(quote)
        self.qtys.append(qty)
        self.cum_quote.append(total_quote + quote)
        self.cum_qty.append(total_qty + qty)
        if ts_ms - times[self.start] > AVG_PRICE_WINDOW_MS:
            self.start = bisect_right(times, ts_ms - AVG_PRICE_WINDOW_MS, self.start)
            if self.start > 1024 and self.start * 2 > len(times):
                self._compact()

    def _compact(self) -> None:
        cut = self.start
        self.base_quote = self.cum_quote[cut - 1]
        self.base_qty = self.cum_qty[cut - 1]
        for column in (self.times, self.quotes, self.qtys, self.cum_quote, self.cum_qty):
            del column[:cut]
        self.start = 0

    def average(self, now_ms: int) -> int:
        """VWAP of the entries newer than ``now_ms`` - 5 minutes, 0 when there are none."""
        if now_ms == self.cached_at:  # orders of one moment ask again and again
            return self.cached
        times = self.times
        i = bisect_right(times, now_ms - AVG_PRICE_WINDOW_MS, self.start)
        if i == len(times):
            average = 0
        else:
            before_quote = self.cum_quote[i - 1] if i else self.base_quote
            before_qty = self.cum_qty[i - 1] if i else self.base_qty
            qty = self.cum_qty[-1] - before_qty
            average = (self.cum_quote[-1] - before_quote) * UNITS_PER_ONE // qty if qty else 0
        self.cached_at = now_ms
        self.cached = average
        return average

    def entries(self) -> list[list[int]]:
        """The entries still inside some future window, for snapshots."""
        return [[t, q, n] for t, q, n in zip(self.times[self.start:], self.quotes[self.start:],
                                             self.qtys[self.start:])]
