"""Binance's JSON shapes for what the engine returns: order responses (ACK/RESULT/FULL), queries, cancels,
order lists, cancelReplace, and the user-data and market stream events. Decimals are 8-decimal strings.

Plain functions from engine values to dicts, so the server renders and the tests pin the same shapes.
"""

from __future__ import annotations

from minance.domain.orders import (
    STOP_TYPES,
    MyTrade,
    OrderListView,
    OrderView,
    ResponseType,
    Trade,
    format_units,
)
from minance.engine.events import (
    BalanceDelta,
    BalanceUpdate,
    BookDelta,
    CancelAllReply,
    CancelReplaceReply,
    CancelReply,
    ListReply,
    ListStatus,
    OrderReply,
    OrderUpdate,
)
from minance.engine.queries import AggTrade, Depth

__all__ = [
    "account_position",
    "agg_trade",
    "balance_update",
    "cancel_all_response",
    "cancel_replace_data",
    "cancel_response",
    "depth_response",
    "depth_update",
    "execution_report",
    "list_response",
    "list_status_event",
    "my_trade",
    "order_list_fields",
    "order_query",
    "order_response",
    "public_trade",
    "trade_event",
]

f8 = format_units


def _conditional(v: OrderView, out: dict) -> dict:
    """Fields Binance adds only when they apply."""
    if v.type in STOP_TYPES:
        out["stopPrice"] = f8(v.stop_price_u)
    if v.trailing_delta:
        out["trailingDelta"] = v.trailing_delta
        if v.trailing_ms >= 0:
            out["trailingTime"] = v.trailing_ms
    if v.strategy_id is not None:
        out["strategyId"] = v.strategy_id
    if v.strategy_type is not None:
        out["strategyType"] = v.strategy_type
    if v.prevented_match_id >= 0:
        out["preventedMatchId"] = v.prevented_match_id
        out["preventedQuantity"] = f8(v.prevented_qty_u)
    return out


def _result_fields(v: OrderView, transact_ms: int) -> dict:
    return {
        "symbol": v.symbol, "orderId": v.order_id, "orderListId": v.order_list_id,
        "clientOrderId": v.client_order_id, "transactTime": transact_ms, "price": f8(v.price_u),
        "origQty": f8(v.orig_qty_u), "executedQty": f8(v.executed_qty_u),
        "origQuoteOrderQty": f8(v.orig_quote_order_qty_u), "cummulativeQuoteQty": f8(v.cummulative_quote_qty_u),
        "status": v.status.value, "timeInForce": v.time_in_force.value, "type": v.type.value, "side": v.side.value,
        "workingTime": v.working_ms, "selfTradePreventionMode": v.stp_mode.value,
    }


def order_response(reply: OrderReply, response_type: ResponseType | None = None) -> dict:
    """POST /order (and the new-order half of cancelReplace)."""
    v = reply.order
    rt = response_type or reply.response_type
    if rt is ResponseType.ACK:
        return {"symbol": v.symbol, "orderId": v.order_id, "orderListId": v.order_list_id,
                "clientOrderId": v.client_order_id, "transactTime": reply.transact_ms}
    out = _conditional(v, _result_fields(v, reply.transact_ms))
    if rt is ResponseType.FULL:
        out["fills"] = [{"price": f8(f.price_u), "qty": f8(f.qty_u), "commission": f8(f.commission_u),
                         "commissionAsset": f.commission_asset, "tradeId": f.trade_id} for f in reply.fills]
        if reply.prevented_matches:
            out["preventedMatches"] = [_prevented(p) for p in reply.prevented_matches]
    return out


def _prevented(p) -> dict:
    out = {"preventedMatchId": p.prevented_match_id, "makerOrderId": p.maker_order_id, "price": f8(p.price_u)}
    if p.taker_prevented_qty_u:
        out["takerPreventedQuantity"] = f8(p.taker_prevented_qty_u)
    if p.maker_prevented_qty_u:
        out["makerPreventedQuantity"] = f8(p.maker_prevented_qty_u)
    return out


def order_query(v: OrderView) -> dict:
    """GET /order, /openOrders, /allOrders."""
    out = {
        "symbol": v.symbol, "orderId": v.order_id, "orderListId": v.order_list_id,
        "clientOrderId": v.client_order_id, "price": f8(v.price_u), "origQty": f8(v.orig_qty_u),
        "executedQty": f8(v.executed_qty_u), "cummulativeQuoteQty": f8(v.cummulative_quote_qty_u),
        "status": v.status.value, "timeInForce": v.time_in_force.value, "type": v.type.value, "side": v.side.value,
        "stopPrice": f8(v.stop_price_u), "icebergQty": f8(0), "time": v.time_ms, "updateTime": v.update_ms,
        "isWorking": v.is_working, "workingTime": v.working_ms, "origQuoteOrderQty": f8(v.orig_quote_order_qty_u),
        "selfTradePreventionMode": v.stp_mode.value,
    }
    _conditional(v, out)
    return out


def _cancel_fields(v: OrderView, orig_cid: str, cancel_cid: str, transact_ms: int) -> dict:
    out = {
        "symbol": v.symbol, "origClientOrderId": orig_cid, "orderId": v.order_id, "orderListId": v.order_list_id,
        "clientOrderId": cancel_cid, "transactTime": transact_ms, "price": f8(v.price_u),
        "origQty": f8(v.orig_qty_u), "executedQty": f8(v.executed_qty_u),
        "origQuoteOrderQty": f8(v.orig_quote_order_qty_u), "cummulativeQuoteQty": f8(v.cummulative_quote_qty_u),
        "status": v.status.value, "timeInForce": v.time_in_force.value, "type": v.type.value, "side": v.side.value,
        "selfTradePreventionMode": v.stp_mode.value,
    }
    return _conditional(v, out)


def cancel_response(reply: CancelReply) -> dict:
    """DELETE /order. Cancelling a leg cancels its whole list; the answer is still the leg's own report
    (``reply.order_list`` has the list, for ``list_response`` and the listStatus event)."""
    return _cancel_fields(reply.order, reply.orig_client_order_id, reply.client_order_id, reply.transact_ms)


def order_list_fields(lst: OrderListView) -> dict:
    """GET /orderList, /allOrderList, /openOrderList."""
    return {
        "orderListId": lst.order_list_id, "contingencyType": lst.contingency_type.value,
        "listStatusType": lst.list_status_type.value, "listOrderStatus": lst.list_order_status.value,
        "listClientOrderId": lst.list_client_order_id, "transactionTime": lst.transaction_ms, "symbol": lst.symbol,
        "orders": [{"symbol": s, "orderId": i, "clientOrderId": c} for s, i, c in lst.orders],
    }


def list_response(reply: ListReply, cancel_client_order_id: str | None = None) -> dict:
    """POST /orderList/* and /order/oco (orderReports), DELETE /orderList (cancel reports).

    A cancel's reports show the cancel's clientOrderId, which the reply carries (``cancel_client_order_id``
    overrides it, and renders any reply as cancel reports)."""
    out = order_list_fields(reply.order_list)
    if cancel_client_order_id is not None or reply.response_type is None:
        cid = reply.cancel_client_order_id if cancel_client_order_id is None else cancel_client_order_id
        out["orderReports"] = [_cancel_fields(v, v.client_order_id, cid, reply.transact_ms) for v in reply.reports]
    elif reply.response_type is ResponseType.ACK:
        out["orderReports"] = [{"symbol": v.symbol, "orderId": v.order_id, "orderListId": v.order_list_id,
                                "clientOrderId": v.client_order_id, "transactTime": reply.transact_ms}
                               for v in reply.reports]
    else:
        out["orderReports"] = [_conditional(v, _result_fields(v, reply.transact_ms)) for v in reply.reports]
    return out


def cancel_all_response(reply: CancelAllReply) -> list[dict]:
    """DELETE /openOrders: order cancel reports and list objects, in order id order."""
    return [list_response(item) if isinstance(item, ListReply) else cancel_response(item) for item in reply.items]


def cancel_replace_data(reply: CancelReplaceReply) -> dict:
    """POST /order/cancelReplace body (success) or the ``data`` of its -2021/-2022 error."""

    def half(x):
        if x is None:
            return None
        if isinstance(x, OrderReply):
            return order_response(x)
        if isinstance(x, CancelReply):
            return cancel_response(x)
        return x.to_wire()

    return {"cancelResult": reply.cancel_result, "newOrderResult": reply.new_order_result,
            "cancelResponse": half(reply.cancel), "newOrderResponse": half(reply.new_order)}


def my_trade(t: MyTrade) -> dict:
    return {"symbol": t.symbol, "id": t.trade_id, "orderId": t.order_id, "orderListId": t.order_list_id,
            "price": f8(t.price_u), "qty": f8(t.qty_u), "quoteQty": f8(t.quote_qty_u),
            "commission": f8(t.commission_u), "commissionAsset": t.commission_asset, "time": t.time_ms,
            "isBuyer": t.is_buyer, "isMaker": t.is_maker, "isBestMatch": t.is_best_match}


def public_trade(t: Trade) -> dict:
    """GET /trades, /historicalTrades."""
    return {"id": t.trade_id, "price": f8(t.price_u), "qty": f8(t.qty_u), "quoteQty": f8(t.quote_qty_u),
            "time": t.time_ms, "isBuyerMaker": t.is_buyer_maker, "isBestMatch": True}


def agg_trade(a: AggTrade) -> dict:
    return {"a": a.agg_id, "p": f8(a.price_u), "q": f8(a.qty_u), "f": a.first_trade_id, "l": a.last_trade_id,
            "T": a.time_ms, "m": a.is_buyer_maker, "M": True}


def depth_response(d: Depth) -> dict:
    return {"lastUpdateId": d.last_update_id, "bids": [[f8(p), f8(q)] for p, q in d.bids_u],
            "asks": [[f8(p), f8(q)] for p, q in d.asks_u]}


# stream events ------------------------------------------------------------------------------------------
def execution_report(u: OrderUpdate, event_ms: int | None = None) -> dict:
    v = u.order
    cancel = bool(u.orig_client_order_id)
    out = {
        "e": "executionReport", "E": u.transact_ms if event_ms is None else event_ms, "s": v.symbol,
        "c": u.cancel_client_order_id if cancel else v.client_order_id, "S": v.side.value, "o": v.type.value,
        "f": v.time_in_force.value, "q": f8(v.orig_qty_u), "p": f8(v.price_u), "P": f8(v.stop_price_u),
        "F": f8(0), "g": v.order_list_id, "C": u.orig_client_order_id, "x": u.execution_type.value,
        "X": v.status.value, "r": u.reject_reason.value, "i": v.order_id, "l": f8(u.last_qty_u),
        "z": f8(v.executed_qty_u), "L": f8(u.last_price_u), "n": f8(u.commission_u), "N": u.commission_asset,
        "T": u.transact_ms, "t": u.trade_id, "I": u.execution_id, "w": v.is_working and v.status.value in (
            "NEW", "PARTIALLY_FILLED"), "m": u.is_maker, "M": False, "O": v.time_ms,
        "Z": f8(v.cummulative_quote_qty_u), "Y": f8(u.last_quote_qty_u), "Q": f8(v.orig_quote_order_qty_u),
        "W": v.working_ms, "V": v.stp_mode.value,
    }
    if v.trailing_delta:
        out["d"] = v.trailing_delta
        out["D"] = v.trailing_ms
    if v.strategy_id is not None:
        out["j"] = v.strategy_id
    if v.strategy_type is not None:
        out["J"] = v.strategy_type
    if v.prevented_match_id >= 0:
        out["v"] = v.prevented_match_id
        out["A"] = f8(v.prevented_qty_u)
    if u.execution_type.value == "TRADE_PREVENTION":
        out["B"] = f8(u.last_prevented_qty_u)
        out["u"] = -1  # tradeGroupId: no trade groups here
        out["U"] = u.counter_order_id
        out["Cs"] = v.symbol
        out["pl"] = f8(u.last_prevented_qty_u)
        out["pL"] = f8(u.prevented_price_u)
        out["pY"] = f8(u.prevented_price_u * u.last_prevented_qty_u // 100_000_000)
    return out


def list_status_event(ev: ListStatus, event_ms: int | None = None) -> dict:
    lst = ev.order_list
    return {"e": "listStatus", "E": ev.transact_ms if event_ms is None else event_ms, "s": lst.symbol,
            "g": lst.order_list_id, "c": lst.contingency_type.value, "l": lst.list_status_type.value,
            "L": lst.list_order_status.value, "r": ev.reject_reason.value, "C": lst.list_client_order_id,
            "T": ev.transact_ms, "O": [{"s": s, "i": i, "c": c} for s, i, c in lst.orders]}


def account_position(updates: list[BalanceUpdate], event_ms: int | None = None) -> dict:
    """outboundAccountPosition for the updates of one account (one command's BalanceUpdate events)."""
    last = max(u.time_ms for u in updates)
    return {"e": "outboundAccountPosition", "E": last if event_ms is None else event_ms, "u": last,
            "B": [{"a": u.asset, "f": f8(u.free_u), "l": f8(u.locked_u)} for u in updates]}


def balance_update(d: BalanceDelta, event_ms: int | None = None) -> dict:
    return {"e": "balanceUpdate", "E": d.time_ms if event_ms is None else event_ms, "a": d.asset,
            "d": f8(d.delta_u), "T": d.time_ms}


def trade_event(t: Trade, event_ms: int | None = None) -> dict:
    """<symbol>@trade."""
    return {"e": "trade", "E": t.time_ms if event_ms is None else event_ms, "s": t.symbol, "t": t.trade_id,
            "p": f8(t.price_u), "q": f8(t.qty_u), "T": t.time_ms, "m": t.is_buyer_maker, "M": True}


def depth_update(d: BookDelta, event_ms: int | None = None) -> dict:
    """<symbol>@depth diff event."""
    return {"e": "depthUpdate", "E": d.time_ms if event_ms is None else event_ms, "s": d.symbol,
            "U": d.first_update_id, "u": d.last_update_id, "b": [[f8(p), f8(q)] for p, q in d.bids],
            "a": [[f8(p), f8(q)] for p, q in d.asks]}
