"""Read-only queries. They never change state; unknown things raise BinanceError like Binance answers.

Time-window lists follow Binance: no start/end → the most recent ``limit``; ``start_ms`` → the oldest from
there; ``end_ms`` → the most recent up to it; both → from start, capped at end. Results are chronological.

Queries answer from what the exchange retains (see :mod:`minance.engine.exchange`): /trades, /historicalTrades
and /aggTrades from the symbol's most recent ``keep_trades`` trades, where a ``fromId`` older than the oldest
retained trade (or aggregate) starts at the oldest retained one, and the oldest retained aggregate may miss
fills that were forgotten before it; /myTrades from the account's most recent ``keep_my_trades`` trades on
the symbol; /allOrders from its open orders, its most recently finished orders and the legs of its retained
order lists. GET /order for an order the account has had forgotten answers Binance's -2026 (archived); the
test is "the order id is at most the highest id forgotten for this account and symbol", which cannot tell a
forgotten order of this account from an older order of another one (-2013 for both would be exact).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from decimal import Decimal
from itertools import islice
from operator import attrgetter
from typing import NamedTuple

from minance.domain.account import Balance
from minance.domain.errors import BinanceError, Err
from minance.domain.orders import (
    MyTrade,
    OrderListView,
    OrderView,
    Trade,
    units_to_decimal,
    with_decimal_twins,
)
from minance.engine.rules import SymbolRules
from minance.engine.state import AccountState, SymbolState

__all__ = ["AggTrade", "BookTicker", "Depth", "QueriesMixin"]


class Depth(NamedTuple):
    """GET /depth: levels best first as (price_u, qty_u); ``bids``/``asks`` give Decimal pairs."""

    symbol: str
    last_update_id: int
    bids_u: list[tuple[int, int]]
    asks_u: list[tuple[int, int]]

    @property
    def bids(self) -> list[tuple[Decimal, Decimal]]:
        return [(units_to_decimal(p), units_to_decimal(q)) for p, q in self.bids_u]

    @property
    def asks(self) -> list[tuple[Decimal, Decimal]]:
        return [(units_to_decimal(p), units_to_decimal(q)) for p, q in self.asks_u]


@with_decimal_twins
class BookTicker(NamedTuple):
    symbol: str
    bid_price_u: int  # 0 when the side is empty
    bid_qty_u: int
    ask_price_u: int
    ask_qty_u: int
    update_id: int


@with_decimal_twins
class AggTrade(NamedTuple):
    """GET /aggTrades: trades of one taker order at one price, merged."""

    agg_id: int
    price_u: int
    qty_u: int
    first_trade_id: int
    last_trade_id: int
    time_ms: int
    is_buyer_maker: bool


_order_id = attrgetter("order_id")
_created_ms = attrgetter("created_ms")
_trade_id = attrgetter("trade_id")
_time_ms = attrgetter("time_ms")
_agg_id = attrgetter("agg_id")


def _row_trade_id(row: tuple) -> int:
    return row[0].trade_id


def _row_time_ms(row: tuple) -> int:
    return row[0].time_ms


def _take(seq: Sequence, lo: int, hi: int) -> list:
    """``seq[lo:hi]`` for a list or a deque (a deque is walked from its nearer end)."""
    n = len(seq)
    lo = max(lo, 0)
    hi = min(hi, n)
    if hi <= lo:
        return []
    if type(seq) is list:
        return seq[lo:hi]
    if lo > n - hi:
        out = list(islice(reversed(seq), n - hi, n - lo))
        out.reverse()
        return out
    return list(islice(seq, lo, hi))


def _from(seq: Sequence, lo: int) -> Iterable:
    """``seq[lo:]``, lazily when that is cheaper."""
    if type(seq) is list or lo <= len(seq) // 2:
        return islice(seq, lo, None)
    return _take(seq, lo, len(seq))


def _window(items: Sequence, key, start_ms: int | None, end_ms: int | None, limit: int) -> list:
    lo = bisect_left(items, start_ms, key=key) if start_ms is not None else 0
    hi = bisect_left(items, end_ms + 1, key=key) if end_ms is not None else len(items)
    if start_ms is not None:
        return _take(items, lo, min(hi, lo + limit))
    return _take(items, max(lo, hi - limit), hi)


def _aggregate(trades: Iterable[Trade], limit: int) -> list[AggTrade]:
    """The first ``limit`` aggregate trades of consecutive trades."""
    out: list[AggTrade] = []
    for t in trades:
        if out and out[-1].agg_id == t.agg_id:
            a = out[-1]
            out[-1] = a._replace(qty_u=a.qty_u + t.qty_u, last_trade_id=t.trade_id)
        elif len(out) == limit:
            break
        else:
            out.append(AggTrade(t.agg_id, t.price_u, t.qty_u, t.trade_id, t.trade_id, t.time_ms, t.is_buyer_maker))
    return out


def _no_order() -> BinanceError:
    return Err.NO_SUCH_ORDER()


def _archived() -> BinanceError:
    return Err.ORDER_ARCHIVED()


class QueriesMixin:
    def _sym(self, symbol: str) -> SymbolState:
        sym = self.symbols.get(symbol)
        if sym is None:
            raise Err.BAD_SYMBOL()
        return sym

    def _acct(self, account_id: int) -> AccountState | None:
        return self.accounts.get(account_id)

    # orders ---------------------------------------------------------------------------------------------
    def get_order(self, account_id: int, symbol: str, order_id: int | None = None,
                  orig_client_order_id: str | None = None) -> OrderView:
        """GET /order; -2013 when unknown, -2026 when forgotten (a clientOrderId finds the latest retained
        order that used it)."""
        self._sym(symbol)
        acct = self._acct(account_id)
        o = self._lookup_order(acct, symbol, order_id, orig_client_order_id)
        if o is None:
            if (order_id is not None and acct is not None and order_id not in self.orders
                    and order_id <= acct.pruned_upto.get(symbol, 0)):
                raise _archived()
            raise _no_order()
        return o.view()

    def open_orders(self, account_id: int, symbol: str | None = None) -> list[OrderView]:
        acct = self._acct(account_id)
        if symbol is not None:
            self._sym(symbol)
        if acct is None:
            return []
        groups = [acct.open.get(symbol, {})] if symbol is not None else list(acct.open.values())
        return sorted((o.view() for g in groups for o in g.values()), key=lambda v: v.order_id)

    def all_orders(self, account_id: int, symbol: str, order_id: int | None = None, start_ms: int | None = None,
                   end_ms: int | None = None, limit: int = 500) -> list[OrderView]:
        self._sym(symbol)
        acct = self._acct(account_id)
        by_id = acct.orders.get(symbol) if acct else None
        orders = list(by_id.values()) if by_id else []
        if order_id is not None:
            i = bisect_left(orders, order_id, key=_order_id)
            picked = [o for o in orders[i:] if end_ms is None or o.created_ms <= end_ms]
            if start_ms is not None:
                picked = [o for o in picked if o.created_ms >= start_ms]
            return [o.view() for o in picked[:limit]]
        return [o.view() for o in _window(orders, _created_ms, start_ms, end_ms, limit)]

    def my_trades(self, account_id: int, symbol: str, order_id: int | None = None, start_ms: int | None = None,
                  end_ms: int | None = None, from_id: int | None = None, limit: int = 500) -> list[MyTrade]:
        self._sym(symbol)
        acct = self._acct(account_id)
        rows = acct.trades.get(symbol, ()) if acct else ()
        if order_id is not None:
            rows = [r for r in rows if (r[0].buyer_order_id if r[1] else r[0].seller_order_id) == order_id]
        if from_id is not None:
            lo = bisect_left(rows, from_id, key=_row_trade_id)
            rows = _take(rows, lo, lo + limit)
        else:
            rows = _window(rows, _row_time_ms, start_ms, end_ms, limit)
        return [_my_trade(t, is_buyer) for t, is_buyer in rows]

    # order lists ----------------------------------------------------------------------------------------
    def order_list(self, account_id: int, order_list_id: int | None = None,
                   orig_client_order_id: str | None = None) -> OrderListView:
        acct = self._acct(account_id)
        lst = None
        if acct is not None:
            if order_list_id is not None:
                lst = acct.lists.get(order_list_id)
            else:
                for by_symbol in acct.list_client_ids.values():
                    cand = by_symbol.get(orig_client_order_id)
                    if cand is not None and (lst is None or cand.order_list_id > lst.order_list_id):
                        lst = cand
        if lst is None:
            raise Err.NO_SUCH_ORDER_LIST()
        return lst.view()

    def all_order_lists(self, account_id: int, from_id: int | None = None, start_ms: int | None = None,
                        end_ms: int | None = None, limit: int = 500) -> list[OrderListView]:
        acct = self._acct(account_id)
        lists = sorted(acct.lists.values(), key=lambda x: x.order_list_id) if acct else []
        if from_id is not None:
            return [x.view() for x in lists if x.order_list_id >= from_id][:limit]
        if start_ms is None and end_ms is None:
            return [x.view() for x in lists[-limit:]] if limit > 0 else []
        # a list's transaction time moves when it finishes, so id order is not time order: no bisect here
        picked = [x for x in lists if (start_ms is None or x.transaction_ms >= start_ms)
                  and (end_ms is None or x.transaction_ms <= end_ms)]
        return [x.view() for x in (picked[:limit] if start_ms is not None else picked[-limit:] if limit > 0 else [])]

    def open_order_lists(self, account_id: int) -> list[OrderListView]:
        acct = self._acct(account_id)
        lists = sorted(acct.lists.values(), key=lambda x: x.order_list_id) if acct else []
        return [x.view() for x in lists if x.is_open]

    def list_orders(self, account_id: int, order_list_id: int) -> list[OrderView]:
        """The legs of an order list, as order reports."""
        acct = self._acct(account_id)
        lst = acct.lists.get(order_list_id) if acct else None
        if lst is None:
            raise Err.NO_SUCH_ORDER_LIST()
        return [o.view() for o in lst.legs]

    # balances and fees ----------------------------------------------------------------------------------
    def balances(self, account_id: int) -> list[Balance]:
        cells = self.ledger.cells.get(account_id, {})
        return [Balance(c.asset, units_to_decimal(c.free), units_to_decimal(c.locked))
                for c in sorted(cells.values(), key=lambda c: c.asset)]

    def balance(self, account_id: int, asset: str) -> Balance:
        cell = self.ledger.cells.get(account_id, {}).get(asset)
        free, locked = (cell.free, cell.locked) if cell else (0, 0)
        return Balance(asset, units_to_decimal(free), units_to_decimal(locked))

    def balance_units(self, account_id: int, asset: str) -> tuple[int, int]:
        """(free, locked) in units, for callers that stay in integers (bots, the market maker)."""
        cell = self.ledger.cells.get(account_id, {}).get(asset)
        return (cell.free, cell.locked) if cell else (0, 0)

    def commission_bps(self, account_id: int) -> tuple[int, int]:
        """(maker, taker) commission in basis points."""
        acct = self._acct(account_id)
        if acct is None:
            return self.default_maker_bps, self.default_taker_bps
        return acct.maker_bps, acct.taker_bps

    # market data ----------------------------------------------------------------------------------------
    def rules(self, symbol: str) -> SymbolRules:
        return self._sym(symbol).rules

    def depth(self, symbol: str, limit: int = 100) -> Depth:
        sym = self._sym(symbol)
        if sym.virtual is not None:  # the virtual maker ladder merged in (engine/market.py)
            return Depth(symbol, sym.book.update_id, self._merged_levels(sym, True, limit),
                         self._merged_levels(sym, False, limit))
        bids, asks = sym.book.depth(limit)
        return Depth(symbol, sym.book.update_id, bids, asks)

    def book_ticker(self, symbol: str) -> BookTicker:
        sym = self._sym(symbol)
        book = sym.book
        if sym.virtual is not None:
            bids, asks = self._merged_levels(sym, True, 1), self._merged_levels(sym, False, 1)
            bid, bid_qty = bids[0] if bids else (0, 0)
            ask, ask_qty = asks[0] if asks else (0, 0)
            return BookTicker(symbol, bid, bid_qty, ask, ask_qty, book.update_id)
        bid, ask = book.best_bid(), book.best_ask()
        return BookTicker(symbol, bid, book.bids[bid].total if bid else 0, ask, book.asks[ask].total if ask else 0,
                          book.update_id)

    def recent_trades(self, symbol: str, limit: int = 500) -> list[Trade]:
        trades = self._sym(symbol).trades
        return _take(trades, len(trades) - limit, len(trades)) if limit > 0 else []

    def historical_trades(self, symbol: str, from_id: int | None = None, limit: int = 500) -> list[Trade]:
        """From trade ``from_id`` (the oldest retained when it is older), or the most recent ones."""
        trades = self._sym(symbol).trades
        if from_id is None or not trades:
            return self.recent_trades(symbol, limit)
        start = max(from_id - trades[0].trade_id, 0)  # retained trade ids are consecutive
        return _take(trades, start, start + limit) if limit > 0 else []

    def agg_trades(self, symbol: str, from_id: int | None = None, start_ms: int | None = None,
                   end_ms: int | None = None, limit: int = 500) -> list[AggTrade]:
        trades = self._sym(symbol).trades
        if limit <= 0:
            return []
        n = len(trades)
        if from_id is not None:
            return _aggregate(_from(trades, bisect_left(trades, from_id, key=_agg_id)), limit)
        hi = bisect_left(trades, end_ms + 1, key=_time_ms) if end_ms is not None else n
        if start_ms is not None:
            return _aggregate(_take(trades, bisect_left(trades, start_ms, key=_time_ms), hi), limit)
        count = groups = 0  # the most recent: walk back over ``limit`` whole aggregates
        last = None
        for t in islice(reversed(trades), n - hi, None):
            if t.agg_id != last:
                if groups == limit:
                    break
                groups += 1
                last = t.agg_id
            count += 1
        return _aggregate(_take(trades, hi - count, hi), limit)

    def last_price(self, symbol: str) -> Decimal | None:
        price = self._sym(symbol).last_price
        return units_to_decimal(price) if price else None

    def avg_price(self, symbol: str, now_ms: int) -> Decimal | None:
        """GET /avgPrice: the 5-minute VWAP of this engine's trades (last price when none in the window)."""
        price = self._sym(symbol).peek_avg_price(now_ms)
        return units_to_decimal(price) if price else None


def _my_trade(t: Trade, is_buyer: bool) -> MyTrade:
    if is_buyer:
        return MyTrade(t.symbol, t.trade_id, t.buyer_order_id, t.buyer_order_list_id, t.price_u, t.qty_u,
                       t.quote_qty_u, t.buyer_commission_u, t.base_asset, t.time_ms, True, t.is_buyer_maker, True)
    return MyTrade(t.symbol, t.trade_id, t.seller_order_id, t.seller_order_list_id, t.price_u, t.qty_u,
                   t.quote_qty_u, t.seller_commission_u, t.quote_asset, t.time_ms, False, not t.is_buyer_maker, True)
