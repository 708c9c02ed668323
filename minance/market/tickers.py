"""Ticker bodies: ``/avgPrice``, ``/ticker/24hr``, ``/ticker`` (rolling), ``/ticker/price``, ``/ticker/bookTicker``.

Pure functions from already-aggregated inputs (:class:`WindowStats`, built by
:meth:`minance.market.history.MarketHistory.window`) to Binance's JSON objects, with Binance's key order and
number formats: prices and volumes as 8-decimal strings, ``priceChangePercent`` with 3 decimals.

Windows: ``/ticker/24hr`` covers exactly [now − 24 h, now]; ``/ticker`` opens on a minute boundary,
``openTime = floor_to_minute(now) − windowSize`` and ``closeTime = now`` (Binance's documented example), so the
effective window is up to a minute wider than asked. ``/ticker/tradingDay`` covers [midnight in ``timeZone``, now]
and reports the day's end as ``closeTime``.

Trade ids: ``firstId``/``lastId`` are the local trades in the window (-1 when there are none) and ``count`` is
``lastId − firstId + 1`` (0 without local trades), Binance's invariant. Volumes, prices, high and low include the
replayed market (the feed's minutes without local trades), consistently with the klines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from minance.market.intervals import DAY_MS, HOUR_MS, MINUTE_MS
from minance.market.klines import Kline

__all__ = [
    "BookTop",
    "WindowStats",
    "avg_price",
    "book_ticker",
    "parse_window_size",
    "price_ticker",
    "rolling_open_ms",
    "rolling_ticker",
    "ticker_24hr",
    "trading_day_open_ms",
    "trading_day_ticker",
]

_ZERO = Decimal(0)
_WINDOW_RE = re.compile(r"^([1-9]\d?)([mhd])$")
_WINDOW_LIMITS = {"m": (59, MINUTE_MS), "h": (23, HOUR_MS), "d": (7, DAY_MS)}
_PCT = Decimal("0.001")


def _f8(d: Decimal) -> str:
    return f"{d:.8f}"


@dataclass(frozen=True, slots=True)
class WindowStats:
    """Everything a ticker needs about one symbol over one window."""

    open_ms: int
    close_ms: int
    kline: Kline  # aggregate of the window (open, high, low, close=last price, volumes)
    prev_close: Decimal  # price just before the window
    last_qty: Decimal  # quantity of the last local trade if it set the last price, else 0
    first_id: int  # first local trade id in the window, -1 if none
    last_id: int


@dataclass(frozen=True, slots=True)
class BookTop:
    """Best bid and ask from the engine's book (None when a side is empty)."""

    bid_price: Decimal | None = None
    bid_qty: Decimal | None = None
    ask_price: Decimal | None = None
    ask_qty: Decimal | None = None


def parse_window_size(raw: str | None) -> int:
    """``windowSize`` (``1m``…``59m``, ``1h``…``23h``, ``1d``…``7d``; default ``1d``) → ms. ValueError if invalid."""
    if raw is None or raw == "":
        return DAY_MS
    m = _WINDOW_RE.match(raw)
    if not m:
        raise ValueError(f"invalid windowSize {raw!r}")
    n, unit = int(m.group(1)), m.group(2)
    limit, unit_ms = _WINDOW_LIMITS[unit]
    if n > limit:
        raise ValueError(f"invalid windowSize {raw!r}")
    return n * unit_ms


def rolling_open_ms(now_ms: int, window_ms: int) -> int:
    """``openTime`` of a rolling-window ticker: the minute boundary ``windowSize`` before the current minute."""
    return now_ms // MINUTE_MS * MINUTE_MS - window_ms


def trading_day_open_ms(now_ms: int, tz_offset_ms: int) -> int:
    """Start of the trading day (midnight in the ``timeZone`` offset east of UTC) that ``now_ms`` falls in."""
    return (now_ms + tz_offset_ms) // DAY_MS * DAY_MS - tz_offset_ms


def _change(s: WindowStats) -> dict:
    k = s.kline
    change = k.close - k.open
    pct = (change * 100 / k.open).quantize(_PCT) if k.open else _ZERO.quantize(_PCT)
    wavg = (k.quote_volume / k.volume).quantize(Decimal("0.00000001")) if k.volume else _ZERO
    return {"priceChange": _f8(change), "priceChangePercent": f"{pct:.3f}", "weightedAvgPrice": _f8(wavg)}


def _tail(s: WindowStats) -> dict:
    k = s.kline
    count = s.last_id - s.first_id + 1 if s.first_id >= 0 else 0
    return {"openPrice": _f8(k.open), "highPrice": _f8(k.high), "lowPrice": _f8(k.low), "lastPrice": _f8(k.close),
            "volume": _f8(k.volume), "quoteVolume": _f8(k.quote_volume), "openTime": s.open_ms,
            "closeTime": s.close_ms, "firstId": s.first_id, "lastId": s.last_id, "count": count}


def ticker_24hr(symbol: str, stats: WindowStats, *, full: bool = True, book: BookTop | None = None) -> dict:
    """One ``/ticker/24hr`` object (FULL by default, MINI with ``full=False``)."""
    tail = _tail(stats)
    if not full:
        return {"symbol": symbol, **tail}
    b = book or BookTop()
    return {
        "symbol": symbol, **_change(stats), "prevClosePrice": _f8(stats.prev_close), "lastPrice": tail["lastPrice"],
        "lastQty": _f8(stats.last_qty), "bidPrice": _f8(b.bid_price or _ZERO), "bidQty": _f8(b.bid_qty or _ZERO),
        "askPrice": _f8(b.ask_price or _ZERO), "askQty": _f8(b.ask_qty or _ZERO),
        **{k: v for k, v in tail.items() if k != "lastPrice"},
    }


def rolling_ticker(symbol: str, stats: WindowStats, *, full: bool = True) -> dict:
    """One ``/ticker`` (rolling window) object: FULL adds priceChange, priceChangePercent, weightedAvgPrice."""
    return {"symbol": symbol, **(_change(stats) if full else {}), **_tail(stats)}


def trading_day_ticker(symbol: str, stats: WindowStats, *, full: bool = True) -> dict:
    """One ``/ticker/tradingDay`` object: the statistics so far of the day that opened at ``stats.open_ms``;
    ``closeTime`` is the day's last millisecond, as Binance reports it."""
    return {**rolling_ticker(symbol, stats, full=full), "closeTime": stats.open_ms + DAY_MS - 1}


def avg_price(price: Decimal, close_ms: int, mins: int = 5) -> dict:
    """``/avgPrice`` body; ``price`` from :meth:`MarketHistory.avg_price`."""
    return {"mins": mins, "price": _f8(price), "closeTime": close_ms}


def price_ticker(symbol: str, price: Decimal) -> dict:
    """One ``/ticker/price`` object."""
    return {"symbol": symbol, "price": _f8(price)}


def book_ticker(symbol: str, book: BookTop) -> dict:
    """One ``/ticker/bookTicker`` object (an empty side renders as zeros)."""
    return {"symbol": symbol, "bidPrice": _f8(book.bid_price or _ZERO), "bidQty": _f8(book.bid_qty or _ZERO),
            "askPrice": _f8(book.ask_price or _ZERO), "askQty": _f8(book.ask_qty or _ZERO)}
