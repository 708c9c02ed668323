"""Order value types: Binance's enums, fixed-point units, and frozen read-only views of orders and trades.

Amounts (prices, quantities, quote amounts, commissions, balances) travel inside the engine as integers in
units of 1e-8 (``UNITS_PER_ONE``): every Binance spot asset here has 8 decimals, so one scale fits all and
integer arithmetic stays exact. Views keep the raw integers in fields ending in ``_u`` and expose the same
value as a ``Decimal`` under the name without the suffix (``view.price_u`` → ``view.price``).
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

__all__ = [
    "ALGO_TYPES",
    "LIMIT_PRICE_TYPES",
    "STOP_TYPES",
    "TERMINAL_STATUSES",
    "UNITS_PER_ONE",
    "CancelReplaceMode",
    "CancelRestrictions",
    "ContingencyType",
    "ExecutionType",
    "ExpiryReason",
    "Fill",
    "ListOrderStatus",
    "ListStatusType",
    "MyTrade",
    "OrderListView",
    "OrderStatus",
    "OrderType",
    "OrderView",
    "PreventedMatch",
    "RejectReason",
    "ResponseType",
    "Side",
    "StpMode",
    "TimeInForce",
    "Trade",
    "default_response_type",
    "format_units",
    "to_units",
    "units_to_decimal",
    "with_decimal_twins",
]

UNITS_PER_ONE = 100_000_000  # 1e8: the smallest step of every amount (Binance's 8-decimal precision)
_ONE = Decimal(UNITS_PER_ONE)


def to_units(value: Decimal) -> int | None:
    """Exact integer units of ``value``, or None when it has more than 8 decimals (Binance's -1111)."""
    if not value.is_finite():
        return None
    scaled = value * _ONE
    units = int(scaled)
    return units if scaled == units else None


def units_to_decimal(units: int) -> Decimal:
    """The Decimal with 8 decimals for integer units (0 → Decimal('0E-8'), which formats as 0.00000000)."""
    return Decimal(units).scaleb(-8)


def format_units(units: int) -> str:
    """Binance's wire form: a plain string with exactly 8 decimals, e.g. 150000000 → "1.50000000"."""
    if units < 0:
        return "-" + format_units(-units)
    whole, frac = divmod(units, UNITS_PER_ONE)
    return f"{whole}.{frac:08d}"


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class OrderType(StrEnum):
    LIMIT = "LIMIT"
    MARKET = "MARKET"
    STOP_LOSS = "STOP_LOSS"
    STOP_LOSS_LIMIT = "STOP_LOSS_LIMIT"
    TAKE_PROFIT = "TAKE_PROFIT"
    TAKE_PROFIT_LIMIT = "TAKE_PROFIT_LIMIT"
    LIMIT_MAKER = "LIMIT_MAKER"


class TimeInForce(StrEnum):
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


class OrderStatus(StrEnum):
    NEW = "NEW"
    PENDING_NEW = "PENDING_NEW"  # a pending leg of an OTO/OTOCO list, not yet placed
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    PENDING_CANCEL = "PENDING_CANCEL"  # unused by Binance, listed for completeness
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    EXPIRED_IN_MATCH = "EXPIRED_IN_MATCH"  # expired by self-trade prevention


class ExecutionType(StrEnum):
    NEW = "NEW"
    CANCELED = "CANCELED"
    REPLACED = "REPLACED"
    REJECTED = "REJECTED"
    TRADE = "TRADE"
    EXPIRED = "EXPIRED"
    TRADE_PREVENTION = "TRADE_PREVENTION"


class StpMode(StrEnum):
    NONE = "NONE"
    EXPIRE_TAKER = "EXPIRE_TAKER"
    EXPIRE_MAKER = "EXPIRE_MAKER"
    EXPIRE_BOTH = "EXPIRE_BOTH"
    DECREMENT = "DECREMENT"


class ResponseType(StrEnum):
    ACK = "ACK"
    RESULT = "RESULT"
    FULL = "FULL"


class ContingencyType(StrEnum):
    OCO = "OCO"
    OTO = "OTO"


class ListStatusType(StrEnum):
    RESPONSE = "RESPONSE"
    EXEC_STARTED = "EXEC_STARTED"
    UPDATED = "UPDATED"
    ALL_DONE = "ALL_DONE"


class ListOrderStatus(StrEnum):
    EXECUTING = "EXECUTING"
    ALL_DONE = "ALL_DONE"
    REJECT = "REJECT"


class CancelReplaceMode(StrEnum):
    STOP_ON_FAILURE = "STOP_ON_FAILURE"
    ALLOW_FAILURE = "ALLOW_FAILURE"


class CancelRestrictions(StrEnum):
    ONLY_NEW = "ONLY_NEW"
    ONLY_PARTIALLY_FILLED = "ONLY_PARTIALLY_FILLED"


class RejectReason(StrEnum):
    NONE = "NONE"
    INSUFFICIENT_BALANCES = "INSUFFICIENT_BALANCES"
    STOP_PRICE_WOULD_TRIGGER_IMMEDIATELY = "STOP_PRICE_WOULD_TRIGGER_IMMEDIATELY"
    WOULD_MATCH_IMMEDIATELY = "WOULD_MATCH_IMMEDIATELY"
    OCO_BAD_PRICES = "OCO_BAD_PRICES"


class ExpiryReason(StrEnum):
    NONE = "NONE"
    REJECTED = "REJECTED"
    EXCHANGE_CANCELED = "EXCHANGE_CANCELED"
    OCO_TRIGGER = "OCO_TRIGGER"
    OTO_PHASE_ONE_EXPIRED = "OTO_PHASE_ONE_EXPIRED"
    UNFILLED_IOC_QUANTITY_EXPIRED = "UNFILLED_IOC_QUANTITY_EXPIRED"
    UNFILLED_FOK_ORDER_EXPIRED = "UNFILLED_FOK_ORDER_EXPIRED"
    INSUFFICIENT_LIQUIDITY = "INSUFFICIENT_LIQUIDITY"


STOP_TYPES = frozenset({OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT,
                        OrderType.TAKE_PROFIT_LIMIT})
ALGO_TYPES = STOP_TYPES  # what MAX_NUM_ALGO_ORDERS counts
LIMIT_PRICE_TYPES = frozenset({OrderType.LIMIT, OrderType.LIMIT_MAKER, OrderType.STOP_LOSS_LIMIT,
                               OrderType.TAKE_PROFIT_LIMIT})
TERMINAL_STATUSES = frozenset({OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED,
                               OrderStatus.EXPIRED, OrderStatus.EXPIRED_IN_MATCH})


def default_response_type(order_type: OrderType) -> ResponseType:
    """Binance: MARKET and LIMIT answer FULL by default, every other type ACK."""
    return ResponseType.FULL if order_type in (OrderType.MARKET, OrderType.LIMIT) else ResponseType.ACK


def with_decimal_twins(cls):
    """Give every ``<name>_u`` field of a NamedTuple a read-only ``<name>`` Decimal twin."""
    for index, field in enumerate(cls._fields):
        if field.endswith("_u"):
            setattr(cls, field[:-2], property(lambda self, i=index: units_to_decimal(self[i])))
    return cls


@with_decimal_twins
class OrderView(NamedTuple):
    """One order as Binance reports it (GET /order, order responses, executionReport), frozen."""

    symbol: str
    order_id: int
    order_list_id: int  # -1 when not in a list
    client_order_id: str
    account_id: int
    side: Side
    type: OrderType
    time_in_force: TimeInForce
    price_u: int  # 0 for market-type orders
    orig_qty_u: int
    executed_qty_u: int
    cummulative_quote_qty_u: int
    status: OrderStatus
    stop_price_u: int  # 0 when none
    time_ms: int  # creation
    update_ms: int
    is_working: bool  # on the book (or triggered), as opposed to a pending stop
    working_ms: int  # -1 while not working
    orig_quote_order_qty_u: int
    stp_mode: StpMode
    trailing_delta: int  # BIPS, 0 when none
    trailing_ms: int  # when the trailing stop started tracking, -1 when not
    strategy_id: int | None
    strategy_type: int | None
    prevented_match_id: int  # -1 when none
    prevented_qty_u: int
    expiry_reason: ExpiryReason | None


@with_decimal_twins
class Fill(NamedTuple):
    """One entry of a FULL order response's ``fills``."""

    price_u: int
    qty_u: int
    commission_u: int
    commission_asset: str
    trade_id: int


@with_decimal_twins
class PreventedMatch(NamedTuple):
    """One entry of ``preventedMatches`` in an order response (self-trade prevention)."""

    prevented_match_id: int
    maker_order_id: int
    price_u: int
    taker_prevented_qty_u: int  # 0 when the taker lost nothing (EXPIRE_MAKER)
    maker_prevented_qty_u: int  # 0 when the maker lost nothing (EXPIRE_TAKER)


@with_decimal_twins
class Trade(NamedTuple):
    """One execution between two orders: the public trade plus both private sides."""

    symbol: str
    trade_id: int
    agg_id: int  # aggregate-trade id: same taker order and same price share one
    price_u: int
    qty_u: int
    quote_qty_u: int
    time_ms: int
    is_buyer_maker: bool
    buyer_order_id: int
    seller_order_id: int
    buyer_account_id: int
    seller_account_id: int
    buyer_order_list_id: int
    seller_order_list_id: int
    buyer_commission_u: int  # charged in the base asset (what the buyer receives)
    seller_commission_u: int  # charged in the quote asset
    base_asset: str
    quote_asset: str


@with_decimal_twins
class MyTrade(NamedTuple):
    """One row of GET /myTrades: a trade seen from one side."""

    symbol: str
    trade_id: int
    order_id: int
    order_list_id: int
    price_u: int
    qty_u: int
    quote_qty_u: int
    commission_u: int
    commission_asset: str
    time_ms: int
    is_buyer: bool
    is_maker: bool
    is_best_match: bool


class OrderListView(NamedTuple):
    """An order list (OCO, OTO, OTOCO) as Binance reports it, frozen."""

    order_list_id: int
    contingency_type: ContingencyType
    list_status_type: ListStatusType
    list_order_status: ListOrderStatus
    list_client_order_id: str
    transaction_ms: int
    symbol: str
    account_id: int
    orders: tuple[tuple[str, int, str], ...]  # (symbol, orderId, clientOrderId) per leg
