"""Market data endpoints (security NONE): depth, trades, aggTrades, klines, avgPrice and the tickers.

The book and the trades come from the engine; klines and ticker statistics from the market history (the
replayed market merged with local trades, see :mod:`minance.market.history`). Times are wall time.
"""

from __future__ import annotations

import json

from minance.domain.errors import Err
from minance.domain.symbols import DEFAULT_SYMBOLS
from minance.engine import BookTicker
from minance.engine.responses import agg_trade, depth_response, public_trade
from minance.market import tickers
from minance.market.intervals import DAY_MS, is_interval, parse_time_zone
from minance.market.klines import LIMIT_DEFAULT, LIMIT_MAX
from minance.server.api import params
from minance.server.api.params import invalid, lenient_int, limit, one_or_many, symbol, timed, timed_rows
from minance.server.auth import Security
from minance.server.endpoints import Endpoint
from minance.server.request import Request

TRADES_DEFAULT, TRADES_MAX = 500, 1000
DEPTH_DEFAULT, DEPTH_MAX = 100, 5000
TICKER_TYPES = ("FULL", "MINI")
ROLLING_MAX_SYMBOLS = 100


# -- order book and trades ---------------------------------------------------------------------------------------
def _depth_weight(req: Request) -> int:
    n = min(lenient_int(req, "limit", DEPTH_DEFAULT), DEPTH_MAX)
    return 5 if n <= 100 else 25 if n <= 500 else 50 if n <= 1000 else 250


def depth(req: Request, ctx) -> dict:
    name = symbol(req)
    params.status_filter([name], True, params.symbol_status(req))
    n = limit(req, DEPTH_DEFAULT, DEPTH_MAX)  # documented: above 5000 the answer is truncated
    return depth_response(ctx.venue.engine.depth(name, n))


def trades(req: Request, ctx) -> list:
    name = symbol(req)
    n = limit(req, TRADES_DEFAULT, TRADES_MAX)
    return timed(req, [public_trade(t) for t in ctx.venue.engine.recent_trades(name, n)])


def historical_trades(req: Request, ctx) -> list:
    name = symbol(req)
    n = limit(req, TRADES_DEFAULT, TRADES_MAX)
    from_id = params.long_int(req, "fromId")
    return timed(req, [public_trade(t) for t in ctx.venue.engine.historical_trades(name, from_id, n)])


def agg_trades(req: Request, ctx) -> list:
    name = symbol(req)
    n = limit(req, TRADES_DEFAULT, TRADES_MAX)
    from_id = params.long_int(req, "fromId")
    start, end = params.time_window(req, max_ms=None)
    if from_id is not None and (start is not None or end is not None):
        raise params.bad_combo()
    rows = ctx.venue.engine.agg_trades(name, from_id=from_id, start_ms=start, end_ms=end, limit=n)
    return timed(req, [agg_trade(a) for a in rows])


# -- klines and average price ------------------------------------------------------------------------------------
def klines(req: Request, ctx) -> list:
    name = symbol(req)
    interval = req.text("interval", required=True)
    if not is_interval(interval):
        raise Err.BAD_INTERVAL()
    start, end = params.time_window(req, max_ms=None)
    n = limit(req, LIMIT_DEFAULT, LIMIT_MAX)
    try:
        tz = parse_time_zone(req.text("timeZone"))
    except ValueError:
        raise invalid("timeZone") from None
    rows = ctx.venue.history.klines(name, interval, now_ms=ctx.clock.now_ms(), start_ms=start, end_ms=end, limit=n,
                                    tz_offset_ms=tz)
    return timed_rows(req, [k.row() for k in rows])


def avg_price(req: Request, ctx) -> dict:
    name = symbol(req)
    now = ctx.clock.now_ms()
    history = ctx.venue.history
    last = history.builder(name).last_trade
    return timed(req, tickers.avg_price(history.avg_price(name, now), last.ts_ms if last is not None else now))


# -- tickers ---------------------------------------------------------------------------------------------------
def _count_symbols(req: Request) -> int | None:
    """How many symbols a ticker request names (None: all of them); lenient, for the weight."""
    if req.params.get("symbol"):
        return 1
    raw = req.params.get("symbols")
    if not raw:
        return None
    try:
        parsed = json.loads(raw)
    except ValueError:
        return 1
    return len(parsed) if isinstance(parsed, list) else 1


def _ticker_24hr_weight(req: Request) -> int:
    n = _count_symbols(req)
    if n is None:
        return 80
    return 2 if n <= 20 else 40 if n <= 100 else 80


def _price_weight(req: Request) -> int:
    return 2 if req.params.get("symbol") else 4


def _rolling_weight(req: Request) -> int:
    return min(4 * max(_count_symbols(req) or 1, 1), 200)


def _selection(req: Request) -> tuple[list[str], bool]:
    names, single = one_or_many(req)
    status = params.symbol_status(req)
    return params.status_filter(list(DEFAULT_SYMBOLS) if names is None else names, single, status), single


def _ticker_type(req: Request) -> bool:
    value = req.text("type", default="FULL")
    if value not in TICKER_TYPES:
        raise Err.INVALID_TICKER_TYPE()
    return value == "FULL"


def _book(b: BookTicker) -> tickers.BookTop:
    return tickers.BookTop(b.bid_price if b.bid_price_u else None, b.bid_qty if b.bid_price_u else None,
                           b.ask_price if b.ask_price_u else None, b.ask_qty if b.ask_price_u else None)


def _answer(req: Request, rows: list[dict], single: bool):
    return timed(req, rows[0] if single else rows)


def ticker_24hr(req: Request, ctx) -> dict | list:
    names, single = _selection(req)
    full = _ticker_type(req)
    now = ctx.clock.now_ms()
    engine, history = ctx.venue.engine, ctx.venue.history
    rows = [tickers.ticker_24hr(s, history.window(s, now - DAY_MS, now), full=full,
                                book=_book(engine.book_ticker(s)) if full else None) for s in names]
    return _answer(req, rows, single)


def ticker_price(req: Request, ctx) -> dict | list:
    names, single = _selection(req)
    now = ctx.clock.now_ms()
    rows = [tickers.price_ticker(s, ctx.venue.history.last_price(s, now)) for s in names]
    return _answer(req, rows, single)


def book_ticker(req: Request, ctx) -> dict | list:
    names, single = _selection(req)
    rows = [tickers.book_ticker(s, _book(ctx.venue.engine.book_ticker(s))) for s in names]
    return _answer(req, rows, single)


def _named_selection(req: Request) -> tuple[list[str], bool]:
    """``symbol`` or ``symbols`` (one of them required, at most 100 names), for /ticker and /ticker/tradingDay."""
    names, single = one_or_many(req)
    if names is None:
        params.either(req, "symbol", "symbols")
    assert names is not None
    if len(names) > ROLLING_MAX_SYMBOLS:
        raise Err.TOO_MANY_SYMBOLS(maximum=ROLLING_MAX_SYMBOLS)
    return params.status_filter(names, single, params.symbol_status(req)), single


def rolling_ticker(req: Request, ctx) -> dict | list:
    names, single = _named_selection(req)
    try:
        window_ms = tickers.parse_window_size(req.text("windowSize"))
    except ValueError:
        raise invalid("windowSize") from None
    full = _ticker_type(req)
    now = ctx.clock.now_ms()
    open_ms = tickers.rolling_open_ms(now, window_ms)
    rows = [tickers.rolling_ticker(s, ctx.venue.history.window(s, open_ms, now), full=full) for s in names]
    return _answer(req, rows, single)


def trading_day_ticker(req: Request, ctx) -> dict | list:
    """/ticker/tradingDay: each symbol's statistics since midnight of the current day in ``timeZone`` (UTC)."""
    names, single = _named_selection(req)
    try:
        tz = parse_time_zone(req.text("timeZone"))
    except ValueError:
        raise invalid("timeZone") from None
    full = _ticker_type(req)
    now = ctx.clock.now_ms()
    open_ms = tickers.trading_day_open_ms(now, tz)
    rows = [tickers.trading_day_ticker(s, ctx.venue.history.window(s, open_ms, now), full=full) for s in names]
    return _answer(req, rows, single)


ROUTES = [
    Endpoint("GET", "/api/v3/depth", Security.NONE, "market", _depth_weight, depth),
    Endpoint("GET", "/api/v3/trades", Security.NONE, "market", 25, trades),
    Endpoint("GET", "/api/v3/historicalTrades", Security.NONE, "market", 25, historical_trades),
    Endpoint("GET", "/api/v3/aggTrades", Security.NONE, "market", 4, agg_trades),
    Endpoint("GET", "/api/v3/klines", Security.NONE, "market", 2, klines),
    Endpoint("GET", "/api/v3/uiKlines", Security.NONE, "market", 2, klines),
    Endpoint("GET", "/api/v3/avgPrice", Security.NONE, "market", 2, avg_price),
    Endpoint("GET", "/api/v3/ticker/24hr", Security.NONE, "market", _ticker_24hr_weight, ticker_24hr),
    Endpoint("GET", "/api/v3/ticker/price", Security.NONE, "market", _price_weight, ticker_price),
    Endpoint("GET", "/api/v3/ticker/bookTicker", Security.NONE, "market", _price_weight, book_ticker),
    Endpoint("GET", "/api/v3/ticker", Security.NONE, "market", _rolling_weight, rolling_ticker),
    # weight 4 per symbol, capped at 200 (more than 50 symbols), like the rolling window ticker
    Endpoint("GET", "/api/v3/ticker/tradingDay", Security.NONE, "market", _rolling_weight, trading_day_ticker),
]
