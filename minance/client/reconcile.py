"""What the user data stream missed while it was down, from REST: the client tracks open orders, balances and
the last trade id per symbol as events arrive; after a reconnect it compares them with ``openOrders``,
``account`` and ``myTrades(fromId=last + 1)`` and makes up the events the stream would have sent
(``synthetic=True``): one TRADE report per missed trade, CANCELED/EXPIRED for orders that ended without a
fill, NEW for orders placed elsewhere, and one ``AccountPosition`` with the balances that changed.

Pure: the streams client does the REST calls (``lookups_needed`` says which orders to query) and hands the
answers to :meth:`UserState.reconcile`. Not detectable this way: an order placed *and* cancelled while the
stream was down without a fill (it leaves no trade and is not open).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from minance.client.models import Balance, MyTrade, Order
from minance.client.stream_events import AccountPosition, ExecutionReport, Reconciled, UserEvent
from minance.domain.orders import ExecutionType, OrderStatus, OrderType, Side

__all__ = ["UserState"]

_ZERO = Decimal(0)
_OPEN = frozenset({OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED, OrderStatus.PENDING_NEW})
_ENDED = {OrderStatus.CANCELED: ExecutionType.CANCELED, OrderStatus.EXPIRED: ExecutionType.EXPIRED,
          OrderStatus.EXPIRED_IN_MATCH: ExecutionType.EXPIRED, OrderStatus.REJECTED: ExecutionType.REJECTED,
          OrderStatus.PENDING_CANCEL: ExecutionType.CANCELED}

OrderKey = tuple[str, int]


def _dec(value: Decimal | None) -> Decimal:
    return value if value is not None else _ZERO


def report_from_order(order: Order, execution_type: ExecutionType, now_ms: int) -> ExecutionReport:
    """A synthetic report carrying an order's REST state (no trade)."""
    return ExecutionReport(
        symbol=order.symbol, order_id=order.order_id, client_order_id=order.client_order_id,
        side=Side(order.side or "BUY"), order_type=OrderType(order.type or "LIMIT"), execution_type=execution_type,
        status=OrderStatus(order.status or "NEW"), quantity=_dec(order.orig_qty), price=_dec(order.price),
        stop_price=_dec(order.stop_price), last_qty=_ZERO, last_price=_ZERO, last_quote_qty=_ZERO,
        cum_qty=_dec(order.executed_qty), cum_quote_qty=_dec(order.cummulative_quote_qty), commission=_ZERO,
        commission_asset=None, trade_id=-1, is_maker=False,
        transaction_time=order.update_time or order.time or now_ms, event_time=now_ms,
        time_in_force=order.time_in_force or "", order_list_id=order.order_list_id, synthetic=True)


@dataclass
class UserState:
    """The account as the stream last told it."""

    orders: dict[OrderKey, ExecutionReport]
    balances: dict[str, Balance]
    last_trade_id: dict[str, int]

    @classmethod
    def from_rest(cls, open_orders: Iterable[Order], balances: Iterable[Balance],
                  last_trades: dict[str, int], now_ms: int) -> UserState:
        orders = {(o.symbol, o.order_id): report_from_order(o, ExecutionType.NEW, now_ms) for o in open_orders}
        return cls(orders, {b.asset: b for b in balances}, dict(last_trades))

    def symbols(self, watched: Iterable[str] = ()) -> set[str]:
        return set(watched) | set(self.last_trade_id) | {s for s, _ in self.orders}

    def apply(self, event: UserEvent) -> None:
        """Follow the live stream."""
        if isinstance(event, ExecutionReport):
            key = (event.symbol, event.order_id)
            if event.status in _OPEN:
                self.orders[key] = event
            else:
                self.orders.pop(key, None)
            if event.trade_id >= 0 and event.trade_id > self.last_trade_id.get(event.symbol, -1):
                self.last_trade_id[event.symbol] = event.trade_id
        elif isinstance(event, AccountPosition):
            for b in event.balances:
                self.balances[b.asset] = b

    def lookups_needed(self, open_now: Iterable[Order], missed: dict[str, list[MyTrade]]) -> set[OrderKey]:
        """Orders whose REST state must be queried: tracked ones no longer open, and those with missed trades."""
        still_open = {(o.symbol, o.order_id) for o in open_now}
        keys = {k for k in self.orders if k not in still_open}
        keys |= {(s, t.order_id) for s, trades in missed.items() for t in trades if (s, t.order_id) not in still_open}
        return keys

    def reconcile(self, open_now: list[Order], balances: Iterable[Balance], missed: dict[str, list[MyTrade]],
                  lookups: dict[OrderKey, Order], down_ms: int, now_ms: int) -> list[UserEvent]:
        """The synthetic events for what changed, ending with a :class:`Reconciled`; the state is updated."""
        current: dict[OrderKey, Order] = {(o.symbol, o.order_id): o for o in open_now}
        current.update(lookups)
        reports: list[ExecutionReport] = []
        traded: set[OrderKey] = set()
        for symbol in sorted(missed):
            trades = sorted(missed[symbol], key=lambda t: t.id)
            for i, trade in enumerate(trades):
                key = (symbol, trade.order_id)
                order = current.get(key)
                before = self.orders.get(key)
                cum_qty, cum_quote = _ZERO, _ZERO
                for r in reversed(reports):
                    if (r.symbol, r.order_id) == key:
                        cum_qty, cum_quote = r.cum_qty, r.cum_quote_qty
                        break
                else:
                    if before is not None:
                        cum_qty, cum_quote = before.cum_qty, before.cum_quote_qty
                cum_qty += trade.qty
                cum_quote += trade.quote_qty
                last_of_order = all(t.order_id != trade.order_id for t in trades[i + 1:])
                if order is not None and last_of_order:
                    status = OrderStatus(order.status or "FILLED")
                else:
                    status = OrderStatus.PARTIALLY_FILLED
                base = before if before is not None else (report_from_order(order, ExecutionType.TRADE, now_ms)
                                                          if order is not None else None)
                if base is None:  # an order we cannot describe: report the fill with what the trade says
                    base = ExecutionReport(
                        symbol=symbol, order_id=trade.order_id, client_order_id="", side=Side.BUY if trade.is_buyer
                        else Side.SELL, order_type=OrderType.LIMIT, execution_type=ExecutionType.TRADE, status=status,
                        quantity=trade.qty, price=trade.price, stop_price=_ZERO, last_qty=_ZERO, last_price=_ZERO,
                        last_quote_qty=_ZERO, cum_qty=_ZERO, cum_quote_qty=_ZERO, commission=_ZERO,
                        commission_asset=None, trade_id=-1, is_maker=False, transaction_time=trade.time,
                        event_time=now_ms)
                reports.append(replace(
                    base, execution_type=ExecutionType.TRADE, status=status, last_qty=trade.qty,
                    last_price=trade.price, last_quote_qty=trade.quote_qty, cum_qty=cum_qty, cum_quote_qty=cum_quote,
                    commission=trade.commission, commission_asset=trade.commission_asset, trade_id=trade.id,
                    is_maker=trade.is_maker, transaction_time=trade.time, event_time=now_ms, synthetic=True,
                    raw={}))
                traded.add(key)
        for key, order in sorted(current.items()):
            if key in traded:
                continue
            status = OrderStatus(order.status or "NEW")
            if key in self.orders and status in _ENDED:
                reports.append(report_from_order(order, _ENDED[status], now_ms))
            elif key not in self.orders and status in _OPEN:
                reports.append(report_from_order(order, ExecutionType.NEW, now_ms))
        for report in reports:
            self.apply(report)
        for key, order in current.items():  # REST is the truth: ended orders are not tracked any more
            if OrderStatus(order.status or "NEW") not in _OPEN:
                self.orders.pop(key, None)
        # a tracked order that REST no longer knows as open and could not describe: forget it
        for key in [k for k in self.orders if k not in current]:
            self.orders.pop(key)

        changed = []
        for b in balances:
            old = self.balances.get(b.asset)
            if old is None and b.total == 0:
                continue
            if old is None or (old.free, old.locked) != (b.free, b.locked):
                changed.append(b)
                self.balances[b.asset] = b
        events: list[UserEvent] = list(reports)
        if changed:
            events.append(AccountPosition(tuple(changed), now_ms, now_ms, synthetic=True))
        events.append(Reconciled(down_ms, tuple(reports), tuple(changed)))
        return events
