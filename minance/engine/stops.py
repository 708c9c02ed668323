"""Stop orders waiting for their trigger, per symbol; triggered by the last trade price.

Direction (Binance): STOP_LOSS* BUY and TAKE_PROFIT* SELL trigger when the price rises to the stop price;
STOP_LOSS* SELL and TAKE_PROFIT* BUY when it falls to it.

Fixed stops sit in two sorted lists with the next one to fire last, so checking a price costs O(1) when
nothing fires. Trailing stops (``trailingDelta`` in BIPS) follow Binance's trailing-stop FAQ: with a
``stopPrice`` they start tracking when a trade meets the stop condition (that trade sets the extreme),
without one they track from placement (the last price, or the next trade when there is none). A SELL then
tracks the highest price and fires after a fall of ``delta`` BIPS from it; a BUY tracks the lowest and
fires after a rise of ``delta`` BIPS.
"""

from __future__ import annotations

from bisect import bisect_left, insort

from minance.domain.orders import OrderType

__all__ = ["StopBook", "triggers_on_rise", "would_trigger"]

# Enum members as module constants: on Python 3.11 `OrderType.LIMIT` costs ~10x a global lookup.
TAKE_PROFIT_LIMIT = OrderType.TAKE_PROFIT_LIMIT

_RISE = frozenset({(OrderType.STOP_LOSS, True), (OrderType.STOP_LOSS_LIMIT, True), (OrderType.TAKE_PROFIT, False),
                   (TAKE_PROFIT_LIMIT, False)})
BIPS = 10_000


def triggers_on_rise(order_type: OrderType, is_buy: bool) -> bool:
    return (order_type, is_buy) in _RISE


def would_trigger(order_type: OrderType, is_buy: bool, stop: int, last: int) -> bool:
    """Whether a stop at ``stop`` is already met by the last price (placement is then refused)."""
    if not stop or not last:
        return False
    return last >= stop if triggers_on_rise(order_type, is_buy) else last <= stop


class StopBook:
    __slots__ = ("fall", "orders", "rise", "trailing")

    def __init__(self) -> None:
        self.rise: list[tuple[int, int]] = []  # (-stop, -order_id) ascending: lowest stop, oldest, last
        self.fall: list[tuple[int, int]] = []  # (stop, -order_id) ascending: highest stop, oldest, last
        self.trailing: dict[int, object] = {}
        self.orders: dict[int, object] = {}  # every waiting stop by order id

    def __len__(self) -> int:
        return len(self.orders)

    def add(self, order, last_price: int, ts_ms: int) -> None:
        self.orders[order.order_id] = order
        if order.trailing_delta:
            self.trailing[order.order_id] = order
            if not order.stop_price:  # no activation price: tracking starts now
                order.trail_active = True
                order.trail_extreme = last_price
                order.trailing_ms = ts_ms
        elif triggers_on_rise(order.type, order.is_buy):
            insort(self.rise, (-order.stop_price, -order.order_id))
        else:
            insort(self.fall, (order.stop_price, -order.order_id))

    def remove(self, order) -> None:
        del self.orders[order.order_id]
        if order.trailing_delta:
            del self.trailing[order.order_id]
            return
        if triggers_on_rise(order.type, order.is_buy):
            keys, key = self.rise, (-order.stop_price, -order.order_id)
        else:
            keys, key = self.fall, (order.stop_price, -order.order_id)
        i = bisect_left(keys, key)
        assert keys[i] == key
        del keys[i]

    def on_price(self, price: int, ts_ms: int) -> list:
        """Orders the trade at ``price`` fires, removed from the book, oldest first."""
        fired = []
        orders = self.orders
        rise = self.rise
        while rise and -rise[-1][0] <= price:
            fired.append(orders.pop(-rise.pop()[1]))
        fall = self.fall
        while fall and fall[-1][0] >= price:
            fired.append(orders.pop(-fall.pop()[1]))
        if self.trailing:
            for order in list(self.trailing.values()):
                if _trail(order, price, ts_ms):
                    del self.trailing[order.order_id]
                    del orders[order.order_id]
                    fired.append(order)
        if len(fired) > 1:
            fired.sort(key=lambda o: o.order_id)
        return fired


def _trail(order, price: int, ts_ms: int) -> bool:
    """Advance one trailing stop by a trade at ``price``; True when it fires."""
    if not order.trail_active:
        rises = triggers_on_rise(order.type, order.is_buy)
        if (price >= order.stop_price) if rises else (price <= order.stop_price):
            order.trail_active = True
            order.trail_extreme = price
            order.trailing_ms = ts_ms
        return False
    extreme = order.trail_extreme
    delta = order.trailing_delta
    if order.is_buy:
        if not extreme or price < extreme:
            order.trail_extreme = price
            return False
        return price * BIPS >= extreme * (BIPS + delta)
    if price > extreme:
        order.trail_extreme = price
        return False
    return price * BIPS <= extreme * (BIPS - delta)
