"""Klines: the value type, aggregation, the live-trade builder and Binance's ``/klines`` query semantics.

* :class:`Kline` is one candle with Decimal prices on the symbol's tick; :meth:`Kline.row` renders Binance's
  12-element array.
* :func:`combine` aggregates consecutive klines (open of the first, close of the last, max/min, sums).
* :class:`KlineBuilder` folds local trades into 1 s and 1 m klines (sparse: only buckets with trades) and keeps a
  time index of trade ids, from which klines of every interval are aggregated.
* :func:`select` / :func:`query` implement the paging rules over any :class:`KlineSource` (see
  :class:`minance.market.history.MarketHistory`, which merges the replay feed with local trades):

  - no ``startTime``/``endTime`` → the most recent ``limit`` buckets up to now, the open one included (its close
    is the latest price and its ``closeTime`` is in the future, as on Binance);
  - ``startTime`` → the oldest buckets whose open time is ≥ startTime;
  - ``endTime`` → the most recent buckets whose open time is ≤ endTime;
  - both → from startTime, capped at endTime; ``startTime > endTime`` → empty;
  - nothing before the source's earliest time (so ``startTime=0&limit=1`` returns the first kline there is) and
    nothing after the bucket holding ``now``: a pager that advances ``startTime`` always ends with a short page.

  History is dense: every bucket between the earliest and now exists (a bucket without trades is flat at the
  previous close with zero volume, as on Binance).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Protocol

from minance.market.intervals import MINUTE_MS, SECOND_MS, bucket_open, next_open, prev_open

__all__ = [
    "LIMIT_DEFAULT",
    "LIMIT_MAX",
    "Kline",
    "KlineBuilder",
    "KlineSource",
    "Trade",
    "combine",
    "flat",
    "query",
    "select",
]

LIMIT_DEFAULT = 500
LIMIT_MAX = 1000
_ZERO = Decimal(0)


def _fmt(d: Decimal) -> str:
    return f"{d:.8f}"


@dataclass(frozen=True, slots=True)
class Kline:
    """One candle. ``close_ms`` is Binance's closeTime (inclusive). Trade ids are -1 when no local trade."""

    open_ms: int
    close_ms: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    quote_volume: Decimal
    trades: int
    taker_buy_volume: Decimal
    taker_buy_quote_volume: Decimal
    first_trade_id: int = -1
    last_trade_id: int = -1

    def row(self) -> list:
        """Binance's 12-element kline array (numbers as 8-decimal strings, times and count as ints)."""
        return [self.open_ms, _fmt(self.open), _fmt(self.high), _fmt(self.low), _fmt(self.close),
                _fmt(self.volume), self.close_ms, _fmt(self.quote_volume), self.trades,
                _fmt(self.taker_buy_volume), _fmt(self.taker_buy_quote_volume), "0"]

    def relabel(self, open_ms: int, close_ms: int) -> Kline:
        return replace(self, open_ms=open_ms, close_ms=close_ms)


@dataclass(frozen=True, slots=True)
class Trade:
    """A local trade as the engine reports it (prices and quantities already on the symbol's grid)."""

    id: int
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    ts_ms: int
    is_buyer_maker: bool


def flat(price: Decimal, open_ms: int, close_ms: int) -> Kline:
    """A bucket without trades: o=h=l=c=previous close, zero volume (Binance's rendering)."""
    return Kline(open_ms, close_ms, price, price, price, price, _ZERO, _ZERO, 0, _ZERO, _ZERO)


def combine(parts: Sequence[Kline], open_ms: int | None = None, close_ms: int | None = None) -> Kline:
    """Aggregate consecutive klines (oldest first) into one; times default to the outer ones."""
    first, last = parts[0], parts[-1]
    ids = [k.first_trade_id for k in parts if k.first_trade_id >= 0]
    return Kline(
        first.open_ms if open_ms is None else open_ms,
        last.close_ms if close_ms is None else close_ms,
        first.open, max(k.high for k in parts), min(k.low for k in parts), last.close,
        sum((k.volume for k in parts), _ZERO), sum((k.quote_volume for k in parts), _ZERO),
        sum(k.trades for k in parts),
        sum((k.taker_buy_volume for k in parts), _ZERO), sum((k.taker_buy_quote_volume for k in parts), _ZERO),
        min(ids) if ids else -1, max(k.last_trade_id for k in parts),
    )


class _Acc:
    """Mutable accumulator of one bucket of local trades."""

    __slots__ = ("c", "first", "h", "l", "last", "n", "o", "q", "tq", "tv", "v")

    def __init__(self, t: Trade) -> None:
        self.o = self.h = self.l = self.c = t.price
        self.v, self.q, self.n = _ZERO, _ZERO, 0
        self.tv, self.tq = _ZERO, _ZERO
        self.first = self.last = t.id

    def add(self, t: Trade) -> None:
        self.h = max(self.h, t.price)
        self.l = min(self.l, t.price)
        self.c = t.price
        self.v += t.qty
        self.q += t.quote_qty
        self.n += 1
        if not t.is_buyer_maker:  # the taker bought
            self.tv += t.qty
            self.tq += t.quote_qty
        self.last = t.id

    def kline(self, open_ms: int, close_ms: int) -> Kline:
        return Kline(open_ms, close_ms, self.o, self.h, self.l, self.c, self.v, self.q, self.n, self.tv, self.tq,
                     self.first, self.last)


class KlineBuilder:
    """Folds one symbol's local trades into 1 s and 1 m klines; larger intervals are aggregated from those.

    Trades must arrive in time order (the engine is a single writer); equal timestamps are fine. Only buckets
    with trades are stored, so memory grows with activity, not with time.
    """

    def __init__(self) -> None:
        self._seconds: dict[int, _Acc] = {}
        self._minutes: dict[int, _Acc] = {}
        self._minute_keys: list[int] = []
        self._second_keys: list[int] = []
        self._trade_ts: list[int] = []
        self._trade_ids: list[int] = []
        self._trade_px: list[Decimal] = []
        self.last_trade: Trade | None = None

    def add(self, trade: Trade) -> None:
        if self.last_trade is not None and trade.ts_ms < self.last_trade.ts_ms:
            raise ValueError("trades must be added in time order")
        for store, keys, unit in ((self._seconds, self._second_keys, SECOND_MS),
                                  (self._minutes, self._minute_keys, MINUTE_MS)):
            key = trade.ts_ms // unit * unit
            acc = store.get(key)
            if acc is None:
                acc = store[key] = _Acc(trade)
                keys.append(key)
            acc.add(trade)
        self.note(trade)
        self.last_trade = trade

    def note(self, trade: Trade) -> None:
        """Count a trade's id and price without making its minute local (the market's tape prints: their
        minute stays the feed's, with the feed's volume and trade count)."""
        if self._trade_ts and trade.ts_ms < self._trade_ts[-1]:
            raise ValueError("trades must be added in time order")
        self._trade_ts.append(trade.ts_ms)
        self._trade_ids.append(trade.id)
        self._trade_px.append(trade.price)

    # --- reads ---

    def has_minute(self, minute_open_ms: int) -> bool:
        return minute_open_ms in self._minutes

    def minute_opens(self, start_ms: int, end_ms: int) -> list[int]:
        """Open times of the local minutes that overlap [start_ms, end_ms), oldest first."""
        keys = self._minute_keys
        lo = bisect.bisect_left(keys, start_ms // MINUTE_MS * MINUTE_MS)
        hi = bisect.bisect_left(keys, end_ms)
        return keys[lo:hi]

    def minute(self, open_ms: int) -> Kline | None:
        acc = self._minutes.get(open_ms)
        return None if acc is None else acc.kline(open_ms, open_ms + MINUTE_MS - 1)

    def second(self, open_ms: int) -> Kline | None:
        acc = self._seconds.get(open_ms)
        return None if acc is None else acc.kline(open_ms, open_ms + SECOND_MS - 1)

    def span(self, start_ms: int, end_ms: int) -> Kline | None:
        """Aggregate of the local trades in [start_ms, end_ms) (second resolution; start rounded down)."""
        keys = self._second_keys
        lo = bisect.bisect_left(keys, start_ms // SECOND_MS * SECOND_MS)
        hi = bisect.bisect_left(keys, end_ms)
        if lo == hi:
            return None
        parts = [self._seconds[k].kline(k, k + SECOND_MS - 1) for k in keys[lo:hi]]
        return combine(parts, start_ms, end_ms - 1)

    def last_before(self, ts_ms: int) -> tuple[int, Decimal] | None:
        """(time, price) of the last local trade strictly before ``ts_ms`` (None if there is none)."""
        i = bisect.bisect_left(self._trade_ts, ts_ms)
        if i == 0:
            return None
        return self._trade_ts[i - 1], self._trade_px[i - 1]

    def trade_ids(self, start_ms: int, end_ms: int) -> tuple[int, int]:
        """(first id, last id) of the local trades with start_ms ≤ ts ≤ end_ms; (-1, -1) if none."""
        lo = bisect.bisect_left(self._trade_ts, start_ms)
        hi = bisect.bisect_right(self._trade_ts, end_ms)
        if lo >= hi:
            return -1, -1
        return self._trade_ids[lo], self._trade_ids[hi - 1]

    def kline(self, interval: str, open_ms: int, tz_offset_ms: int = 0) -> Kline | None:
        """Local-only kline of any interval (None if the bucket had no local trade)."""
        end = next_open(interval, open_ms, tz_offset_ms)
        if interval == "1s":
            return self.second(open_ms)
        opens = self.minute_opens(open_ms, end)
        if not opens:
            return None
        return combine([self._minutes[m].kline(m, m + MINUTE_MS - 1) for m in opens], open_ms, end - 1)


class KlineSource(Protocol):
    """What :func:`select` needs: the earliest time with data and an aggregate over any span."""

    def earliest_ms(self) -> int: ...

    def aggregate(self, start_ms: int, end_ms: int) -> Kline | None:
        """The kline of [start_ms, end_ms) (``end_ms`` may be now + 1 for the open bucket)."""
        ...


def select(source: KlineSource, interval: str, *, now_ms: int, start_ms: int | None = None,
           end_ms: int | None = None, limit: int = LIMIT_DEFAULT, tz_offset_ms: int = 0) -> list[Kline]:
    """Binance's kline selection (see the module docstring). ``limit`` is clamped to 1…1000."""
    limit = max(1, min(limit, LIMIT_MAX))
    earliest = source.earliest_ms()
    if now_ms < earliest or (start_ms is not None and end_ms is not None and start_ms > end_ms):
        return []
    lo = bucket_open(interval, earliest, tz_offset_ms)
    hi = bucket_open(interval, now_ms, tz_offset_ms)
    if end_ms is not None:
        hi = min(hi, bucket_open(interval, end_ms, tz_offset_ms))
    if start_ms is not None:
        first = bucket_open(interval, start_ms, tz_offset_ms)
        lo = max(lo, first if first >= start_ms else next_open(interval, first, tz_offset_ms))
    if lo > hi:
        return []
    opens = _walk(interval, lo, hi, limit, tz_offset_ms, forward=start_ms is not None)
    out = []
    for o in opens:
        end = next_open(interval, o, tz_offset_ms)
        k = source.aggregate(max(o, earliest), min(end, now_ms + 1))
        if k is not None:
            out.append(k.relabel(o, end - 1))
    return out


def _walk(interval: str, lo: int, hi: int, limit: int, tz: int, *, forward: bool) -> list[int]:
    opens: list[int] = []
    if forward:
        t = lo
        while t <= hi and len(opens) < limit:
            opens.append(t)
            t = next_open(interval, t, tz)
        return opens
    t = hi
    while t >= lo and len(opens) < limit:
        opens.append(t)
        t = prev_open(interval, t, tz)
    opens.reverse()
    return opens


def query(source: KlineSource, interval: str, *, now_ms: int, start_ms: int | None = None,
          end_ms: int | None = None, limit: int = LIMIT_DEFAULT, tz_offset_ms: int = 0) -> list[list]:
    """:func:`select` rendered as Binance's rows (the body of ``/api/v3/klines`` and ``/uiKlines``)."""
    return [k.row() for k in select(source, interval, now_ms=now_ms, start_ms=start_ms, end_ms=end_ms,
                                    limit=limit, tz_offset_ms=tz_offset_ms)]
