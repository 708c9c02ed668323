"""General endpoints: ping, time, exchangeInfo, system status."""

from __future__ import annotations

import json

from minance.domain.symbols import DEFAULT_SYMBOLS, symbol_info
from minance.server.api import params
from minance.server.auth import Security
from minance.server.endpoints import Endpoint
from minance.server.request import Request


def ping(req: Request, ctx) -> dict:
    return {}


def server_time(req: Request, ctx) -> dict:
    return {"serverTime": ctx.clock.now_us() if req.time_unit_us else ctx.clock.now_ms()}


PERMISSIONS = ("SPOT", "MARGIN", "LEVERAGED", *(f"TRD_GRP_{i:03d}" for i in range(2, 26)))


def _permissions_param(req: Request) -> set[str] | None:
    """``permissions``: one value or a JSON array of them."""
    raw = req.text("permissions")
    if raw is None:
        return None
    if raw.startswith("["):
        try:
            values = json.loads(raw)
        except ValueError:
            raise params.invalid("permissions") from None
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise params.invalid("permissions")
    else:
        values = [raw]
    if not values or any(v not in PERMISSIONS for v in values):
        raise params.invalid("permissions")
    return set(values)


def exchange_info(req: Request, ctx) -> dict:
    wanted, _ = params.one_or_many(req)
    permissions = _permissions_param(req)
    status = params.symbol_status(req)
    if wanted is not None and (permissions is not None or status is not None):
        raise params.bad_combo()
    show_sets = req.boolean("showPermissionSets", default=True)
    specs = list(DEFAULT_SYMBOLS.values()) if wanted is None else [DEFAULT_SYMBOLS[s] for s in wanted]
    symbols = [symbol_info(s) for s in specs]
    if permissions is not None:  # a symbol qualifies when one of its permission sets allows one of them
        symbols = [s for s in symbols if any(permissions & set(group) for group in s["permissionSets"])]
    if status is not None:
        symbols = [s for s in symbols if s["status"] == status]
    if not show_sets:
        for s in symbols:
            s["permissionSets"] = []
    return {
        "timezone": "UTC",
        "serverTime": req.time(ctx.clock.now_ms()),
        "rateLimits": [lim.to_wire() for lim in ctx.limiter.limits],
        "exchangeFilters": [],
        "symbols": symbols,
    }


def futures_exchange_info(req: Request, ctx) -> dict:
    """/fapi and /dapi exchangeInfo: no futures here, but ccxt's default load_markets asks for them."""
    return {"timezone": "UTC", "serverTime": req.time(ctx.clock.now_ms()), "rateLimits": [],
            "exchangeFilters": [], "assets": [], "symbols": []}


def system_status(req: Request, ctx) -> dict:
    return {"status": 0, "msg": "normal"}


ROUTES = [
    Endpoint("GET", "/api/v3/ping", Security.NONE, "market", 1, ping),
    Endpoint("GET", "/api/v3/time", Security.NONE, "market", 1, server_time),
    Endpoint("GET", "/api/v3/exchangeInfo", Security.NONE, "market", 20, exchange_info),
    Endpoint("GET", "/sapi/v1/system/status", Security.NONE, "market", 1, system_status),
    Endpoint("GET", "/fapi/v1/exchangeInfo", Security.NONE, "market", 1, futures_exchange_info),
    Endpoint("GET", "/dapi/v1/exchangeInfo", Security.NONE, "market", 1, futures_exchange_info),
]
