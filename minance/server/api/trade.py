"""POST /api/v3/order/test and GET /api/v3/rateLimit/order.

order/test runs exactly the checks of POST /order up to the matching engine (the same parameter parsing and
command building, then the engine's own parameter rules, precision and filters through the read-only
``Exchange.check_order``) and never submits.
"""

from __future__ import annotations

from minance.server.api.orders import build_new_order
from minance.server.auth import Security
from minance.server.endpoints import Endpoint
from minance.server.request import Request


def order_test(req: Request, ctx) -> dict:
    error = ctx.venue.engine.check_order(build_new_order(req, ctx))
    if error is not None:
        raise error
    if not req.boolean("computeCommissionRates"):
        return {}
    maker_bps, taker_bps = ctx.venue.engine.commission_bps(req.key.account_id)
    maker, taker = f"{maker_bps / 10000:.8f}", f"{taker_bps / 10000:.8f}"
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
