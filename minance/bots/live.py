"""The live venue: the Context on the SDK (REST for orders, streams for market data and user data), against any
target — the local exchange, Binance's testnet, Binance, or a URL.

Threads: the streams client runs its own event loop in a background thread and only puts events on a queue;
the strategy, the context and the store are used from the runner's thread alone, so hooks never run
concurrently.
"""

from __future__ import annotations

import itertools
import os
import queue
import signal
from collections import deque
from decimal import Decimal
from typing import Any

from minance.bots.context import Context
from minance.bots.errors import OrderError
from minance.bots.orders import ListKind, ListRequest, OrderRequest
from minance.bots.records import Balance, Bar, Fill, Order, Quote, Trade
from minance.bots.rules import Commission, SymbolRules
from minance.client import ApiError, Client, ClientError, OrderNotFound, TransportError
from minance.client import models as m
from minance.client.stream_events import AccountPosition, BookTickerEvent, ExecutionReport, KlineEvent, TradeEvent
from minance.domain.errors import Err
from minance.domain.orders import ExecutionType, OrderStatus, OrderType, Side, TimeInForce

__all__ = ["LiveContext", "fill_from_report", "order_from_sdk"]

ZERO = Decimal(0)
CRASH_ENV = "MINANCE_BOT_CRASH_AFTER_SEND"  # tests only: SIGKILL the bot right after its Nth order is answered


def _status(text: str | None) -> OrderStatus:
    try:
        return OrderStatus(text or "NEW")
    except ValueError:
        return OrderStatus.NEW


def order_from_sdk(o: m.Order, side: Side | None = None, type_: OrderType | None = None) -> Order:
    sd = Side(o.side) if o.side else (side or Side.BUY)
    fills = tuple(Fill(o.symbol, o.order_id, o.client_order_id, f.trade_id, sd, f.price, f.qty, f.commission,
                       f.commission_asset, o.transact_time or o.update_time or 0, False, o.order_list_id)
                  for f in o.fills if f.trade_id >= 0)
    return Order(o.symbol, o.order_id, o.client_order_id, sd, OrderType(o.type) if o.type else (type_ or
                 OrderType.MARKET), _status(o.status), orig_qty=o.orig_qty or ZERO, executed_qty=o.executed_qty or ZERO,
                 cummulative_quote_qty=o.cummulative_quote_qty or ZERO, price=o.price or ZERO,
                 stop_price=o.stop_price or ZERO, trailing_delta=int(o.raw.get("trailingDelta", 0) or 0),
                 time_in_force=TimeInForce(o.time_in_force) if o.time_in_force else None,
                 order_list_id=o.order_list_id, time=o.time or o.transact_time or 0,
                 update_time=o.update_time or o.transact_time or 0, fills=fills)


def fill_from_report(r: ExecutionReport) -> Fill:
    return Fill(r.symbol, r.order_id, r.client_order_id, r.trade_id, r.side, r.last_price, r.last_qty, r.commission,
                r.commission_asset or "", r.transaction_time, r.is_maker, r.order_list_id)


def _leg(prefix: str, leg: OrderRequest | None, *, with_side_qty: bool = False) -> dict[str, Any]:
    if leg is None:
        return {}
    out: dict[str, Any] = {f"{prefix}_type": leg.type.value, f"{prefix}_price": leg.price,
                           f"{prefix}_stop_price": leg.stop_price, f"{prefix}_trailing_delta": leg.trailing_delta,
                           f"{prefix}_time_in_force": leg.time_in_force.value if leg.time_in_force else None,
                           f"{prefix}_client_order_id": leg.client_id or None}
    if with_side_qty:
        out[f"{prefix}_side"] = leg.side.value
        out[f"{prefix}_quantity"] = leg.quantity
    return {k: v for k, v in out.items() if v is not None}


class LiveContext(Context):
    """The :class:`Context` over a :class:`~minance.client.Client`. Quotes, bars and balances are kept from
    the streams once they run (``on_stream_event``), and read over REST until then."""

    def __init__(self, name: str, strategy: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(name, strategy, **kwargs)
        self.client = client
        self._rules: dict[str, SymbolRules] = {}
        self._unlisted: set[str] = set()
        self._commission: dict[str, Commission] = {}
        self._quotes: dict[str, Quote] = {}
        self._bars: dict[tuple[str, str], deque[Bar]] = {}
        self._balances: dict[str, Balance] | None = None
        self._sim_ids = itertools.count(1)
        self.events: queue.SimpleQueue[Any] = queue.SimpleQueue()  # filled by the streams' thread
        self.sent = 0
        crash = os.environ.get(CRASH_ENV, "")
        self.crash_after_send = int(crash) if crash.isdigit() else 0
        if client.time_offset_ms is None:
            client.sync_time()

    # -- clock and market data -------------------------------------------------------------------
    def now(self) -> int:
        return self.client.server_now_ms()

    def bars(self, n: int = 100, symbol: str | None = None, interval: str | None = None) -> list[Bar]:
        sym, ivl = symbol or self.symbol, interval or self.strategy.interval or "1m"
        key = (sym, ivl)
        if key not in self._bars:
            keep = max(n, self.strategy.history)
            klines = self._call(self.client.klines, sym, ivl, limit=min(1000, keep + 1))
            now = self.now()
            closed = [k for k in klines if k.close_time < now]  # the last kline is still open
            self._bars[key] = deque((_bar(sym, ivl, k) for k in closed), maxlen=keep)
        bars = self._bars[key]
        return list(bars)[-n:] if n < len(bars) else list(bars)

    def quote(self, symbol: str | None = None) -> Quote:
        sym = symbol or self.symbol
        q = self._quotes.get(sym)
        if q is None:
            t = self._call(self.client.book_ticker, sym)
            q = Quote(sym, t.bid_price, t.bid_qty, t.ask_price, t.ask_qty, self.now())
            self._quotes[sym] = q
        return q

    # -- account ---------------------------------------------------------------------------------
    def balances(self) -> dict[str, Balance]:
        if self._balances is None:
            account = self._call(self.client.account)
            self._balances = {b.asset: Balance(b.asset, b.free, b.locked) for b in account.balances}
        return dict(self._balances)

    def rules(self, symbol: str | None = None) -> SymbolRules:
        sym = (symbol or self.symbol).upper()
        rules = self._rules.get(sym)
        if rules is None:
            if sym in self._unlisted:  # asked before (pricing routes try pairs that may not exist)
                raise OrderError(Err.BAD_SYMBOL.code, Err.BAD_SYMBOL.message)
            try:
                info = self._call(self.client.exchange_info, symbol=sym).symbol(sym)
            except OrderError as exc:
                if exc.code == Err.BAD_SYMBOL.code:
                    self._unlisted.add(sym)
                raise
            except KeyError:
                self._unlisted.add(sym)
                raise OrderError(Err.BAD_SYMBOL.code, Err.BAD_SYMBOL.message) from None
            rules = SymbolRules.from_filters(sym, info.base_asset, info.quote_asset, info.filters, info.status)
            self._rules[sym] = rules
        return rules

    def commission(self, symbol: str | None = None) -> Commission:
        sym = symbol or self.symbol
        rates = self._commission.get(sym)
        if rates is None:
            try:
                std = self._call(self.client.account_commission, sym).standard_commission
                rates = Commission(std.maker, std.taker)
            except OrderError:  # targets without account/commission: the account's own rates
                account = self._call(self.client.account)
                rates = Commission(Decimal(account.maker_commission) / 10_000,
                                   Decimal(account.taker_commission) / 10_000)
            self._commission[sym] = rates
        return rates

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        orders = self._call(self.client.open_orders, symbol) if symbol or not self.strategy.symbols() else [
            o for s in self.strategy.symbols() for o in self._call(self.client.open_orders, s)]
        return [order_from_sdk(o) for o in orders if self.store.order_row(o.client_order_id) is not None]

    # -- orders ----------------------------------------------------------------------------------
    def _send(self, req: OrderRequest) -> Order:
        if self.dry_run:
            return self._simulate(req)
        sdk = self._call(self.client.create_order, req.symbol, req.side.value, req.type.value,
                         new_order_resp_type="FULL", **req.sdk_params())
        self._balances = None
        self.sent += 1
        if self.sent == self.crash_after_send:  # fault injection for the restart tests: die before recording
            os.kill(os.getpid(), signal.SIGKILL)
        return order_from_sdk(sdk, req.side, req.type)

    def _send_list(self, req: ListRequest) -> tuple[Order, ...]:
        c = self.client
        if self.dry_run:
            for leg in req.legs():
                self._call(c.test_order, leg.symbol, leg.side.value, leg.type.value,
                           **{k: v for k, v in leg.sdk_params().items() if k != "new_client_order_id"})
            return tuple(Order(leg.symbol, -next(self._sim_ids), leg.client_id, leg.side, leg.type, OrderStatus.NEW,
                               orig_qty=leg.quantity or ZERO, price=leg.price or ZERO) for leg in req.legs())
        common = {"list_client_order_id": req.client_id, "new_order_resp_type": "FULL"}
        if req.kind is ListKind.OCO:
            assert req.above is not None and req.below is not None
            result = self._call(c.create_oco, req.symbol, req.above.side.value, req.above.quantity,
                                req.above.type.value, req.below.type.value,
                                **{k: v for k, v in {**_leg("above", req.above), **_leg("below", req.below)}.items()
                                   if not k.endswith("_type")}, **common)
        elif req.kind is ListKind.OTO:
            w, p = req.working, req.pending
            assert w is not None and p is not None
            result = self._call(c.create_oto, req.symbol, w.type.value, w.side.value, w.price, w.quantity,
                                p.type.value, p.side.value, p.quantity,
                                **{k: v for k, v in {**_leg("working", w), **_leg("pending", p)}.items()
                                   if k not in ("working_type", "working_price", "pending_type")}, **common)
        else:
            w, a, b = req.working, req.above, req.below
            assert w is not None and a is not None and b is not None
            result = self._call(c.create_otoco, req.symbol, w.type.value, w.side.value, w.price, w.quantity,
                                a.side.value, a.quantity, a.type.value,
                                **{k: v for k, v in {**_leg("working", w), **_leg("pending_above", a),
                                                     **_leg("pending_below", b)}.items()
                                   if k not in ("working_type", "working_price", "pending_above_type")}, **common)
        if result.order_reports:
            return tuple(order_from_sdk(o) for o in result.order_reports)
        legs = {leg.client_id: leg for leg in req.legs()}
        return tuple(Order(ref.symbol, ref.order_id, ref.client_order_id, legs[ref.client_order_id].side,
                           legs[ref.client_order_id].type, OrderStatus.NEW) for ref in result.orders
                     if ref.client_order_id in legs)

    def _cancel(self, symbol: str, client_id: str) -> Order | None:
        if self.dry_run:
            return None
        try:
            return order_from_sdk(self.client.cancel_order(symbol, orig_client_order_id=client_id))
        except OrderNotFound:
            return None
        except ApiError as exc:
            if exc.code == Err.CANCEL_REJECTED.code:  # unknown order: already filled, cancelled or expired
                return None
            raise OrderError(exc.code, exc.msg) from None

    def _cancel_list(self, symbol: str, list_client_id: str) -> None:
        if self.dry_run:
            return
        try:
            self.client.cancel_order_list(symbol, list_client_order_id=list_client_id)
        except ApiError as exc:
            if exc.code not in (Err.CANCEL_REJECTED.code, Err.NO_SUCH_ORDER.code):
                raise OrderError(exc.code, exc.msg) from None

    def _lookup(self, symbol: str, client_id: str) -> Order | None:
        if self.dry_run:
            return None
        try:
            return order_from_sdk(self.client.get_order(symbol, orig_client_order_id=client_id))
        except (OrderNotFound, ApiError):
            return None

    def _simulate(self, req: OrderRequest) -> Order:
        """``--dry-run``: the exchange validates the order (order/test), then it is filled against the current
        best bid/ask (market and marketable limits) or left open; nothing is placed."""
        self._call(self.client.test_order, req.symbol, req.side.value, req.type.value,
                   **{k: v for k, v in req.sdk_params().items() if k != "new_client_order_id"})
        q = self.quote(req.symbol)
        rules = self.rules(req.symbol)
        touch = q.ask if req.side is Side.BUY else q.bid
        marketable = req.type is OrderType.MARKET or (
            req.type is OrderType.LIMIT and req.price is not None
            and (req.price >= touch if req.side is Side.BUY else req.price <= touch))
        oid = -next(self._sim_ids)
        if not marketable:
            return Order(req.symbol, oid, req.client_id, req.side, req.type, OrderStatus.NEW,
                         orig_qty=req.quantity or ZERO, price=req.price or ZERO, time=self.now())
        qty = req.quantity if req.quantity is not None else rules.qty_for_quote(req.quote_qty or ZERO, touch)
        fee_rate = self.commission(req.symbol).taker
        fee_asset = rules.base if req.side is Side.BUY else rules.quote
        fee = (qty if req.side is Side.BUY else qty * touch) * fee_rate
        now = self.now()
        fill = Fill(req.symbol, oid, req.client_id, oid, req.side, touch, qty, fee, fee_asset, now)
        return Order(req.symbol, oid, req.client_id, req.side, req.type, OrderStatus.FILLED, orig_qty=qty,
                     executed_qty=qty, cummulative_quote_qty=qty * touch, price=req.price or ZERO, time=now,
                     fills=(fill,))

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """An SDK call with its rejection turned into :class:`OrderError` (code and msg)."""
        try:
            return fn(*args, **kwargs)
        except ApiError as exc:
            raise OrderError(exc.code, exc.msg) from None
        except TransportError as exc:
            raise OrderError(Err.TIMEOUT.code,
                             f"no answer from the exchange ({exc}); the order's status is unknown") from None
        except ClientError as exc:
            raise OrderError(Err.UNKNOWN.code, str(exc)) from None

    # -- stream events (called on the runner's thread) ---------------------------------------------
    def on_stream_event(self, event: Any) -> Bar | Quote | Fill | Trade | None:
        """Update the caches from one stream event; returns what the strategy should hear about, if anything."""
        if isinstance(event, BookTickerEvent):
            q = Quote(event.symbol, event.bid_price, event.bid_qty, event.ask_price, event.ask_qty, self.now())
            self._quotes[event.symbol] = q
            return q
        if isinstance(event, KlineEvent):
            if not event.closed:
                return None
            bar = _bar(event.symbol, event.interval, event.kline)
            key = (event.symbol, event.interval)
            bars = self._bars.get(key)
            if bars is None:
                self.bars(self.strategy.history, event.symbol, event.interval)
                bars = self._bars[key]
            if bars and bars[-1].open_time >= bar.open_time:
                return None  # the backfill already had it
            bars.append(bar)
            return bar
        if isinstance(event, AccountPosition):
            if self._balances is not None:
                for b in event.balances:
                    self._balances[b.asset] = Balance(b.asset, b.free, b.locked)
            return None
        if isinstance(event, ExecutionReport):
            row = self.store.order_row(event.client_order_id)
            if row is None:
                return None  # not this bot's order
            if event.execution_type is not ExecutionType.TRADE and event.status is not OrderStatus.NEW:
                self.store.record_order(Order(event.symbol, event.order_id, event.client_order_id, event.side,
                                              event.order_type, event.status, orig_qty=event.quantity,
                                              executed_qty=event.cum_qty, cummulative_quote_qty=event.cum_quote_qty))
            if event.execution_type is ExecutionType.TRADE:
                self.store.record_order(Order(event.symbol, event.order_id, event.client_order_id, event.side,
                                              event.order_type, event.status, orig_qty=event.quantity,
                                              executed_qty=event.cum_qty, cummulative_quote_qty=event.cum_quote_qty))
                self._balances = None  # re-read on next use (outboundAccountPosition follows anyway)
                return fill_from_report(event)
            return None
        if isinstance(event, TradeEvent):
            return Trade(event.symbol, event.trade_id, event.price, event.qty, event.time, event.is_buyer_maker)
        return None


def _bar(symbol: str, interval: str, k: m.Kline) -> Bar:
    return Bar(symbol, interval, k.open_time, k.close_time, k.open, k.high, k.low, k.close, k.volume, k.trades)
