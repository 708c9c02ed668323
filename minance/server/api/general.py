"""General endpoints: ping, time, exchangeInfo, system status."""

from __future__ import annotations

import json

from minance.domain.errors import BinanceError
from minance.market.symbols import DEFAULT_SYMBOLS, symbol_info
from minance.server.auth import Security
from minance.server.endpoints import Endpoint
from minance.server.request import Request


def ping(req: Request, ctx) -> dict:
    return {}


def server_time(req: Request, ctx) -> dict:
    return {"serverTime": ctx.clock.now_us() if req.time_unit_us else ctx.clock.now_ms()}


def _symbols_param(req: Request) -> list[str] | None:
    one = req.text("symbol")
    many = req.text("symbols")
    if one is not None and many is not None:
        raise BinanceError(-1128)
    if one is not None:
        return [one]
    if many is None:
        return None
    try:
        parsed = json.loads(many)
    except ValueError:
        raise BinanceError.format(-1100, "Illegal characters found in parameter '%s'; legal range is '%s'.",
                                  "symbols", '^\\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\\]$') from None
    if not isinstance(parsed, list) or not all(isinstance(s, str) for s in parsed):
        raise BinanceError.format(-1100, "Illegal characters found in parameter '%s'.", "symbols")
    return parsed


def exchange_info(req: Request, ctx) -> dict:
    wanted = _symbols_param(req)
    if wanted is None:
        specs = list(DEFAULT_SYMBOLS.values())
    else:
        unknown = [s for s in wanted if s not in DEFAULT_SYMBOLS]
        if unknown:
            raise BinanceError(-1121)
        specs = [DEFAULT_SYMBOLS[s] for s in wanted]
    return {
        "timezone": "UTC",
        "serverTime": req.time(ctx.clock.now_ms()),
        "rateLimits": [lim.to_wire() for lim in ctx.limiter.limits],
        "exchangeFilters": [],
        "symbols": [symbol_info(s) for s in specs],
    }


def system_status(req: Request, ctx) -> dict:
    return {"status": 0, "msg": "normal"}


ROUTES = [
    Endpoint("GET", "/api/v3/ping", Security.NONE, "market", 1, ping),
    Endpoint("GET", "/api/v3/time", Security.NONE, "market", 1, server_time),
    Endpoint("GET", "/api/v3/exchangeInfo", Security.NONE, "market", 20, exchange_info),
    Endpoint("GET", "/sapi/v1/system/status", Security.NONE, "market", 1, system_status),
]
