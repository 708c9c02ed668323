"""The :class:`Context`: a strategy's only handle on the world, the same on every venue.

A venue subclasses it and implements the primitives marked *venue* (clock, market data, account, rules, and
``_send``/``_send_list``/``_cancel``/``_cancel_list``/``open_orders``); everything else — order building, client
order ids, idempotent re-sends, the kill switch, positions, timers, state — lives here and is shared.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from minance.bots.errors import OrderError
from minance.bots.ids import client_order_id, list_client_id
from minance.bots.orders import ListKind, ListRequest, OrderRequest
from minance.bots.params import parse_duration
from minance.bots.positions import PositionBook
from minance.bots.records import Balance, Bar, Fill, Order, Position, Quote
from minance.bots.rules import Commission, SymbolRules
from minance.bots.safety import KillSwitch, Limits
from minance.bots.store import INTENT, REJECTED, BotStore, order_from_row
from minance.bots.timers import Scheduler
from minance.domain.errors import Err
from minance.domain.orders import OrderType, Side, TimeInForce

if TYPE_CHECKING:
    from minance.bots.strategy import Strategy

__all__ = ["Context"]

ZERO = Decimal(0)
BRIDGES = ("USDT", "BTC", "ETH", "BNB", "USDC", "FDUSD")


class Context(ABC):
    """What a strategy can see and do. Amounts are ``Decimal``; ``symbol`` defaults to the strategy's own.

    Attributes: ``state`` (a dict persisted by the runner, JSON values), ``log`` (a ``logging.Logger``),
    ``params`` (the strategy's typed parameters), ``name`` (the bot's name), ``dry_run``.
    """

    def __init__(self, name: str, strategy: Strategy, *, store: BotStore | None = None,
                 limits: Limits | None = None, logger: logging.Logger | None = None, dry_run: bool = False) -> None:
        self.name = name
        self.strategy = strategy
        self.params: dict[str, Any] = strategy.params
        self.store = store or BotStore()
        self.dry_run = dry_run
        self.log = logger or logging.getLogger(f"minance.bot.{name}")
        self.kill_switch = KillSwitch(limits)
        self.state: dict[str, Any] = self.store.get("state", {}) or {}
        self.positions_book = PositionBook.from_json(self.store.get("positions", {}))
        self.scheduler = Scheduler(self.store.get("timers", {}))
        self.pending_fills: list[Fill] = []  # fills learnt from order answers, dispatched after the current hook
        self._cause = "start"
        self._seq = 0
        self.stop_requested: str | None = None

    def stop(self, reason: str = "the strategy asked to stop") -> None:
        """Stop the bot after the current hook (``on_stop`` runs, as for Ctrl-C)."""
        self.stop_requested = reason

    # -- venue primitives ------------------------------------------------------------------------
    @abstractmethod
    def now(self) -> int:
        """*venue* — the venue's clock, epoch ms (exchange time live, bar time in a backtest)."""

    @abstractmethod
    def bars(self, n: int = 100, symbol: str | None = None, interval: str | None = None) -> list[Bar]:
        """*venue* — the last ``n`` closed bars ending at now (oldest first)."""

    @abstractmethod
    def quote(self, symbol: str | None = None) -> Quote:
        """*venue* — best bid and ask."""

    @abstractmethod
    def balances(self) -> dict[str, Balance]:
        """*venue* — the account's balances by asset."""

    @abstractmethod
    def rules(self, symbol: str | None = None) -> SymbolRules:
        """*venue* — the symbol's filters. Raises :class:`OrderError` (-1121) for a symbol not listed."""

    @abstractmethod
    def commission(self, symbol: str | None = None) -> Commission:
        """*venue* — the account's maker/taker rates on the symbol."""

    @abstractmethod
    def open_orders(self, symbol: str | None = None) -> list[Order]:
        """*venue* — the bot's open orders (orders of the account it does not own are left out)."""

    @abstractmethod
    def _send(self, req: OrderRequest) -> Order:
        """*venue* — place one order (its ``client_id`` is set); raise :class:`OrderError` on a rejection."""

    @abstractmethod
    def _send_list(self, req: ListRequest) -> tuple[Order, ...]:
        """*venue* — place an order list (ids set on the list and every leg); one :class:`Order` per leg
        (``submit_list`` returns them in leg order: working, pending, above, below)."""

    @abstractmethod
    def _cancel(self, symbol: str, client_id: str) -> Order | None:
        """*venue* — cancel one order; None when it is already gone."""

    @abstractmethod
    def _cancel_list(self, symbol: str, list_client_id: str) -> None:
        """*venue* — cancel an order list."""

    def _lookup(self, symbol: str, client_id: str) -> Order | None:
        """*venue* (optional) — the order with this client id on the exchange, or None. Used to reconcile."""
        return None

    # -- market data -----------------------------------------------------------------------------
    @property
    def symbol(self) -> str:
        symbols = self.strategy.symbols()
        if not symbols:
            raise ValueError("this strategy has no default symbol: pass symbol=...")
        return symbols[0]

    def closes(self, n: int = 100, symbol: str | None = None, interval: str | None = None) -> list[Decimal]:
        return [b.close for b in self.bars(n, symbol, interval)]

    def price(self, symbol: str | None = None) -> Decimal:
        """The mid of the best bid and ask (the last close when the book is empty)."""
        q = self.quote(symbol)
        if q.bid > 0 and q.ask > 0:
            return q.mid
        bars = self.bars(1, symbol)
        if not bars:
            raise OrderError(Err.INVALID_MESSAGE.code, f"no price for {symbol or self.symbol}")
        return bars[-1].close

    # -- account ---------------------------------------------------------------------------------
    def balance(self, asset: str) -> Balance:
        return self.balances().get(asset) or Balance(asset, ZERO, ZERO)

    def position(self, symbol: str | None = None) -> Position:
        """The bot's own position in ``symbol`` from its fills, with average cost."""
        return self.positions_book.get(symbol or self.symbol)

    def equity(self, asset: str = "USDT") -> Decimal:
        """The account's balances valued in ``asset`` (direct pair, inverse pair or one bridge hop)."""
        total = ZERO
        for bal in self.balances().values():
            if bal.total:
                rate = self.rate(bal.asset, asset)
                if rate is None:
                    self.log.warning("cannot value %s in %s: left out of equity", bal.asset, asset)
                    continue
                total += bal.total * rate
        return total

    def rate(self, asset: str, quote: str) -> Decimal | None:
        """How much ``quote`` one ``asset`` is worth, or None when no listed pair (or bridge) prices it."""
        if asset == quote:
            return Decimal(1)
        direct = self._pair_rate(asset, quote)
        if direct is not None:
            return direct
        for bridge in BRIDGES:
            if bridge in (asset, quote):
                continue
            a, b = self._pair_rate(asset, bridge), self._pair_rate(bridge, quote)
            if a is not None and b is not None:
                return a * b
        return None

    def _pair_rate(self, asset: str, quote: str) -> Decimal | None:
        for symbol, inverse in ((asset + quote, False), (quote + asset, True)):
            try:
                self.rules(symbol)
                price = self.price(symbol)
            except (OrderError, KeyError, ValueError):
                continue
            return (1 / price) if inverse else price
        return None

    # -- orders: building ------------------------------------------------------------------------
    def buy(self, qty: Decimal | None = None, *, quote: Decimal | None = None, price: Decimal | None = None,
            tif: TimeInForce | str = TimeInForce.GTC, symbol: str | None = None, key: str | None = None) -> Order:
        """A market buy of ``qty`` (base) or ``quote`` (quote amount), or a limit buy at ``price``."""
        return self._order(Side.BUY, qty, quote, price, tif, symbol, key)

    def sell(self, qty: Decimal | None = None, *, quote: Decimal | None = None, price: Decimal | None = None,
             tif: TimeInForce | str = TimeInForce.GTC, symbol: str | None = None, key: str | None = None) -> Order:
        return self._order(Side.SELL, qty, quote, price, tif, symbol, key)

    def _order(self, side: Side, qty: Decimal | None, quote: Decimal | None, price: Decimal | None,
               tif: TimeInForce | str, symbol: str | None, key: str | None) -> Order:
        sym = symbol or self.symbol
        if (qty is None) == (quote is None):
            raise ValueError("give qty (base) or quote (quote amount), one of them")
        if price is None:
            return self.submit(OrderRequest(sym, side, OrderType.MARKET, quantity=qty, quote_qty=quote), key=key)
        if qty is None:
            qty = self.rules(sym).qty_for_quote(quote or ZERO, price)
        return self.submit(OrderRequest(sym, side, OrderType.LIMIT, quantity=qty, price=price,
                                        time_in_force=TimeInForce(tif)), key=key)

    def stop_loss(self, qty: Decimal, stop: Decimal | None = None, *, limit: Decimal | None = None,
                  trailing_bps: int | None = None, side: Side = Side.SELL, symbol: str | None = None,
                  key: str | None = None) -> Order:
        """An exchange-side stop: STOP_LOSS (market) or STOP_LOSS_LIMIT at ``limit``; ``trailing_bps`` makes it a
        trailing stop (Binance's ``trailingDelta``; with ``stop`` it starts tracking once a trade reaches it)."""
        return self.submit(self._stop_request(OrderType.STOP_LOSS, qty, stop, limit, trailing_bps, side, symbol),
                           key=key)

    def take_profit(self, qty: Decimal, stop: Decimal | None = None, *, limit: Decimal | None = None,
                    trailing_bps: int | None = None, side: Side = Side.SELL, symbol: str | None = None,
                    key: str | None = None) -> Order:
        return self.submit(self._stop_request(OrderType.TAKE_PROFIT, qty, stop, limit, trailing_bps, side, symbol),
                           key=key)

    def trailing_stop(self, qty: Decimal, trailing_bps: int, *, activation: Decimal | None = None,
                      side: Side = Side.SELL, symbol: str | None = None, key: str | None = None) -> Order:
        return self.stop_loss(qty, activation, trailing_bps=trailing_bps, side=side, symbol=symbol, key=key)

    def _stop_request(self, kind: OrderType, qty: Decimal, stop: Decimal | None, limit: Decimal | None,
                      trailing_bps: int | None, side: Side, symbol: str | None) -> OrderRequest:
        if stop is None and not trailing_bps:
            raise ValueError("a stop needs a stop price, a trailing delta, or both")
        if limit is not None:
            kind = OrderType.STOP_LOSS_LIMIT if kind is OrderType.STOP_LOSS else OrderType.TAKE_PROFIT_LIMIT
        return OrderRequest(symbol or self.symbol, side, kind, quantity=qty, price=limit, stop_price=stop,
                            trailing_delta=trailing_bps or None,
                            time_in_force=TimeInForce.GTC if limit is not None else None)

    def oco(self, qty: Decimal, *, take_profit: Decimal, stop: Decimal | None = None,
            stop_limit: Decimal | None = None, trailing_bps: int | None = None, side: Side = Side.SELL,
            symbol: str | None = None, key: str | None = None) -> tuple[Order, ...]:
        """Take-profit (LIMIT_MAKER) and stop-loss as one OCO: when one fills the other is cancelled. For a SELL
        the take-profit is the ``above`` leg and the stop the ``below`` one (mirrored for a BUY)."""
        sym = symbol or self.symbol
        tp = OrderRequest(sym, side, OrderType.LIMIT_MAKER, quantity=qty, price=take_profit)
        sl = self._stop_request(OrderType.STOP_LOSS, qty, stop, stop_limit, trailing_bps, side, sym)
        above, below = (tp, sl) if side is Side.SELL else (sl, tp)
        return self.submit_list(ListRequest(ListKind.OCO, sym, above=above, below=below), key=key)

    def oto(self, working: OrderRequest, pending: OrderRequest, *, key: str | None = None) -> tuple[Order, ...]:
        return self.submit_list(ListRequest(ListKind.OTO, working.symbol, working=working, pending=pending), key=key)

    def otoco(self, working: OrderRequest, above: OrderRequest, below: OrderRequest, *,
              key: str | None = None) -> tuple[Order, ...]:
        return self.submit_list(ListRequest(ListKind.OTOCO, working.symbol, working=working, above=above,
                                            below=below), key=key)

    def batch(self, requests: Sequence[OrderRequest], *, key: str | None = None) -> list[Order | OrderError]:
        """Send several orders now, in order (arbitrage legs); each result is the Order or the rejection."""
        out: list[Order | OrderError] = []
        for i, req in enumerate(requests):
            try:
                out.append(self.submit(req, key=f"{key}:{i}" if key else None))
            except OrderError as exc:
                out.append(exc)
        return out

    # -- orders: sending -------------------------------------------------------------------------
    def _next_cause(self, key: str | None) -> tuple[str, int]:
        if key is not None:
            return f"k:{key}", 0
        self._seq += 1
        return self._cause, self._seq

    def submit(self, req: OrderRequest, *, key: str | None = None) -> Order:
        """Place ``req`` once: with a deterministic client id (from ``key``, or the current event and a
        counter), looked up before sending so a re-run of the same step never places it twice."""
        cause, seq = self._next_cause(key)
        if not req.client_id:
            req = req.with_client_id(client_order_id(self.name, cause, seq))
        known = self._known(req.symbol, req.client_id)
        if known is not None:
            return known
        held = self.positions_book.get(req.symbol).qty
        buy_qty = req.quantity if req.side is Side.BUY else None
        if buy_qty is None and req.side is Side.BUY and req.quote_qty is not None:
            buy_qty = req.quote_qty / self.price(req.symbol)
        if req.type in (OrderType.MARKET, OrderType.LIMIT, OrderType.LIMIT_MAKER):
            self.kill_switch.before_order(self.now(), req.symbol, buy_qty, held)
        else:
            self.kill_switch.before_order(self.now(), req.symbol, None, held)
        with self.store.durable() if self.strategy.durable_intents else self.store.transaction():
            self.store.record_intent(req.client_id, f"{cause}#{seq}", req.symbol, req.side.value, req.type.value,
                                     req.sdk_params())
        try:
            order = self._send(req)
        except OrderError as exc:
            self.store.record_rejection(req.client_id, exc.code, exc.msg)
            self.log.warning("order rejected %s: %s %s", req.describe(), exc.code, exc.msg)
            raise
        self.store.record_order(order)
        self.log.info("order %s %s → %s", req.client_id, req.describe(), order.status)
        self.pending_fills.extend(order.fills)
        return order

    def submit_list(self, req: ListRequest, *, key: str | None = None) -> tuple[Order, ...]:
        cause, seq = self._next_cause(key)
        list_id = req.client_id or list_client_id(self.name, cause, seq)
        legs = req.legs()
        req = req.with_client_ids(list_id, [client_order_id(self.name, f"{cause}:{list_id}", i)
                                            for i in range(len(legs))])
        known = [self._known(leg.symbol, leg.client_id) for leg in req.legs()]
        if all(k is not None for k in known):
            return tuple(k for k in known if k is not None)
        self.kill_switch.before_order(self.now(), req.symbol, None, self.positions_book.get(req.symbol).qty)
        with self.store.durable():
            for leg in req.legs():
                self.store.record_intent(leg.client_id, f"{cause}#{seq}", leg.symbol, leg.side.value,
                                         leg.type.value, leg.sdk_params(), list_id)
        try:
            orders = self._send_list(req)
        except OrderError as exc:
            for leg in req.legs():
                self.store.record_rejection(leg.client_id, exc.code, exc.msg)
            self.log.warning("order list %s rejected: %s %s", req.kind, exc.code, exc.msg)
            raise
        for order in orders:
            self.store.record_order(order)
        by_id = {o.client_order_id: o for o in orders}
        if all(leg.client_id in by_id for leg in req.legs()):  # leg order, whatever order the venue answered in
            orders = tuple(by_id[leg.client_id] for leg in req.legs())
        self.log.info("order list %s %s → %s", req.kind, list_id, ", ".join(o.type for o in orders))
        return orders

    def _known(self, symbol: str, client_id: str) -> Order | None:
        """An order this bot already placed under ``client_id`` (answered, or in doubt and found on the
        exchange), else None (never placed, or rejected: then it may be sent)."""
        row = self.store.order_row(client_id)
        if row is None or row["status"] == REJECTED:
            return None
        if row["status"] == INTENT:
            found = self._lookup(symbol, client_id)
            if found is None:
                return None
            self.store.record_order(found)
            return found
        return order_from_row(row)

    def cancel(self, order: Order | str, symbol: str | None = None) -> Order | None:
        """Cancel an order (an :class:`Order` or a client order id); None when it was already gone."""
        if isinstance(order, Order):
            symbol, client_id = order.symbol, order.client_order_id
        else:
            client_id = order
        result = self._cancel(symbol or self.symbol, client_id)
        if result is not None:
            self.store.record_order(result)
        return result

    def cancel_list(self, list_client_id: str, symbol: str | None = None) -> None:
        self._cancel_list(symbol or self.symbol, list_client_id)

    def cancel_all(self, symbol: str | None = None) -> int:
        """Cancel the bot's open orders (on ``symbol`` or everywhere); returns how many."""
        count = 0
        for order in self.open_orders(symbol):
            if self.cancel(order) is not None:
                count += 1
        return count

    # -- timers ----------------------------------------------------------------------------------
    def every(self, interval: str | int, fn: Callable[..., Any], *, name: str | None = None,
              start: int | None = None, catch_up: int = 1) -> None:
        """Call ``fn(ctx)`` every ``interval`` (``"1d"`` or ms) from ``start`` (default: now, or the persisted
        anchor after a restart). Missed slots run late at most ``catch_up`` at a time."""
        ms = interval if isinstance(interval, int) else parse_duration(interval)
        self.scheduler.every(name or str(getattr(fn, "__name__", "timer")), ms, fn, self.now(), start_ms=start,
                             catch_up=catch_up)

    def at(self, when_ms: int, fn: Callable[..., Any], *, name: str | None = None) -> None:
        """Call ``fn(ctx)`` once at ``when_ms`` (epoch ms on the venue's clock)."""
        self.scheduler.at(name or f"{getattr(fn, '__name__', 'at')}@{when_ms}", when_ms, fn)

    # -- rules -----------------------------------------------------------------------------------
    def round_price(self, price: Decimal, symbol: str | None = None, *, up: bool = False) -> Decimal:
        return self.rules(symbol).round_price(price, up=up)

    def round_qty(self, qty: Decimal, symbol: str | None = None, *, up: bool = False) -> Decimal:
        return self.rules(symbol).round_qty(qty, up=up)
