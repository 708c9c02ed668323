"""What a command produces: the ordered events, the reply to the caller, and the rate-limit hooks.

Events (in the order they happened within the command):

- :class:`OrderUpdate`: one executionReport (every field Binance sends, the order itself as an OrderView).
- :class:`~minance.domain.orders.Trade`: one execution, for @trade/@aggTrade streams, klines and myTrades.
- :class:`ListStatus`: one listStatus event of an order list.
- :class:`BalanceDelta`: a deposit or withdrawal (the ``balanceUpdate`` user event).
- :class:`BalanceUpdate`: closing free/locked of each (account, asset) the command changed
  (``outboundAccountPosition``), emitted at the end of the command, one per cell, in first-touch order.
- :class:`BookDelta`: changed price levels of one symbol with their new totals (0 = gone) and the
  ``U``/``u`` update-id range, emitted at the end of the command (diff-depth streams).

Amounts are integer units of 1e-8 in ``*_u`` fields, each with a Decimal twin without the suffix.
"""

from __future__ import annotations

from typing import NamedTuple

from minance.domain.errors import BinanceError
from minance.domain.orders import (
    ExecutionType,
    Fill,
    OrderListView,
    OrderView,
    PreventedMatch,
    RejectReason,
    ResponseType,
    Trade,
    with_decimal_twins,
)

__all__ = [
    "BalanceDelta",
    "BalanceUpdate",
    "BookDelta",
    "CancelAllReply",
    "CancelReplaceReply",
    "CancelReply",
    "Event",
    "ListReply",
    "ListStatus",
    "OrderReply",
    "OrderUpdate",
    "Result",
]


@with_decimal_twins
class OrderUpdate(NamedTuple):
    """One executionReport. ``order`` is the order right after this execution."""

    order: OrderView
    execution_type: ExecutionType
    transact_ms: int
    execution_id: int
    last_qty_u: int = 0
    last_price_u: int = 0
    last_quote_qty_u: int = 0
    commission_u: int = 0
    commission_asset: str | None = None
    trade_id: int = -1
    is_maker: bool = False
    orig_client_order_id: str = ""  # C: the cancelled order's id on a cancel, "" otherwise
    cancel_client_order_id: str = ""  # c on a cancel report: the cancel request's own client id
    reject_reason: RejectReason = RejectReason.NONE
    last_prevented_qty_u: int = 0  # B, on TRADE_PREVENTION
    counter_order_id: int = -1  # U, on TRADE_PREVENTION
    prevented_price_u: int = 0  # pL, on TRADE_PREVENTION


@with_decimal_twins
class BalanceUpdate(NamedTuple):
    account_id: int
    asset: str
    free_u: int
    locked_u: int
    time_ms: int


@with_decimal_twins
class BalanceDelta(NamedTuple):
    account_id: int
    asset: str
    delta_u: int
    time_ms: int


class ListStatus(NamedTuple):
    order_list: OrderListView
    transact_ms: int
    reject_reason: RejectReason = RejectReason.NONE


class BookDelta(NamedTuple):
    """Changed levels: ``bids``/``asks`` are (price_u, total_qty_u), 0 qty = level removed."""

    symbol: str
    first_update_id: int  # U
    last_update_id: int  # u
    bids: list[tuple[int, int]]
    asks: list[tuple[int, int]]
    time_ms: int


Event = OrderUpdate | Trade | ListStatus | BalanceDelta | BalanceUpdate | BookDelta


class OrderReply(NamedTuple):
    """POST /order's answer; render with :func:`minance.engine.responses.order_response`."""

    order: OrderView
    fills: list[Fill]
    prevented_matches: list[PreventedMatch]
    transact_ms: int
    response_type: ResponseType


class ListReply(NamedTuple):
    """An order list with one report per order (placement, cancel, cancel-all).

    A cancel's reply has no ``response_type`` and carries the cancel's own clientOrderId (the request's
    newClientOrderId, or generated), which every cancel report of its legs shows as ``clientOrderId``.
    """

    order_list: OrderListView
    reports: list[OrderView]
    transact_ms: int
    response_type: ResponseType | None = ResponseType.FULL
    cancel_client_order_id: str = ""


class CancelReply(NamedTuple):
    """DELETE /order's answer: the order after the cancel; ``order_list`` when it belonged to one."""

    order: OrderView
    orig_client_order_id: str
    client_order_id: str  # the cancel's own id (newClientOrderId of the request, or generated)
    transact_ms: int
    order_list: ListReply | None = None


class CancelAllReply(NamedTuple):
    items: list[CancelReply | ListReply]


class CancelReplaceReply(NamedTuple):
    """Both halves of a cancelReplace; a half that failed carries its BinanceError, one not tried None."""

    cancel_result: str  # SUCCESS / FAILURE / NOT_ATTEMPTED
    new_order_result: str
    cancel: CancelReply | BinanceError | None
    new_order: OrderReply | BinanceError | None


class Result:
    """The outcome of one command.

    ``error`` set means the command was declined (nothing changed, unless it is a cancelReplace whose
    ``reply`` tells which half succeeded). ``new_orders`` counts the orders this command placed for the
    submitting account (an OCO counts 2) and ``first_fills`` lists (account_id, order_id) of every order,
    of any account, that got its first fill: together they keep Binance's unfilled-order count.
    """

    __slots__ = ("error", "events", "first_fills", "new_orders", "reply")

    def __init__(self, events: list | None = None, reply: object = None, error: BinanceError | None = None,
                 new_orders: int = 0, first_fills: list[tuple[int, int]] | None = None) -> None:
        self.events: list = [] if events is None else events
        self.reply = reply
        self.error = error
        self.new_orders = new_orders
        self.first_fills: list[tuple[int, int]] = [] if first_fills is None else first_fills

    @property
    def ok(self) -> bool:
        return self.error is None

    def __repr__(self) -> str:
        return (f"Result(error={self.error!r}, reply={self.reply!r}, new_orders={self.new_orders}, "
                f"first_fills={self.first_fills}, events={len(self.events)})")
