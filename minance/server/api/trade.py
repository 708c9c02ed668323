"""Trading endpoints. For now POST /api/v3/order/test: signature, permission and parameter checks.

The exchange issue puts the filters and the matching engine behind the same validation.
"""

from __future__ import annotations

from minance.domain.errors import MSG_EITHER_PARAM, BinanceError, mandatory
from minance.market.symbols import DEFAULT_SYMBOLS, ORDER_TYPES
from minance.server.auth import Security
from minance.server.endpoints import Endpoint
from minance.server.request import Request

SIDES = ("BUY", "SELL")
TIME_IN_FORCE = ("GTC", "IOC", "FOK")
RESP_TYPES = ("ACK", "RESULT", "FULL")
_NEEDS_PRICE = frozenset({"LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT", "LIMIT_MAKER"})
_NEEDS_TIF = frozenset({"LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"})
_NEEDS_STOP = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})


def validate_new_order(req: Request) -> dict:
    """Binance's parameter checks for a new order, in its order; returns the normalised fields."""
    symbol = req.text("symbol", required=True)
    if symbol not in DEFAULT_SYMBOLS:
        raise BinanceError(-1121)
    side = req.enum("side", SIDES, -1117, required=True)
    order_type = req.enum("type", ORDER_TYPES, -1116, required=True)
    tif = req.enum("timeInForce", TIME_IN_FORCE, -1115)
    if req.text("newOrderRespType") is not None and req.text("newOrderRespType") not in RESP_TYPES:
        raise BinanceError.format(-1130, "Data sent for parameter '%s' is not valid.", "newOrderRespType")
    quantity = req.decimal("quantity")
    quote_qty = req.decimal("quoteOrderQty")
    price = req.decimal("price")
    stop_price = req.decimal("stopPrice")
    trailing = req.integer("trailingDelta")
    if order_type in _NEEDS_TIF and tif is None:
        raise mandatory("timeInForce")
    if order_type == "MARKET":
        if quantity is None and quote_qty is None:
            raise BinanceError.format(-1102, MSG_EITHER_PARAM, "quantity", "quoteOrderQty")
        if quantity is not None and quote_qty is not None:
            raise BinanceError(-1128)
    elif quantity is None:
        raise mandatory("quantity")
    if order_type in _NEEDS_PRICE and price is None:
        raise mandatory("price")
    if order_type in _NEEDS_STOP and stop_price is None and trailing is None:
        raise BinanceError.format(-1102, MSG_EITHER_PARAM, "stopPrice", "trailingDelta")
    if order_type not in _NEEDS_TIF and tif is not None and order_type != "MARKET":
        raise BinanceError(-1114)
    return {"symbol": symbol, "side": side, "type": order_type, "timeInForce": tif, "quantity": quantity,
            "quoteOrderQty": quote_qty, "price": price, "stopPrice": stop_price, "trailingDelta": trailing}


def order_test(req: Request, ctx) -> dict:
    validate_new_order(req)
    if not req.boolean("computeCommissionRates"):
        return {}
    acct = ctx.store.get_account(req.key.account_id)
    maker, taker = f"{acct.maker_bps / 10000:.8f}", f"{acct.taker_bps / 10000:.8f}"
    zero = "0.00000000"
    return {
        "standardCommissionForOrder": {"maker": maker, "taker": taker},
        "specialCommissionForOrder": {"maker": zero, "taker": zero},
        "taxCommissionForOrder": {"maker": zero, "taker": zero},
        "discount": {"enabledForAccount": False, "enabledForSymbol": False, "discountAsset": "BNB",
                     "discount": "0.75000000"},
    }


def _order_test_weight(req: Request) -> int:
    return 20 if req.params.get("computeCommissionRates", "").lower() == "true" else 1


def rate_limit_order(req: Request, ctx) -> list:
    return ctx.limiter.order_limits(req.key.account_id, ctx.clock.now_ms())


ROUTES = [
    Endpoint("POST", "/api/v3/order/test", Security.TRADE, "trade", _order_test_weight, order_test),
    Endpoint("GET", "/api/v3/rateLimit/order", Security.USER_DATA, "account", 40, rate_limit_order),
]
