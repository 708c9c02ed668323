"""Commands: everything that can change the exchange's state, as frozen values.

Each carries ``ts_ms``, the time it takes effect (the engine has no clock), and Decimal amounts as the
caller parsed them. Replaying the same commands on the same initial state yields the same state and events.
Enum fields accept the enum or its string value.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from minance.domain.orders import (
    CancelReplaceMode,
    CancelRestrictions,
    OrderType,
    ResponseType,
    Side,
    StpMode,
    TimeInForce,
)

__all__ = [
    "CancelOpenOrders",
    "CancelOrder",
    "CancelOrderList",
    "CancelReplace",
    "Command",
    "Deposit",
    "MarketMove",
    "NewOco",
    "NewOrder",
    "NewOto",
    "NewOtoco",
    "OrderLeg",
    "SetCommission",
    "SetLiquidity",
    "Withdraw",
    "legacy_oco",
]


@dataclass(frozen=True, slots=True)
class Deposit:
    account_id: int
    asset: str
    amount: Decimal
    ts_ms: int


@dataclass(frozen=True, slots=True)
class Withdraw:
    account_id: int
    asset: str
    amount: Decimal
    ts_ms: int


@dataclass(frozen=True, slots=True)
class SetCommission:
    """Maker/taker commission of an account in basis points (10 = 0.10%); charged in the received asset."""

    account_id: int
    maker_bps: int
    taker_bps: int
    ts_ms: int


@dataclass(frozen=True, slots=True)
class NewOrder:
    """POST /api/v3/order. ``avg_price`` overrides the engine's own 5-minute average for the filters."""

    account_id: int
    symbol: str
    side: Side
    type: OrderType
    ts_ms: int
    quantity: Decimal | None = None
    quote_order_qty: Decimal | None = None
    price: Decimal | None = None
    stop_price: Decimal | None = None
    trailing_delta: int | None = None
    time_in_force: TimeInForce | None = None
    client_order_id: str | None = None
    stp_mode: StpMode | None = None
    response_type: ResponseType | None = None
    strategy_id: int | None = None
    strategy_type: int | None = None
    avg_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class CancelOrder:
    """DELETE /api/v3/order: by ``order_id`` or ``orig_client_order_id`` (both: the id wins, the other must match)."""

    account_id: int
    symbol: str
    ts_ms: int
    order_id: int | None = None
    orig_client_order_id: str | None = None
    new_client_order_id: str | None = None
    cancel_restrictions: CancelRestrictions | None = None


@dataclass(frozen=True, slots=True)
class CancelOpenOrders:
    """DELETE /api/v3/openOrders: every open order and order list of the account on the symbol."""

    account_id: int
    symbol: str
    ts_ms: int


@dataclass(frozen=True, slots=True)
class CancelReplace:
    """POST /api/v3/order/cancelReplace: cancel one order, then place ``new_order`` (same account/symbol)."""

    account_id: int
    symbol: str
    ts_ms: int
    mode: CancelReplaceMode
    new_order: NewOrder
    cancel_order_id: int | None = None
    cancel_orig_client_order_id: str | None = None
    cancel_new_client_order_id: str | None = None
    cancel_restrictions: CancelRestrictions | None = None


@dataclass(frozen=True, slots=True)
class OrderLeg:
    """One order of an order list. ``side``/``quantity`` default to the list's own when it has them."""

    type: OrderType
    price: Decimal | None = None
    stop_price: Decimal | None = None
    trailing_delta: int | None = None
    time_in_force: TimeInForce | None = None
    client_order_id: str | None = None
    strategy_id: int | None = None
    strategy_type: int | None = None
    side: Side | None = None
    quantity: Decimal | None = None


@dataclass(frozen=True, slots=True)
class NewOco:
    """POST /api/v3/orderList/oco (``above``/``below`` legs); :func:`legacy_oco` maps /order/oco onto it.

    With ``legacy`` the old price rule applies (SELL: limit > last > stop; BUY: limit < last < stop) and
    the stop leg takes the first order id, as the old endpoint did.
    """

    account_id: int
    symbol: str
    side: Side
    quantity: Decimal
    above: OrderLeg
    below: OrderLeg
    ts_ms: int
    list_client_order_id: str | None = None
    stp_mode: StpMode | None = None
    response_type: ResponseType | None = None
    avg_price: Decimal | None = None
    legacy: bool = False


@dataclass(frozen=True, slots=True)
class NewOto:
    """POST /api/v3/orderList/oto: ``working`` (LIMIT/LIMIT_MAKER) rests; ``pending`` is placed once it fills."""

    account_id: int
    symbol: str
    working: OrderLeg
    pending: OrderLeg
    ts_ms: int
    list_client_order_id: str | None = None
    stp_mode: StpMode | None = None
    response_type: ResponseType | None = None
    avg_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class NewOtoco:
    """POST /api/v3/orderList/otoco: a working order that, once filled, places an OCO pair."""

    account_id: int
    symbol: str
    working: OrderLeg
    pending_side: Side
    pending_quantity: Decimal
    pending_above: OrderLeg
    pending_below: OrderLeg
    ts_ms: int
    list_client_order_id: str | None = None
    stp_mode: StpMode | None = None
    response_type: ResponseType | None = None
    avg_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class CancelOrderList:
    """DELETE /api/v3/orderList: by ``order_list_id`` or ``list_client_order_id``."""

    account_id: int
    symbol: str
    ts_ms: int
    order_list_id: int | None = None
    list_client_order_id: str | None = None
    new_client_order_id: str | None = None


@dataclass(frozen=True, slots=True)
class SetLiquidity:
    """Give ``symbol`` a virtual maker ladder (see :mod:`minance.engine.market`) whose fills settle against
    ``account_id``: ``levels`` per side, ``spacing_bps`` apart, the touch ``spread_bps`` wide, level i worth
    ``first_notional × (growth_permille/1000)^i`` of quote. ``depth_events``: publish its changes as book diffs."""

    symbol: str
    account_id: int
    ts_ms: int
    spread_bps: int = 2
    spacing_bps: int = 1
    levels: int = 20
    first_notional: Decimal = Decimal(10000)
    growth_permille: int = 1200
    depth_events: bool = True


@dataclass(frozen=True, slots=True)
class MarketMove:
    """Walk ``symbol``'s reference price along ``path`` (prices in 1e-8 units, in order): resting orders the
    path reaches fill at their limit, stops see every point. ``print_qty`` prints one tape trade at the last
    point; ``fill_cap`` caps the base quantity of resting orders filled per point (a volume cap)."""

    symbol: str
    ts_ms: int
    path: tuple[int, ...]
    print_qty: Decimal | None = None
    fill_cap: Decimal | None = None


Command = (Deposit | Withdraw | SetCommission | NewOrder | CancelOrder | CancelOpenOrders | CancelReplace | NewOco
           | NewOto | NewOtoco | CancelOrderList | SetLiquidity | MarketMove)


def legacy_oco(account_id: int, symbol: str, side: Side, quantity: Decimal, price: Decimal, stop_price: Decimal | None,
               ts_ms: int, *, stop_limit_price: Decimal | None = None,
               stop_limit_time_in_force: TimeInForce | None = None, trailing_delta: int | None = None,
               list_client_order_id: str | None = None, limit_client_order_id: str | None = None,
               stop_client_order_id: str | None = None, limit_strategy_id: int | None = None,
               limit_strategy_type: int | None = None, stop_strategy_id: int | None = None,
               stop_strategy_type: int | None = None, stp_mode: StpMode | None = None,
               response_type: ResponseType | None = None, avg_price: Decimal | None = None) -> NewOco:
    """Map the parameters of the deprecated POST /api/v3/order/oco onto :class:`NewOco`.

    The limit leg is a LIMIT_MAKER at ``price``; the stop leg a STOP_LOSS, or a STOP_LOSS_LIMIT at
    ``stop_limit_price`` when given. For a SELL the limit leg is above, for a BUY below.
    """
    limit = OrderLeg(OrderType.LIMIT_MAKER, price=price, client_order_id=limit_client_order_id,
                     strategy_id=limit_strategy_id, strategy_type=limit_strategy_type)
    stop_type = OrderType.STOP_LOSS if stop_limit_price is None else OrderType.STOP_LOSS_LIMIT
    stop = OrderLeg(stop_type, price=stop_limit_price, stop_price=stop_price, trailing_delta=trailing_delta,
                    time_in_force=stop_limit_time_in_force, client_order_id=stop_client_order_id,
                    strategy_id=stop_strategy_id, strategy_type=stop_strategy_type)
    above, below = (limit, stop) if Side(side) is Side.SELL else (stop, limit)
    return NewOco(account_id, symbol, Side(side), quantity, above, below, ts_ms,
                  list_client_order_id=list_client_order_id, stp_mode=stp_mode, response_type=response_type,
                  avg_price=avg_price, legacy=True)
