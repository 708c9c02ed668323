"""One symbol's limit order book: price levels with FIFO queues, price-time priority.

Each side keeps a dict price → Level and a plain sorted list of keys with the *best* price last (bids keyed
by price, asks by -price), so adding near the touch and removing the best level touch the list's tail and
cost almost nothing; ``bisect`` handles the rest. A level's queue is a deque: cancels are O(1) by marking the
order off the book (``on_book = False``) and adjusting the level's totals; matching skips such orders, and a
queue that holds mostly cancelled entries is compacted.

Every change of a level's total bumps ``update_id`` and is remembered in ``changed_bids``/``changed_asks``
(price → new total, 0 = level gone) until the exchange drains them into a diff-depth event.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque

__all__ = ["Level", "OrderBook"]


class Level:
    __slots__ = ("count", "price", "queue", "total")

    def __init__(self, price: int) -> None:
        self.price = price
        self.total = 0  # open quantity of the live orders
        self.count = 0  # live orders
        self.queue: deque = deque()  # orders in time priority; may hold orders already off the book


class OrderBook:
    __slots__ = ("ask_keys", "asks", "bid_keys", "bids", "changed_asks", "changed_bids", "drained_id", "update_id")

    def __init__(self) -> None:
        self.bids: dict[int, Level] = {}
        self.asks: dict[int, Level] = {}
        self.bid_keys: list[int] = []  # prices ascending: best bid last
        self.ask_keys: list[int] = []  # -prices ascending: best (lowest) ask last
        self.update_id = 0
        self.drained_id = 0  # update_id when the changes were last drained
        self.changed_bids: dict[int, int] = {}
        self.changed_asks: dict[int, int] = {}

    # reads ----------------------------------------------------------------------------------------------
    def best_bid(self) -> int:
        """Best bid price in units, 0 when the side is empty."""
        return self.bid_keys[-1] if self.bid_keys else 0

    def best_ask(self) -> int:
        return -self.ask_keys[-1] if self.ask_keys else 0

    def depth(self, limit: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Top ``limit`` levels per side as (price, total qty), best first."""
        bids = self.bids
        asks = self.asks
        bk = self.bid_keys
        ak = self.ask_keys
        top_bids = [(p, bids[p].total) for p in reversed(bk[-limit:])] if limit > 0 else []
        top_asks = [(-k, asks[-k].total) for k in reversed(ak[-limit:])] if limit > 0 else []
        return top_bids, top_asks

    def walk_cost(self, taker_is_buy: bool, qty: int, limit: int = 0) -> tuple[int, int]:
        """Dry run of a taker for ``qty`` (up to ``limit``, 0 = none): (fillable qty, quote it costs/yields).

        The cost is summed per level with the quote floored, which bounds the per-fill floored quotes.
        """
        one = 100_000_000
        filled = cost = 0
        if taker_is_buy:
            levels, keys, sign = self.asks, self.ask_keys, -1
        else:
            levels, keys, sign = self.bids, self.bid_keys, 1
        for key in reversed(keys):
            price = key * sign
            if limit and (price > limit if taker_is_buy else price < limit):
                break
            take = min(levels[price].total, qty - filled)
            filled += take
            cost += price * take // one
            if filled == qty:
                break
        return filled, cost

    def walk_budget(self, taker_is_buy: bool, budget: int, step: int, max_qty: int = 0) -> int:
        """Dry run of a quoteOrderQty market order: the quantity (a multiple of ``step``) it will trade.

        A BUY spends at most ``budget`` of quote; a SELL receives at most ``budget``. Either stops at
        ``max_qty`` (MARKET_LOT_SIZE) when set.
        """
        one = 100_000_000
        total = 0
        if taker_is_buy:
            levels, keys, sign = self.asks, self.ask_keys, -1
        else:
            levels, keys, sign = self.bids, self.bid_keys, 1
        for key in reversed(keys):
            price = key * sign
            afford = budget * one // price
            if step:
                afford -= afford % step
            take = min(levels[price].total, afford)
            if max_qty and total + take > max_qty:
                take = max_qty - total
                if step:
                    take -= take % step
            total += take
            budget -= price * take // one
            if take < levels[price].total and taker_is_buy:
                break  # what cannot be bought here cannot be bought higher up
            if max_qty and total >= max_qty:
                break
        return total

    def level_orders(self, is_bid: bool, price: int) -> list:
        """Live orders at one level in time priority (tests, snapshots)."""
        level = (self.bids if is_bid else self.asks).get(price)
        return [] if level is None else [o for o in level.queue if o.on_book]

    def levels(self, is_bid: bool) -> list[Level]:
        """All levels of a side, best first."""
        if is_bid:
            return [self.bids[p] for p in reversed(self.bid_keys)]
        return [self.asks[-k] for k in reversed(self.ask_keys)]

    # writes ---------------------------------------------------------------------------------------------
    def add(self, order) -> None:
        """Rest ``order`` (is_buy, price, leaves) at the back of its level."""
        price = order.price
        if order.is_buy:
            levels = self.bids
            level = levels.get(price)
            if level is None:
                level = levels[price] = Level(price)
                insort(self.bid_keys, price)
            changed = self.changed_bids
        else:
            levels = self.asks
            level = levels.get(price)
            if level is None:
                level = levels[price] = Level(price)
                insort(self.ask_keys, -price)
            changed = self.changed_asks
        level.queue.append(order)
        level.total += order.leaves
        level.count += 1
        order.on_book = True
        self.update_id += 1
        changed[price] = level.total

    def remove(self, order) -> None:
        """Take a resting order off the book (cancel, expiry) before its ``leaves`` changes."""
        assert order.on_book
        order.on_book = False
        price = order.price
        if order.is_buy:
            levels, keys, key, changed = self.bids, self.bid_keys, price, self.changed_bids
        else:
            levels, keys, key, changed = self.asks, self.ask_keys, -price, self.changed_asks
        level = levels[price]
        level.total -= order.leaves
        level.count -= 1
        self.update_id += 1
        changed[price] = level.total
        if level.count == 0:
            del levels[price]
            if keys[-1] == key:
                keys.pop()
            else:
                del keys[bisect_left(keys, key)]
        elif len(level.queue) > 2 * level.count + 32:
            level.queue = deque(o for o in level.queue if o.on_book)

    def reduce(self, order, qty: int) -> None:
        """Lower a resting order's open quantity by ``qty`` in place (keeps its priority); >0 remains."""
        level = (self.bids if order.is_buy else self.asks)[order.price]
        level.total -= qty
        order.leaves -= qty
        self.update_id += 1
        (self.changed_bids if order.is_buy else self.changed_asks)[order.price] = level.total

    def drop_level(self, is_bid: bool, price: int) -> None:
        """Forget an emptied level (its queue holds no live order)."""
        if is_bid:
            del self.bids[price]
            keys, key = self.bid_keys, price
        else:
            del self.asks[price]
            keys, key = self.ask_keys, -price
        if keys[-1] == key:
            keys.pop()
        else:
            del keys[bisect_left(keys, key)]

    def drain_changes(self) -> tuple[int, list[tuple[int, int]], list[tuple[int, int]]]:
        """(first update id, changed bids best first, changed asks best first) since the last drain."""
        first = self.drained_id + 1
        bids: list[tuple[int, int]] = []
        asks: list[tuple[int, int]] = []
        if self.changed_bids:
            bids = sorted(self.changed_bids.items(), reverse=True)
            self.changed_bids = {}
        if self.changed_asks:
            asks = sorted(self.changed_asks.items())
            self.changed_asks = {}
        self.drained_id = self.update_id
        return first, bids, asks

    def is_crossed(self) -> bool:
        return bool(self.bid_keys and self.ask_keys and self.bid_keys[-1] >= -self.ask_keys[-1])
