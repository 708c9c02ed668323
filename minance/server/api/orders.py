"""Trading and order queries: POST/DELETE /order, DELETE /openOrders, cancelReplace, the order lists
(OCO in both forms, OTO, OTOCO) and GET /order, /openOrders, /allOrders, /myTrades, /orderList, ...

The server checks the request's shape (names, enums, number formats) and builds a command; the engine decides
everything else (filters, balances, matching) and the command is journalled before the answer. Every enum is
parsed here into its member, so a journalled command always decodes again.
"""

from __future__ import annotations

from decimal import Decimal

from minance.domain.errors import BinanceError, Err, ErrorSpec, mandatory
from minance.domain.orders import (
    CancelReplaceMode,
    CancelRestrictions,
    ExecutionType,
    OrderType,
    ResponseType,
    Side,
    StpMode,
    TimeInForce,
)
from minance.engine import (
    CancelOpenOrders,
    CancelOrder,
    CancelOrderList,
    CancelReplace,
    NewOco,
    NewOrder,
    NewOto,
    NewOtoco,
    OrderLeg,
    OrderUpdate,
    Result,
    legacy_oco,
)
from minance.engine.responses import (
    cancel_all_response,
    cancel_replace_data,
    cancel_response,
    list_response,
    my_trade,
    order_list_fields,
    order_query,
    order_response,
)
from minance.server.api import params
from minance.server.api.params import invalid, limit, long_int, symbol, timed
from minance.server.auth import Security
from minance.server.endpoints import Endpoint
from minance.server.request import Request

_SIDES = {m.value: m for m in Side}
_TYPES = {m.value: m for m in OrderType}
_TIFS = {m.value: m for m in TimeInForce}
_STPS = {m.value: m for m in StpMode}
_RESP = {m.value: m for m in ResponseType}
_MODES = {m.value: m for m in CancelReplaceMode}
_RESTRICTIONS = {m.value: m for m in CancelRestrictions}
RATE_LIMIT_MODES = ("DO_NOTHING", "CANCEL_ONLY")
MIN_STRATEGY_TYPE = 1_000_000
LIST_DEFAULT, LIST_MAX = 500, 1000
_LOSS = frozenset({OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT})
_PROFIT = frozenset({OrderType.TAKE_PROFIT, OrderType.TAKE_PROFIT_LIMIT})
_OCO_TYPES = _LOSS | _PROFIT | {OrderType.LIMIT_MAKER}


class CancelReplaceError(BinanceError):
    """-2021/-2022: Binance's error body carries both halves under ``data``."""

    def __init__(self, error: BinanceError, data: dict) -> None:
        super().__init__(error.code, error.msg, http_status=error.http_status)
        self.data = data

    def to_wire(self) -> dict[str, object]:
        return {"code": self.code, "msg": self.msg, "data": self.data}


def first_fills_listener(ctx):
    """A venue listener: each order's first fill, whoever's command caused it, releases one unit of its
    account's unfilled-order count (Binance's ORDERS bookkeeping)."""
    limiter, clock = ctx.limiter, ctx.clock

    def on_events(events: list) -> None:
        for ev in events:
            if type(ev) is OrderUpdate and ev.execution_type is ExecutionType.TRADE \
                    and ev.order.executed_qty_u == ev.last_qty_u:
                limiter.release_orders(ev.order.account_id, 1, clock.now_ms())

    return on_events


# -- parameters ----------------------------------------------------------------------------------------------
def _account(req: Request) -> int:
    assert req.key is not None
    return req.key.account_id


def _enum(req: Request, name: str, table: dict, error: ErrorSpec, *, required: bool = False):
    value = req.text(name, required=required)
    if value is None:
        return None
    member = table.get(value)
    if member is None:
        raise error(name=name)  # a template without {name} ignores it
    return member


def _stp(req: Request) -> StpMode | None:
    return _enum(req, "selfTradePreventionMode", _STPS, Err.INVALID_PARAM_DATA)


def _resp(req: Request) -> ResponseType | None:
    return _enum(req, "newOrderRespType", _RESP, Err.INVALID_PARAM_DATA)


def _strategy(req: Request, prefix: str = "") -> tuple[int | None, int | None]:
    strategy_id = long_int(req, f"{prefix}StrategyId" if prefix else "strategyId")
    strategy_type = req.integer(f"{prefix}StrategyType" if prefix else "strategyType")
    if strategy_type is not None and strategy_type < MIN_STRATEGY_TYPE:
        raise Err.BAD_STRATEGY_TYPE()
    long_int(req, f"{prefix}StrategyType" if prefix else "strategyType", minimum=MIN_STRATEGY_TYPE)
    return strategy_id, strategy_type


def _no_iceberg(req: Request, *names: str) -> None:
    """Iceberg orders are not offered here (exchangeInfo: icebergAllowed false)."""
    for name in names:
        value = req.decimal(name)
        if value is not None and value > 0:
            raise Err.NOT_SUPPORTED_FOR_SYMBOL(kind="Iceberg")


def _no_peg(req: Request, *prefixes: str) -> None:
    """Nor pegged orders (exchangeInfo: pegInstructionsAllowed false)."""
    for prefix in prefixes:
        for name in ("PegPriceType", "PegOffsetValue", "PegOffsetType"):
            full = prefix + name if prefix else name[0].lower() + name[1:]
            if req.text(full) is not None:
                raise Err.NOT_SUPPORTED_FOR_SYMBOL(kind="Pegged")


def build_new_order(req: Request, ctx, *, now_ms: int | None = None) -> NewOrder:
    """POST /order's parameters, checked in Binance's order, as a NewOrder command (not yet submitted)."""
    name = symbol(req)
    side = _enum(req, "side", _SIDES, Err.INVALID_SIDE, required=True)
    order_type = _enum(req, "type", _TYPES, Err.INVALID_ORDER_TYPE, required=True)
    tif = _enum(req, "timeInForce", _TIFS, Err.INVALID_TIF)
    quantity = req.decimal("quantity")
    quote_qty = req.decimal("quoteOrderQty")
    price = req.decimal("price")
    stop_price = req.decimal("stopPrice")
    trailing = long_int(req, "trailingDelta")
    strategy_id, strategy_type = _strategy(req)
    stp = _stp(req)
    resp = _resp(req)
    _no_iceberg(req, "icebergQty")
    _no_peg(req, "")
    return NewOrder(_account(req), name, side, order_type, ctx.clock.now_ms() if now_ms is None else now_ms,
                    quantity=quantity, quote_order_qty=quote_qty, price=price, stop_price=stop_price,
                    trailing_delta=trailing, time_in_force=tif, client_order_id=req.text("newClientOrderId"),
                    stp_mode=stp, response_type=resp, strategy_id=strategy_id, strategy_type=strategy_type)


async def _submit(ctx, command) -> Result:
    result = await ctx.venue.submit(command)
    if result.error is not None:
        raise result.error
    return result


# -- new orders and cancels ----------------------------------------------------------------------------------
async def new_order(req: Request, ctx) -> dict:
    result = await _submit(ctx, build_new_order(req, ctx))
    return timed(req, order_response(result.reply))


def _order_ids(req: Request, id_name: str = "orderId", cid_name: str = "origClientOrderId"):
    order_id = long_int(req, id_name)
    orig = req.text(cid_name)
    if order_id is None and orig is None:
        raise Err.EITHER_PARAM(first=cid_name, second=id_name)
    return order_id, orig


def _restrictions(req: Request, name: str = "cancelRestrictions") -> CancelRestrictions | None:
    value = req.text(name)
    if value is None:
        return None
    member = _RESTRICTIONS.get(value)
    if member is None:
        raise Err.INVALID_CANCEL_RESTRICTIONS()
    return member


async def cancel_order(req: Request, ctx) -> dict:
    name = symbol(req)
    order_id, orig = _order_ids(req)
    cmd = CancelOrder(_account(req), name, ctx.clock.now_ms(), order_id=order_id, orig_client_order_id=orig,
                      new_client_order_id=req.text("newClientOrderId"), cancel_restrictions=_restrictions(req))
    result = await _submit(ctx, cmd)
    return timed(req, cancel_response(result.reply))


async def cancel_open_orders(req: Request, ctx) -> list:
    name = symbol(req)
    result = await _submit(ctx, CancelOpenOrders(_account(req), name, ctx.clock.now_ms()))
    return timed(req, cancel_all_response(result.reply))


def _cancel_replace_orders(req: Request) -> int:
    """The ORDERS count of a cancelReplace: with CANCEL_ONLY the handler counts (it may still cancel)."""
    return 0 if req.params.get("orderRateLimitExceededMode") == "CANCEL_ONLY" else 1


async def cancel_replace(req: Request, ctx) -> dict:
    mode = _enum(req, "cancelReplaceMode", _MODES, Err.INVALID_PARAM_DATA, required=True)
    new = build_new_order(req, ctx)
    cancel_id, cancel_orig = _order_ids(req, "cancelOrderId", "cancelOrigClientOrderId")
    restrictions = _restrictions(req)
    over_limit = req.text("orderRateLimitExceededMode", default="DO_NOTHING")
    if over_limit not in RATE_LIMIT_MODES:
        raise invalid("orderRateLimitExceededMode")
    cancel_cid = req.text("cancelNewClientOrderId")
    if over_limit == "CANCEL_ONLY":  # count the new order here: over the limit, only the cancel happens
        try:
            counts = ctx.limiter.check_orders(new.account_id, 1, ctx.clock.now_ms())
        except BinanceError as limited:
            return await _cancel_only(req, ctx, new, cancel_id, cancel_orig, cancel_cid, restrictions, limited)
        req.extra.setdefault("headers", []).extend(
            (f"X-MBX-ORDER-COUNT-{s}".encode(), str(n).encode()) for s, n in counts.items())
    cmd = CancelReplace(new.account_id, new.symbol, new.ts_ms, mode, new, cancel_order_id=cancel_id,
                        cancel_orig_client_order_id=cancel_orig, cancel_new_client_order_id=cancel_cid,
                        cancel_restrictions=restrictions)
    result = await ctx.venue.submit(cmd)
    if result.error is not None:
        if result.reply is None:
            raise result.error
        raise CancelReplaceError(result.error, timed(req, cancel_replace_data(result.reply)))
    return timed(req, cancel_replace_data(result.reply))


async def _cancel_only(req: Request, ctx, new: NewOrder, cancel_id, cancel_orig, cancel_cid, restrictions,
                       limited: BinanceError) -> dict:
    """orderRateLimitExceededMode=CANCEL_ONLY over the ORDERS limit: cancel, do not place."""
    cmd = CancelOrder(new.account_id, new.symbol, new.ts_ms, order_id=cancel_id, orig_client_order_id=cancel_orig,
                      new_client_order_id=cancel_cid, cancel_restrictions=restrictions)
    result = await ctx.venue.submit(cmd)
    wire = {"code": limited.code, "msg": limited.msg}
    if result.error is not None:
        data = {"cancelResult": "FAILURE", "newOrderResult": "NOT_ATTEMPTED",
                "cancelResponse": result.error.to_wire(), "newOrderResponse": None}
        raise CancelReplaceError(Err.CANCEL_REPLACE_FAILED(), data)
    data = {"cancelResult": "SUCCESS", "newOrderResult": "FAILURE",
            "cancelResponse": timed(req, cancel_response(result.reply)), "newOrderResponse": wire}
    raise CancelReplaceError(Err.CANCEL_REPLACE_PARTIALLY_FAILED(), data)


# -- order lists ----------------------------------------------------------------------------------------------
def _leg(req: Request, prefix: str, *, side_qty: bool = False, oco: bool = False) -> OrderLeg:
    order_type = _enum(req, f"{prefix}Type", _TYPES, Err.INVALID_ORDER_TYPE, required=True)
    if oco and order_type not in _OCO_TYPES:
        raise Err.OCO_ORDER_TYPE_REJECTED()
    side = _enum(req, f"{prefix}Side", _SIDES, Err.INVALID_SIDE, required=True) if side_qty else None
    quantity = req.decimal(f"{prefix}Quantity", required=True) if side_qty else None
    strategy_id, strategy_type = _strategy(req, prefix)
    _no_iceberg(req, f"{prefix}IcebergQty")
    _no_peg(req, prefix)
    return OrderLeg(order_type, price=req.decimal(f"{prefix}Price"), stop_price=req.decimal(f"{prefix}StopPrice"),
                    trailing_delta=long_int(req, f"{prefix}TrailingDelta"),
                    time_in_force=_enum(req, f"{prefix}TimeInForce", _TIFS, Err.INVALID_TIF),
                    client_order_id=req.text(f"{prefix}ClientOrderId"), strategy_id=strategy_id,
                    strategy_type=strategy_type, side=side, quantity=quantity)


def _check_oco_positions(side: Side, above: OrderType, below: OrderType) -> None:
    """Binance's specific errors for legs on the wrong side of an OCO."""
    if above is OrderType.LIMIT_MAKER and below is OrderType.LIMIT_MAKER:
        raise Err.BOTH_OCO_ORDERS_CANNOT_BE_LIMIT()
    if side is Side.SELL:
        if above in _LOSS:
            raise Err.SELL_OCO_STOP_LOSS_MUST_BE_BELOW()
        if below is OrderType.LIMIT_MAKER:
            raise Err.SELL_OCO_LIMIT_MUST_BE_ABOVE()
        if below in _PROFIT:
            raise Err.SELL_OCO_TAKE_PROFIT_MUST_BE_ABOVE()
    else:
        if below in _LOSS:
            raise Err.BUY_OCO_STOP_LOSS_MUST_BE_ABOVE()
        if above is OrderType.LIMIT_MAKER:
            raise Err.BUY_OCO_LIMIT_MUST_BE_BELOW()
        if above in _PROFIT:
            raise Err.BUY_OCO_TAKE_PROFIT_MUST_BE_BELOW()


def _oco_pair(req: Request, side: Side, prefix: str = "") -> tuple[OrderLeg, OrderLeg]:
    above_name, below_name = (f"{prefix}Above", f"{prefix}Below") if prefix else ("above", "below")
    above = _leg(req, above_name, oco=True)
    below = _leg(req, below_name, oco=True)
    _check_oco_positions(side, above.type, below.type)
    return above, below


async def _place_list(req: Request, ctx, command) -> dict:
    result = await _submit(ctx, command)
    return timed(req, list_response(result.reply))


async def new_oco(req: Request, ctx) -> dict:
    name = symbol(req)
    side = _enum(req, "side", _SIDES, Err.INVALID_SIDE, required=True)
    quantity = req.decimal("quantity", required=True)
    above, below = _oco_pair(req, side)
    cmd = NewOco(_account(req), name, side, quantity, above, below, ctx.clock.now_ms(),
                 list_client_order_id=req.text("listClientOrderId"), stp_mode=_stp(req), response_type=_resp(req))
    return await _place_list(req, ctx, cmd)


async def new_legacy_oco(req: Request, ctx) -> dict:
    """The deprecated POST /order/oco: a LIMIT_MAKER leg and a STOP_LOSS(_LIMIT) leg sharing one quantity."""
    name = symbol(req)
    side = _enum(req, "side", _SIDES, Err.INVALID_SIDE, required=True)
    quantity = req.decimal("quantity", required=True)
    price = req.decimal("price", required=True)
    stop_price = req.decimal("stopPrice")
    trailing = long_int(req, "trailingDelta")
    if stop_price is None and trailing is None:
        raise Err.EITHER_PARAM(first="stopPrice", second="trailingDelta")
    stop_limit_price = req.decimal("stopLimitPrice")
    stop_tif = _enum(req, "stopLimitTimeInForce", _TIFS, Err.INVALID_TIF)
    if stop_limit_price is not None and stop_tif is None:
        raise mandatory("stopLimitTimeInForce")
    if stop_limit_price is None and stop_tif is not None:
        raise Err.PARAM_SENT_NOT_REQUIRED(name="stopLimitTimeInForce")
    limit_sid, limit_stype = _strategy(req, "limit")
    stop_sid, stop_stype = _strategy(req, "stop")
    _no_iceberg(req, "limitIcebergQty", "stopIcebergQty")
    cmd = legacy_oco(_account(req), name, side, quantity, price, stop_price, ctx.clock.now_ms(),
                     stop_limit_price=stop_limit_price, stop_limit_time_in_force=stop_tif, trailing_delta=trailing,
                     list_client_order_id=req.text("listClientOrderId"),
                     limit_client_order_id=req.text("limitClientOrderId"),
                     stop_client_order_id=req.text("stopClientOrderId"), limit_strategy_id=limit_sid,
                     limit_strategy_type=limit_stype, stop_strategy_id=stop_sid, stop_strategy_type=stop_stype,
                     stp_mode=_stp(req), response_type=_resp(req))
    return await _place_list(req, ctx, cmd)


async def new_oto(req: Request, ctx) -> dict:
    name = symbol(req)
    working = _leg(req, "working", side_qty=True)
    pending = _leg(req, "pending", side_qty=True)
    cmd = NewOto(_account(req), name, working, pending, ctx.clock.now_ms(),
                 list_client_order_id=req.text("listClientOrderId"), stp_mode=_stp(req), response_type=_resp(req))
    return await _place_list(req, ctx, cmd)


async def new_otoco(req: Request, ctx) -> dict:
    name = symbol(req)
    working = _leg(req, "working", side_qty=True)
    pending_side = _enum(req, "pendingSide", _SIDES, Err.INVALID_SIDE, required=True)
    pending_quantity = req.decimal("pendingQuantity", required=True)
    above, below = _oco_pair(req, pending_side, "pending")
    cmd = NewOtoco(_account(req), name, working, pending_side, pending_quantity, above, below, ctx.clock.now_ms(),
                   list_client_order_id=req.text("listClientOrderId"), stp_mode=_stp(req), response_type=_resp(req))
    return await _place_list(req, ctx, cmd)


async def cancel_order_list(req: Request, ctx) -> dict:
    name = symbol(req)
    list_id = long_int(req, "orderListId")
    list_cid = req.text("listClientOrderId")
    if list_id is None and list_cid is None:
        raise Err.EITHER_PARAM(first="orderListId", second="listClientOrderId")
    cmd = CancelOrderList(_account(req), name, ctx.clock.now_ms(), order_list_id=list_id,
                          list_client_order_id=list_cid, new_client_order_id=req.text("newClientOrderId"))
    result = await _submit(ctx, cmd)
    return timed(req, list_response(result.reply))


# -- queries --------------------------------------------------------------------------------------------------
def get_order(req: Request, ctx) -> dict:
    name = symbol(req)
    order_id, orig = _order_ids(req)
    return timed(req, order_query(ctx.venue.engine.get_order(_account(req), name, order_id, orig)))


def open_orders(req: Request, ctx) -> list:
    name = symbol(req, required=False)
    return timed(req, [order_query(v) for v in ctx.venue.engine.open_orders(_account(req), name)])


def _open_orders_weight(req: Request) -> int:
    return 6 if req.params.get("symbol") else 80


def all_orders(req: Request, ctx) -> list:
    name = symbol(req)
    order_id = long_int(req, "orderId")
    start, end = params.time_window(req)
    n = limit(req, LIST_DEFAULT, LIST_MAX)
    rows = ctx.venue.engine.all_orders(_account(req), name, order_id=order_id, start_ms=start, end_ms=end, limit=n)
    return timed(req, [order_query(v) for v in rows])


# Binance's allowed combinations of myTrades' optional parameters (REFERENCE §5.5).
_MY_TRADES_COMBOS = frozenset({frozenset(), frozenset({"orderId"}), frozenset({"startTime"}),
                               frozenset({"endTime"}), frozenset({"fromId"}), frozenset({"startTime", "endTime"}),
                               frozenset({"orderId", "fromId"})})


def my_trades(req: Request, ctx) -> list:
    name = symbol(req)
    order_id = long_int(req, "orderId")
    from_id = long_int(req, "fromId")
    start, end = params.time_window(req)
    n = limit(req, LIST_DEFAULT, LIST_MAX)
    sent = {k for k, v in (("orderId", order_id), ("fromId", from_id), ("startTime", start), ("endTime", end))
            if v is not None}
    if frozenset(sent) not in _MY_TRADES_COMBOS:
        raise params.bad_combo()
    rows = ctx.venue.engine.my_trades(_account(req), name, order_id=order_id, start_ms=start, end_ms=end,
                                      from_id=from_id, limit=n)
    return timed(req, [my_trade(t) for t in rows])


def _my_trades_weight(req: Request) -> int:
    return 5 if req.params.get("orderId") else 20


def get_order_list(req: Request, ctx) -> dict:
    list_id = long_int(req, "orderListId")
    orig = req.text("origClientOrderId")
    if list_id is None and orig is None:
        raise Err.EITHER_PARAM(first="orderListId", second="origClientOrderId")
    return timed(req, order_list_fields(ctx.venue.engine.order_list(_account(req), list_id, orig)))


def all_order_lists(req: Request, ctx) -> list:
    from_id = long_int(req, "fromId")
    start, end = params.time_window(req)
    if from_id is not None and (start is not None or end is not None):
        raise params.bad_combo()
    n = limit(req, LIST_DEFAULT, LIST_MAX)
    rows = ctx.venue.engine.all_order_lists(_account(req), from_id=from_id, start_ms=start, end_ms=end, limit=n)
    return timed(req, [order_list_fields(v) for v in rows])


def open_order_lists(req: Request, ctx) -> list:
    return timed(req, [order_list_fields(v) for v in ctx.venue.engine.open_order_lists(_account(req))])


def _rate(bps: int) -> str:
    return f"{Decimal(bps) / 10000:.8f}"


def commission(req: Request, ctx) -> dict:
    name = symbol(req)
    maker, taker = ctx.venue.engine.commission_bps(_account(req))
    zero = _rate(0)
    nothing = {"maker": zero, "taker": zero, "buyer": zero, "seller": zero}
    return {"symbol": name,
            "standardCommission": {"maker": _rate(maker), "taker": _rate(taker), "buyer": zero, "seller": zero},
            "specialCommission": dict(nothing), "taxCommission": dict(nothing),
            "discount": {"enabledForAccount": False, "enabledForSymbol": False, "discountAsset": "BNB",
                         "discount": "0.75000000"}}


def _trade(method: str, path: str, handler, orders=1) -> Endpoint:
    """A TRADE route: weight 1, free when it succeeds; ``orders`` new orders counted against ORDERS."""
    return Endpoint(method, path, Security.TRADE, "trade", 1, handler, counts_order=orders != 0,
                    order_count=orders, free_on_success=True)


ROUTES = [
    _trade("POST", "/api/v3/order", new_order),
    _trade("DELETE", "/api/v3/order", cancel_order, orders=0),
    _trade("DELETE", "/api/v3/openOrders", cancel_open_orders, orders=0),
    _trade("POST", "/api/v3/order/cancelReplace", cancel_replace, orders=_cancel_replace_orders),
    _trade("POST", "/api/v3/order/oco", new_legacy_oco, orders=2),
    _trade("POST", "/api/v3/orderList/oco", new_oco, orders=2),
    _trade("POST", "/api/v3/orderList/oto", new_oto, orders=2),
    _trade("POST", "/api/v3/orderList/otoco", new_otoco, orders=3),
    _trade("DELETE", "/api/v3/orderList", cancel_order_list, orders=0),
    Endpoint("GET", "/api/v3/order", Security.USER_DATA, "trade", 4, get_order),
    Endpoint("GET", "/api/v3/openOrders", Security.USER_DATA, "trade", _open_orders_weight, open_orders),
    Endpoint("GET", "/api/v3/allOrders", Security.USER_DATA, "trade", 20, all_orders),
    Endpoint("GET", "/api/v3/myTrades", Security.USER_DATA, "trade", _my_trades_weight, my_trades),
    Endpoint("GET", "/api/v3/orderList", Security.USER_DATA, "trade", 4, get_order_list),
    Endpoint("GET", "/api/v3/allOrderList", Security.USER_DATA, "trade", 20, all_order_lists),
    Endpoint("GET", "/api/v3/openOrderList", Security.USER_DATA, "trade", 6, open_order_lists),
    Endpoint("GET", "/api/v3/account/commission", Security.USER_DATA, "account", 20, commission),
]
