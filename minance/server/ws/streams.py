"""Market stream names → what they carry, and the bodies of the periodic streams.

Names follow Binance (REFERENCE §5.9): lowercase symbols, ``<symbol>@trade``, ``@aggTrade``,
``@kline_<interval>[@+08:00]``, ``@miniTicker``, ``@ticker``, ``@ticker_<1h|4h|1d>``, ``@bookTicker``,
``@avgPrice``, ``@depth<5|10|20>[@100ms|@1000ms]``, ``@depth[@100ms|@1000ms]`` and the all-market
``!miniTicker@arr``, ``!ticker@arr``, ``!ticker_<1h|4h|1d>@arr``. A well-formed name for a symbol the exchange
does not list is accepted and stays silent, as on Binance; a malformed one is "Invalid request: invalid stream".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from minance.market.intervals import HOUR_MS, INTERVALS, MINUTE_MS
from minance.market.klines import Kline

__all__ = ["StreamSpec", "kline_event", "parse_stream", "rolling_event", "ticker_event"]

TZ_PLUS_8_MS = 8 * HOUR_MS
WINDOWS = {"1h": HOUR_MS, "4h": 4 * HOUR_MS, "1d": 24 * HOUR_MS}

_SYMBOL = r"(?P<symbol>[a-z0-9\-_.]{1,20})"
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("trade", re.compile(_SYMBOL + r"@trade")),
    ("aggTrade", re.compile(_SYMBOL + r"@aggTrade")),
    ("kline", re.compile(_SYMBOL + r"@kline_(?P<interval>\w{2,3})(?P<tz>@\+08:00)?")),
    ("miniTicker", re.compile(_SYMBOL + r"@miniTicker")),
    ("ticker", re.compile(_SYMBOL + r"@ticker")),
    ("rolling", re.compile(_SYMBOL + r"@ticker_(?P<window>1h|4h|1d)")),
    ("bookTicker", re.compile(_SYMBOL + r"@bookTicker")),
    ("avgPrice", re.compile(_SYMBOL + r"@avgPrice")),
    ("depthPartial", re.compile(_SYMBOL + r"@depth(?P<levels>5|10|20)(?:@(?P<speed>100|1000)ms)?")),
    ("depthDiff", re.compile(_SYMBOL + r"@depth(?:@(?P<speed>100|1000)ms)?")),
    ("miniTickerArr", re.compile(r"!miniTicker@arr")),
    ("tickerArr", re.compile(r"!ticker@arr")),
    ("rollingArr", re.compile(r"!ticker_(?P<window>1h|4h|1d)@arr")),
]


@dataclass(frozen=True, slots=True)
class StreamSpec:
    name: str
    kind: str
    symbol: str | None = None  # upper case, as the engine names it; None for all-market streams
    interval: str | None = None  # kline interval or rolling window
    tz_ms: int = 0
    levels: int = 0
    speed_ms: int = 1000


def parse_stream(name: str) -> StreamSpec | None:
    """The stream a name denotes, or None when it is not a stream name."""
    if not isinstance(name, str) or not name or len(name) > 64:
        return None
    for kind, pattern in _PATTERNS:
        m = pattern.fullmatch(name)
        if m is None:
            continue
        groups = m.groupdict()
        symbol = groups.get("symbol")
        upper = symbol.upper() if symbol else None
        if kind == "kline":
            interval = groups["interval"]
            if interval not in INTERVALS:
                return None
            return StreamSpec(name, kind, upper, interval, TZ_PLUS_8_MS if groups.get("tz") else 0)
        if kind in ("rolling", "rollingArr"):
            return StreamSpec(name, kind, upper, groups["window"])
        if kind in ("depthPartial", "depthDiff"):
            speed = int(groups.get("speed") or 1000)
            return StreamSpec(name, kind, upper, levels=int(groups.get("levels") or 0), speed_ms=speed)
        return StreamSpec(name, kind, upper)
    return None


# -- bodies --------------------------------------------------------------------------------------------------
def _f8(d: Decimal) -> str:
    return f"{d:.8f}"


def kline_event(symbol: str, interval: str, k: Kline, closed: bool, event_ms: int) -> dict:
    """``<symbol>@kline_<interval>``."""
    return {"e": "kline", "E": event_ms, "s": symbol, "k": {
        "t": k.open_ms, "T": k.close_ms, "s": symbol, "i": interval, "f": k.first_trade_id, "L": k.last_trade_id,
        "o": _f8(k.open), "c": _f8(k.close), "h": _f8(k.high), "l": _f8(k.low), "v": _f8(k.volume),
        "n": k.trades, "x": closed, "q": _f8(k.quote_volume), "V": _f8(k.taker_buy_volume),
        "Q": _f8(k.taker_buy_quote_volume), "B": "0"}}


def mini_ticker_event(t: dict, event_ms: int) -> dict:
    """``<symbol>@miniTicker`` from a FULL /ticker/24hr body."""
    return {"e": "24hrMiniTicker", "E": event_ms, "s": t["symbol"], "c": t["lastPrice"], "o": t["openPrice"],
            "h": t["highPrice"], "l": t["lowPrice"], "v": t["volume"], "q": t["quoteVolume"]}


def ticker_event(t: dict, event_ms: int) -> dict:
    """``<symbol>@ticker`` from a FULL /ticker/24hr body."""
    return {"e": "24hrTicker", "E": event_ms, "s": t["symbol"], "p": t["priceChange"], "P": t["priceChangePercent"],
            "w": t["weightedAvgPrice"], "x": t["prevClosePrice"], "c": t["lastPrice"], "Q": t["lastQty"],
            "b": t["bidPrice"], "B": t["bidQty"], "a": t["askPrice"], "A": t["askQty"], "o": t["openPrice"],
            "h": t["highPrice"], "l": t["lowPrice"], "v": t["volume"], "q": t["quoteVolume"], "O": t["openTime"],
            "C": t["closeTime"], "F": t["firstId"], "L": t["lastId"], "n": t["count"]}


def rolling_event(window: str, t: dict, event_ms: int) -> dict:
    """``<symbol>@ticker_<window>`` from a FULL /ticker (rolling window) body."""
    return {"e": f"{window}Ticker", "E": event_ms, "s": t["symbol"], "p": t["priceChange"],
            "P": t["priceChangePercent"], "o": t["openPrice"], "h": t["highPrice"], "l": t["lowPrice"],
            "c": t["lastPrice"], "w": t["weightedAvgPrice"], "v": t["volume"], "q": t["quoteVolume"],
            "O": t["openTime"], "C": t["closeTime"], "F": t["firstId"], "L": t["lastId"], "n": t["count"]}


def rolling_open_ms(now_ms: int, window_ms: int) -> int:
    return now_ms // MINUTE_MS * MINUTE_MS - window_ms
