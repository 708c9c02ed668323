"""Matching: a working order sweeps the opposite side in price-time priority; fills settle at once.

Per fill the quote amount is price × qty floored to 1e-8; the buyer pays it from its lock and receives
the base minus its commission, the seller gives base from its lock and receives the quote minus its
commission (maker or taker rate of each account, in basis points, floored), both commissions go to the fee
account. Self-trade prevention follows the taker's mode (Binance's STP FAQ). After each price level the
stop book sees the traded price; fired stops and activated OTO legs run once the current order is done.
"""

from __future__ import annotations

from minance.domain.orders import (
    UNITS_PER_ONE,
    ExecutionType,
    ExpiryReason,
    Fill,
    OrderStatus,
    OrderType,
    PreventedMatch,
    RejectReason,
    StpMode,
    TimeInForce,
    Trade,
)
from minance.engine.events import OrderUpdate
from minance.engine.state import Order

__all__ = ["MatchingMixin"]

# Enum members as module constants: on Python 3.11 `OrderType.LIMIT` costs ~10x a global lookup.
EXP_INSUFFICIENT_LIQUIDITY = ExpiryReason.INSUFFICIENT_LIQUIDITY
EXP_UNFILLED_FOK_ORDER_EXPIRED = ExpiryReason.UNFILLED_FOK_ORDER_EXPIRED
EXP_UNFILLED_IOC_QUANTITY_EXPIRED = ExpiryReason.UNFILLED_IOC_QUANTITY_EXPIRED
EX_NEW = ExecutionType.NEW
EX_TRADE_PREVENTION = ExecutionType.TRADE_PREVENTION
FOK = TimeInForce.FOK
GTC = TimeInForce.GTC
IOC = TimeInForce.IOC
MARKET = OrderType.MARKET
STP_DECREMENT = StpMode.DECREMENT
STP_EXPIRE_BOTH = StpMode.EXPIRE_BOTH
STP_EXPIRE_MAKER = StpMode.EXPIRE_MAKER
STP_EXPIRE_TAKER = StpMode.EXPIRE_TAKER

ONE = UNITS_PER_ONE
BPS = 10_000
REJ_NONE = RejectReason.NONE
_new_tuple = tuple.__new__  # builds a NamedTuple without its Python-level __new__ (hot path)
_FILLED = OrderStatus.FILLED
_PARTIAL = OrderStatus.PARTIALLY_FILLED
_IN_MATCH = OrderStatus.EXPIRED_IN_MATCH
_TRADE = ExecutionType.TRADE
_STP_NONE = StpMode.NONE
_TRIGGER = 0
_ACTIVATE = 1


class MatchingMixin:
    def _execute(self, o: Order) -> None:
        """Match a working order, then rest it (GTC with a price) or expire what is left."""
        tif = o.tif
        if tif is FOK and not self._fok_fillable(o):
            self._expire(o, EXP_UNFILLED_FOK_ORDER_EXPIRED)
            return
        price = o.price
        if o.leaves and o.sym.virtual is not None:
            self._sweep_virtual(o)
        elif o.leaves:  # self._crosses(o), inlined
            book = o.sym.book
            if o.is_buy:
                keys = book.ask_keys
                if keys and (not price or -keys[-1] <= price):
                    self._sweep(o)
            else:
                keys = book.bid_keys
                if keys and (not price or keys[-1] >= price):
                    self._sweep(o)
        if o.status is _IN_MATCH:
            self._close(o)
        elif not o.leaves and o.executed:
            self._close(o)  # FILLED, reported by its last trade
        elif price and tif is GTC:
            o.sym.book.add(o)
            res = o.res  # self._trim(o), inlined
            if res.users == 1:
                need = -(-price * o.leaves // ONE) if o.is_buy else o.leaves
                if res.amount > need:
                    self.ledger.release(res, res.amount - need)
        elif tif is IOC:
            self._expire(o, EXP_UNFILLED_IOC_QUANTITY_EXPIRED)
        else:
            self._expire(o, EXP_INSUFFICIENT_LIQUIDITY if o.type is MARKET else None)

    @staticmethod
    def _crosses(o: Order) -> bool:
        """Whether the opposite side has a price ``o`` would take (cheap early-out for resting orders)."""
        book = o.sym.book
        if o.is_buy:
            keys = book.ask_keys
            return bool(keys) and (not o.price or -keys[-1] <= o.price)
        keys = book.bid_keys
        return bool(keys) and (not o.price or keys[-1] >= o.price)

    def _fok_fillable(self, o: Order) -> bool:
        """Whether a FOK order would fill entirely. With self-trade prevention on, the account's own
        resting orders do not count, and any mode but EXPIRE_MAKER would cut the taker short at them."""
        book = o.sym.book
        if o.stp_mode is _STP_NONE or o.sym.virtual is not None:  # the ladder is never the taker's own
            filled, _cost = self._walk_cost(o.sym, o.is_buy, o.leaves, o.price)
            return filled == o.leaves
        need = o.leaves
        for level in book.levels(not o.is_buy):
            if o.price and (level.price > o.price if o.is_buy else level.price < o.price):
                break
            for m in level.queue:
                if not m.on_book:
                    continue
                if m.account is o.account:
                    if o.stp_mode is not STP_EXPIRE_MAKER:
                        return False
                    continue
                need -= m.leaves
                if need <= 0:
                    return True
        return False

    def _trim(self, o: Order) -> None:
        """A resting order keeps locked exactly what its open quantity needs at its price."""
        res = o.res
        if res.users != 1:
            return
        need = -(-o.price * o.leaves // ONE) if o.is_buy else o.leaves
        if res.amount > need:
            self.ledger.release(res, res.amount - need)

    def _sweep(self, o: Order) -> None:
        sym = o.sym
        book = sym.book
        is_buy = o.is_buy
        if is_buy:
            levels, keys, sign = book.asks, book.ask_keys, -1
        else:
            levels, keys, sign = book.bids, book.bid_keys, 1
        limit = o.price
        acct = o.account if o.stp_mode is not _STP_NONE else None
        stopped = False
        while o.leaves and keys:
            price = keys[-1] * sign
            if limit and (price > limit if is_buy else price < limit):
                break
            level = levels[price]
            queue = level.queue
            traded = False
            while o.leaves and level.count:
                m = queue[0]
                if not m.on_book:
                    queue.popleft()
                    continue
                if m.account is acct:
                    self._prevent(o, m, price)
                    if o.status is _IN_MATCH:
                        stopped = True
                        break
                    continue
                qty = m.leaves if m.leaves < o.leaves else o.leaves
                quote = price * qty // ONE
                if is_buy and quote > o.res.amount:
                    qty = self._affordable(o, price, qty)
                    if not qty:
                        stopped = True
                        break
                    quote = price * qty // ONE
                self._fill(o, m, price, qty, quote, level)
                traded = True
                if not m.leaves:
                    queue.popleft()
                    m.on_book = False
                    level.count -= 1
                    self._close(m)
            if not level.count and levels.get(price) is level:
                book.drop_level(not is_buy, price)
            if traded:
                self._price_moved(sym, price)
            if stopped:
                break

    def _affordable(self, o: Order, price: int, qty: int) -> int:
        """A BUY whose lock falls short: top it up from free funds, or cut the fill to what is payable.

        quoteOrderQty orders never spend beyond their quoteOrderQty.
        """
        res = o.res
        available = res.amount if o.quote_order_qty else res.amount + res.cell.free
        if price * qty // ONE > available:
            qty = available * ONE // price
            step = o.sym.rules.step
            if step:
                qty -= qty % step
            if qty <= 0:
                return 0
        extra = price * qty // ONE - res.amount
        if extra > 0:
            self.ledger.reserve(res, extra)
        return qty

    def _fill(self, t: Order, m: Order, price: int, qty: int, quote: int, level) -> None:
        """Settle one execution between taker ``t`` and resting maker ``m`` and report it."""
        sym = t.sym
        ts = self._ts
        if t.is_buy:
            buyer, seller = t, m
            buyer_fee = qty * t.account.taker_bps // BPS
            seller_fee = quote * m.account.maker_bps // BPS
            t_fee, t_asset, m_fee, m_asset = buyer_fee, sym.base, seller_fee, sym.quote
        else:
            buyer, seller = m, t
            buyer_fee = qty * m.account.maker_bps // BPS
            seller_fee = quote * t.account.taker_bps // BPS
            t_fee, t_asset, m_fee, m_asset = seller_fee, sym.quote, buyer_fee, sym.base
        self.ledger.settle(buyer.res, buyer.base_cell, seller.res, seller.quote_cell, qty, quote, buyer_fee,
                           seller_fee, sym.fee_base, sym.fee_quote)
        trade_id = sym.next_trade_id
        sym.next_trade_id = trade_id + 1
        key = (t.order_id, price)
        if key != sym.agg_key:
            sym.agg_key = key
            sym.next_agg_id += 1
        trade = _new_tuple(Trade, (sym.symbol, trade_id, sym.next_agg_id - 1, price, qty, quote, ts, buyer is m,
                                   buyer.order_id, seller.order_id, buyer.account_id, seller.account_id,
                                   buyer.order_list_id, seller.order_list_id, buyer_fee, seller_fee, sym.base,
                                   sym.quote))
        sym.trades.append(trade)
        events = self._events
        events.append(trade)
        buyer.account.trades[sym.symbol].append((trade, True))
        seller.account.trades[sym.symbol].append((trade, False))
        sym.last_price = price
        sym.vwap.record(ts, quote, qty)
        book = sym.book
        level.total -= qty
        book.update_id += 1
        (book.changed_asks if t.is_buy else book.changed_bids)[price] = level.total
        first_fills = self._result.first_fills
        eid = self.next_execution_id
        self.next_execution_id = eid + 2
        # the taker's report, then the maker's; a side's first fill may resolve its order list (in that order)
        first = not t.executed
        t.executed += qty
        t.cum_quote += quote
        t.leaves -= qty
        t.update_ms = ts
        t.status = _PARTIAL if t.leaves else _FILLED
        if first:
            first_fills.append((t.account_id, t.order_id))
        events.append(_new_tuple(OrderUpdate, (t.view(), _TRADE, ts, eid, qty, price, quote, t_fee, t_asset, trade_id,
                                               False, "", "", REJ_NONE, 0, -1, 0)))
        if first and t.order_list is not None:
            self._list_leg_progress(t)
        first = not m.executed
        m.executed += qty
        m.cum_quote += quote
        m.leaves -= qty
        m.update_ms = ts
        m.status = _PARTIAL if m.leaves else _FILLED
        if first:
            first_fills.append((m.account_id, m.order_id))
        events.append(_new_tuple(OrderUpdate, (m.view(), _TRADE, ts, eid + 1, qty, price, quote, m_fee, m_asset,
                                               trade_id, True, "", "", REJ_NONE, 0, -1, 0)))
        if first and m.order_list is not None:
            self._list_leg_progress(m)
        if t is self._reply_order:
            self._fills.append(_new_tuple(Fill, (price, qty, t_fee, t_asset, trade_id)))

    def _prevent(self, t: Order, m: Order, price: int) -> None:
        """Self-trade prevention between taker ``t`` and maker ``m`` of the same account (taker's mode)."""
        sym = t.sym
        mode = t.stp_mode
        pmid = sym.next_prevented_id
        sym.next_prevented_id = pmid + 1
        t_prev = t.leaves if mode in (STP_EXPIRE_TAKER, STP_EXPIRE_BOTH) else 0
        m_prev = m.leaves if mode in (STP_EXPIRE_MAKER, STP_EXPIRE_BOTH) else 0
        if mode is STP_DECREMENT:
            t_prev = m_prev = min(t.leaves, m.leaves)
        ts = self._ts
        if m_prev:
            m.prevented_match_id = pmid
            m.prevented_qty += m_prev
            m.update_ms = ts
            if m_prev == m.leaves:
                sym.book.remove(m)
                m.leaves = 0
                m.status = _IN_MATCH
            else:
                sym.book.reduce(m, m_prev)
                freed = m_prev if not m.is_buy else m.price * m_prev // ONE
                self.ledger.release(m.res, min(freed, m.res.amount))
            self._emit(m, EX_TRADE_PREVENTION, last_prevented_qty_u=m_prev,
                       counter_order_id=t.order_id, prevented_price_u=price)
            if m.status is _IN_MATCH:
                self._close(m)
        if t_prev:
            t.prevented_match_id = pmid
            t.prevented_qty += t_prev
            t.leaves -= t_prev
            t.update_ms = ts
            if not t.leaves:
                t.status = _IN_MATCH
            self._emit(t, EX_TRADE_PREVENTION, last_prevented_qty_u=t_prev,
                       counter_order_id=m.order_id, prevented_price_u=price)
        if t is self._reply_order:
            self._prevented.append(PreventedMatch(pmid, m.order_id, price, t_prev, m_prev))

    # stop triggers and deferred work --------------------------------------------------------------------
    def _price_moved(self, sym, price: int) -> None:
        stops = sym.stops
        if not stops.orders:
            return
        for o in stops.on_price(price, self._ts):
            o.is_working = True
            o.working_ms = self._ts
            self._deferred.append((_TRIGGER, o))
            if o.order_list is not None:
                self._list_leg_progress(o)

    def _defer_activation(self, order_list) -> None:
        self._deferred.append((_ACTIVATE, order_list))

    def _drain(self) -> None:
        """Run fired stops and OTO activations (and whatever they fire in turn) until none is left."""
        if self._draining:
            return
        self._draining = True
        try:
            deferred = self._deferred
            while deferred:
                kind, item = deferred.popleft()
                if kind == _TRIGGER:
                    if item.is_open:
                        item.update_ms = self._ts
                        self._emit(item, EX_NEW)
                        self._execute(item)
                else:
                    self._activate_pending(item)
        finally:
            self._draining = False
