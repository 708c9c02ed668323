"""The backtest venue's :class:`~minance.bots.context.Context`: the strategy's orders go to the exchange's own
matching engine (:class:`minance.engine.Exchange`) in process — the same filters, fees, stops, ``trailingDelta``
and order lists as ``minance serve`` — and its market data comes from the replayed bars, ending at *now*.

Everything but the venue primitives is the shared Context (order building, client ids, positions, timers).
Sending skips the bot store's write-ahead log (a backtest has nothing to resume), which keeps an order cheap.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from minance.bots.context import Context
from minance.bots.errors import OrderError
from minance.bots.ids import client_order_id, list_client_id
from minance.bots.orders import ListKind, ListRequest, OrderRequest
from minance.bots.records import Balance, Bar, Fill, Order, Quote
from minance.bots.rules import Commission, SymbolRules
from minance.domain.errors import Err
from minance.domain.orders import UNITS_PER_ONE, ResponseType, Side
from minance.engine import (
    CancelOrder,
    CancelOrderList,
    NewOco,
    NewOrder,
    NewOto,
    NewOtoco,
    OrderLeg,
)

if TYPE_CHECKING:
    from minance.backtest.engine import Backtest

__all__ = ["BacktestContext", "LazyBar", "fill_record", "order_record"]

_ONE = Decimal(UNITS_PER_ONE)
_ZERO = Decimal(0)
USER = 1  # the strategy's account in the backtest's exchange
FULL = ResponseType.FULL


_ZERO_UNITS = Decimal(0).scaleb(-8)  # what dec(0) gives (0E-8), made once: records hold many zero fields


def dec(units: int) -> Decimal:
    return Decimal(units).scaleb(-8) if units != 0 else _ZERO_UNITS


class LazyBar:
    """A :class:`~minance.bots.records.Bar` read straight from the columns: its Decimals are made on access (most
    strategies read one or two fields of a bar, and a year of minutes is half a million bars)."""

    __slots__ = ("_bt", "_i")

    def __init__(self, bt: Any, i: int) -> None:  # a Backtest (its primary symbol) or a secondary Market
        self._bt, self._i = bt, i

    symbol = property(lambda self: self._bt.symbol)
    interval = property(lambda self: self._bt.interval)
    open_time = property(lambda self: self._bt.t[self._i])
    close_time = property(lambda self: self._bt.t[self._i] + self._bt.step_ms - 1)
    open = property(lambda self: Decimal(self._bt.o[self._i]).scaleb(-8))
    high = property(lambda self: Decimal(self._bt.h[self._i]).scaleb(-8))
    low = property(lambda self: Decimal(self._bt.lo[self._i]).scaleb(-8))
    close = property(lambda self: Decimal(self._bt.c[self._i]).scaleb(-8))
    volume = property(lambda self: Decimal(self._bt.v[self._i]).scaleb(-8))
    trades = property(lambda self: self._bt.n[self._i])

    def record(self) -> Bar:
        return Bar(self.symbol, self.interval, self.open_time, self.close_time, self.open, self.high, self.low,
                   self.close, self.volume, self.trades)

    def __repr__(self) -> str:
        return f"Bar({self.symbol} {self.interval} {self.open_time} O={self.open} H={self.high} L={self.low} " \
               f"C={self.close})"


def fill_record(update, client_ids: dict[int, str]) -> Fill:
    """A bots :class:`Fill` from the engine's TRADE executionReport."""
    o = update.order
    return Fill(o.symbol, o.order_id, client_ids.get(o.order_id, o.client_order_id), update.trade_id, o.side,
                dec(update.last_price_u), dec(update.last_qty_u), dec(update.commission_u),
                update.commission_asset or "", update.transact_ms, update.is_maker, o.order_list_id)


def order_record(view, fills: tuple[Fill, ...] = ()) -> Order:
    return Order(view.symbol, view.order_id, view.client_order_id, view.side, view.type, view.status,
                 dec(view.orig_qty_u), dec(view.executed_qty_u), dec(view.cummulative_quote_qty_u),
                 dec(view.price_u), dec(view.stop_price_u), view.trailing_delta or 0, view.time_in_force,
                 view.order_list_id, view.time_ms, view.update_ms, fills)


def _leg(req: OrderRequest, own: bool = True) -> OrderLeg:
    """An order list's leg; ``own=False`` for OCO legs, whose side and quantity are the list's."""
    return OrderLeg(req.type, price=req.price, stop_price=req.stop_price, trailing_delta=req.trailing_delta,
                    time_in_force=req.time_in_force, client_order_id=req.client_id or None,
                    side=req.side if own else None, quantity=req.quantity if own else None)


class BacktestContext(Context):
    def __init__(self, name: str, strategy: Any, bt: Backtest, **kw: Any) -> None:
        super().__init__(name, strategy, **kw)
        self.bt = bt
        self.unapplied: list[Fill] = []  # fills not yet in the position book (see position())
        spec = bt.spec
        self._rules = SymbolRules.from_filters(spec.symbol, spec.base, spec.quote, spec.filters())
        self._other_rules = {m.symbol: SymbolRules.from_filters(m.symbol, m.spec.base, m.spec.quote, m.spec.filters())
                             for m in bt.markets.values()}

    # -- venue primitives ------------------------------------------------------------------------
    def now(self) -> int:
        return self.bt.now_ms

    def apply_fills(self) -> None:
        """Bring the position book up to date (fills are applied lazily when no ``on_fill`` needs them)."""
        if self.unapplied:
            if self.bt.markets:
                specs = self.bt.specs
                for f in self.unapplied:
                    self.positions_book.apply(f, specs[f.symbol].base, specs[f.symbol].quote)
            else:
                base, quote = self.bt.spec.base, self.bt.spec.quote
                for f in self.unapplied:
                    self.positions_book.apply(f, base, quote)
            self.unapplied.clear()

    def position(self, symbol: str | None = None):
        self.apply_fills()
        return super().position(symbol)

    def _check(self, symbol: str | None) -> str:
        sym = symbol or self.bt.symbol
        if sym != self.bt.symbol and sym not in self.bt.markets:
            raise OrderError(Err.BAD_SYMBOL.code, f"Invalid symbol: this backtest replays {', '.join(self.bt.specs)} "
                                                  "only")
        return sym

    def _source(self, symbol: str | None) -> Any:
        """Where a symbol's bars are read: the backtest itself (the primary) or a secondary market."""
        sym = self._check(symbol)
        return self.bt if sym == self.bt.symbol else self.bt.markets[sym]

    def bars(self, n: int = 100, symbol: str | None = None, interval: str | None = None) -> list[Bar]:
        src = self._source(symbol)
        if interval not in (None, self.bt.interval):
            raise ValueError(f"this backtest replays {self.bt.interval} bars, not {interval}")
        end = self.bt.i + 1
        return [LazyBar(src, j).record() for j in range(max(0, end - n), end)]

    def closes(self, n: int = 100, symbol: str | None = None, interval: str | None = None) -> list[Decimal]:
        src = self._source(symbol)
        end = self.bt.i + 1
        return [Decimal(x).scaleb(-8) for x in src.c[max(0, end - n):end]]

    def quote(self, symbol: str | None = None) -> Quote:
        sym = self._check(symbol)
        self.bt.sync()
        bt = self.bt.exchange.book_ticker(sym)
        return Quote(sym, dec(bt.bid_price_u), dec(bt.bid_qty_u), dec(bt.ask_price_u),
                     dec(bt.ask_qty_u), self.bt.now_ms)

    def balances(self) -> dict[str, Balance]:
        return {b.asset: Balance(b.asset, b.free, b.locked) for b in self.bt.exchange.balances(USER)}

    def balance(self, asset: str) -> Balance:
        cell = self.bt.exchange.ledger.cells.get(USER, {}).get(asset)
        if cell is None:
            return Balance(asset, _ZERO, _ZERO)
        return Balance(asset, Decimal(cell.free).scaleb(-8), Decimal(cell.locked).scaleb(-8))

    def rules(self, symbol: str | None = None) -> SymbolRules:
        sym = self._check(symbol)
        return self._rules if sym == self.bt.symbol else self._other_rules[sym]

    def commission(self, symbol: str | None = None) -> Commission:
        maker, taker = self.bt.exchange.commission_bps(USER)
        return Commission(Decimal(maker) / 10_000, Decimal(taker) / 10_000)

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        return [order_record(v) for v in self.bt.exchange.open_orders(USER, symbol)]

    # -- sending (no write-ahead store: a backtest has nothing to resume) ------------------------
    def submit(self, req: OrderRequest, *, key: str | None = None) -> Order:
        if req.client_id:
            client_id: str | None = req.client_id
        elif key is not None:
            cause, seq = self._next_cause(key)
            client_id = client_order_id(self.name, cause, seq)
        else:
            client_id = None  # the engine's own deterministic id (x-…): same run, same ids, no hashing
        self._check(req.symbol)
        limits = self.kill_switch.limits
        if limits.max_orders_per_min or limits.max_position is not None:
            held = self.positions_book.get(req.symbol).qty
            self.kill_switch.before_order(self.now(), req.symbol, req.quantity if req.side is Side.BUY else None,
                                          held)
        return self._send(req, client_id)

    def submit_list(self, req: ListRequest, *, key: str | None = None) -> tuple[Order, ...]:
        cause, seq = self._next_cause(key)
        list_id = req.client_id or list_client_id(self.name, cause, seq)
        legs = req.legs()
        req = req.with_client_ids(list_id, [client_order_id(self.name, f"{cause}:{list_id}", i)
                                            for i in range(len(legs))])
        self._check(req.symbol)
        return self._send_list(req)

    def _next_cause(self, key: str | None) -> tuple[str, int]:
        if key is not None:
            return f"k:{key}", 0
        cause = f"b:{self.bt.symbol}:{self.bt.interval}:{self.bt.t[self.bt.i]}" if self._cause == "bar" \
            else self._cause
        self._seq += 1
        return cause, self._seq

    def _send(self, req: OrderRequest, client_id: str | None = None) -> Order:
        cmd = NewOrder(USER, req.symbol, req.side, req.type, self.bt.now_ms, quantity=req.quantity,
                       quote_order_qty=req.quote_qty, price=req.price, stop_price=req.stop_price,
                       trailing_delta=req.trailing_delta, time_in_force=req.time_in_force,
                       client_order_id=client_id or req.client_id or None, response_type=FULL)
        result = self.bt.command(cmd)
        if result.error is not None:
            raise OrderError(result.error.code, result.error.msg)
        reply = result.reply
        return order_record(reply.order, self.bt.fills_of(reply.order.order_id))

    def _send_list(self, req: ListRequest) -> tuple[Order, ...]:
        ts = self.bt.now_ms
        if req.kind is ListKind.OCO:
            assert req.above is not None and req.below is not None
            qty = req.above.quantity or req.below.quantity or _ZERO
            cmd: Any = NewOco(USER, req.symbol, req.above.side, qty, _leg(req.above, False), _leg(req.below, False), ts,
                              list_client_order_id=req.client_id or None, response_type=FULL)
        elif req.kind is ListKind.OTO:
            assert req.working is not None and req.pending is not None
            cmd = NewOto(USER, req.symbol, _leg(req.working), _leg(req.pending), ts,
                         list_client_order_id=req.client_id or None, response_type=FULL)
        else:
            assert req.working is not None and req.above is not None and req.below is not None
            cmd = NewOtoco(USER, req.symbol, _leg(req.working), req.above.side, req.above.quantity or _ZERO,
                           _leg(req.above, False), _leg(req.below, False), ts,
                           list_client_order_id=req.client_id or None, response_type=FULL)
        result = self.bt.command(cmd)
        if result.error is not None:
            raise OrderError(result.error.code, result.error.msg)
        return tuple(order_record(v) for v in result.reply.reports)

    def _cancel(self, symbol: str, client_id: str) -> Order | None:
        result = self.bt.command(CancelOrder(USER, self._check(symbol), self.bt.now_ms,
                                             orig_client_order_id=client_id))
        if result.error is not None:
            if result.error.code == Err.CANCEL_REJECTED.code:
                return None
            raise OrderError(result.error.code, result.error.msg)
        view = getattr(result.reply, "order", None)
        return order_record(view) if view is not None else None

    def _cancel_list(self, symbol: str, list_client_id: str) -> None:
        result = self.bt.command(CancelOrderList(USER, self._check(symbol), self.bt.now_ms,
                                                 list_client_order_id=list_client_id))
        if result.error is not None and result.error.code != Err.CANCEL_REJECTED.code:
            raise OrderError(result.error.code, result.error.msg)

    def _lookup(self, symbol: str, client_id: str) -> Order | None:
        return None
