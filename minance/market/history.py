"""The market's history: the replay feed merged with klines built from local trades.

**Merge rule (per UTC minute).** A minute in which the exchange has at least one local trade is served entirely
from the local trades (open = first trade, high/low from the trades, volumes and count of local trades, trade
ids); every other minute — all minutes before the exchange started trading, and quiet minutes after — is the
feed's minute (synthetic or files). Every interval is aggregated from that sequence of minutes, so a 1h candle
is always the exact aggregate of its 1m candles. A 1 s candle inside a local minute with no local trade in that
second is flat at the previous price with zero volume (Binance's rendering of an empty bucket).

History starts at ``earliest_ms`` (a configurable depth, e.g. 365 days before the trading start); nothing
earlier is ever returned, so ``startTime=0&limit=1`` finds the first kline and pagers terminate.

The replayed price (``feed.price_at``) stays the market maker's reference; :meth:`MarketHistory.last_price` is
what tickers report (the last local trade during a local minute, the replay otherwise).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from minance.market.feed import Feed
from minance.market.intervals import DAY_MS, MINUTE_MS, SECOND_MS, bucket_open, next_open
from minance.market.klines import LIMIT_DEFAULT, Kline, KlineBuilder, KlineSource, Trade, combine, flat, select
from minance.market.tickers import WindowStats

__all__ = ["MarketHistory", "default_earliest_ms"]

_Q8 = Decimal("0.00000001")


def default_earliest_ms(trading_start_ms: int, depth_days: int = 365) -> int:
    """Start of history: midnight UTC ``depth_days`` before the trading start."""
    return (trading_start_ms - depth_days * DAY_MS) // DAY_MS * DAY_MS


class _Source:
    """A :class:`KlineSource` view of one symbol."""

    def __init__(self, history: MarketHistory, symbol: str) -> None:
        self._h, self._symbol = history, symbol

    def earliest_ms(self) -> int:
        return self._h.earliest_ms

    def aggregate(self, start_ms: int, end_ms: int) -> Kline | None:
        return self._h.aggregate(self._symbol, start_ms, end_ms)


class MarketHistory:
    """Kline history of every symbol; the server feeds it each local trade with :meth:`record`."""

    def __init__(self, feed: Feed, *, earliest_ms: int, symbols: Iterable[str] = ()) -> None:
        self.feed = feed
        self.earliest_ms = earliest_ms
        self._builders: dict[str, KlineBuilder] = {s: KlineBuilder() for s in symbols}

    def builder(self, symbol: str) -> KlineBuilder:
        b = self._builders.get(symbol)
        if b is None:
            b = self._builders[symbol] = KlineBuilder()
        return b

    def record(self, symbol: str, trade: Trade, *, tape: bool = False) -> None:
        """Fold one local trade (in time order) into the history. ``tape``: a print of the replayed market
        (venue/driver.py) — counted in tickers' trade ids, but its minute stays the feed's (the history
        continues the feed's volumes and trade counts across the server's start)."""
        if tape:
            self.builder(symbol).note(trade)
        else:
            self.builder(symbol).add(trade)

    def source(self, symbol: str) -> KlineSource:
        return _Source(self, symbol)

    # --- candles ---

    def minute(self, symbol: str, open_ms: int) -> Kline:
        """The merged 1m candle opening at ``open_ms`` (complete minutes only)."""
        b = self._builders.get(symbol)
        local = b.minute(open_ms) if b is not None else None
        return local if local is not None else self.feed.kline_1m(symbol, open_ms)

    def aggregate(self, symbol: str, start_ms: int, end_ms: int) -> Kline | None:
        """The merged candle of [start_ms, end_ms) clipped to the earliest time (second resolution).

        ``end_ms`` may fall inside a second (``now + 1`` for the open candle): the feed's path is read up to it.
        """
        start = max(start_ms, self.earliest_ms) // SECOND_MS * SECOND_MS
        if end_ms <= start:
            return None
        b = self._builders.get(symbol)
        parts: list[Kline | None] = []
        t = start
        for m in (b.minute_opens(start, end_ms) if b is not None else ()):
            if t < m:
                parts.append(self.feed.span(symbol, t, m))
            seg_start, seg_end = max(t, m), min(end_ms, m + MINUTE_MS)
            if seg_start == m and seg_end == m + MINUTE_MS:
                parts.append(b.minute(m))  # type: ignore[union-attr]
            else:
                local = b.span(seg_start, seg_end)  # type: ignore[union-attr]
                parts.append(local or flat(self._price_before(symbol, seg_start), seg_start, seg_end - 1))
            t = seg_end
        if t < end_ms:
            parts.append(self.feed.span(symbol, t, end_ms))
        found = [p for p in parts if p is not None]
        return combine(found, start, end_ms - 1) if found else None

    def _price_before(self, symbol: str, ts_ms: int) -> Decimal:
        """The merged price just before ``ts_ms`` (used to render empty local buckets flat)."""
        m = ts_ms // MINUTE_MS * MINUTE_MS
        b = self._builders.get(symbol)
        if b is not None and b.has_minute(m):
            last = b.last_before(ts_ms)
            if last is not None and last[0] >= m:
                return last[1]
        if m - MINUTE_MS < self.earliest_ms:
            return self.feed.price_at(symbol, m)
        return self.minute(symbol, m - MINUTE_MS).close

    def klines(self, symbol: str, interval: str, *, now_ms: int, start_ms: int | None = None,
               end_ms: int | None = None, limit: int = LIMIT_DEFAULT, tz_offset_ms: int = 0) -> list[Kline]:
        """``/klines`` and ``/uiKlines`` selection (see :func:`minance.market.klines.select`)."""
        return select(self.source(symbol), interval, now_ms=now_ms, start_ms=start_ms, end_ms=end_ms, limit=limit,
                      tz_offset_ms=tz_offset_ms)

    def current(self, symbol: str, interval: str, now_ms: int, tz_offset_ms: int = 0) -> Kline:
        """The open candle of ``interval`` at ``now_ms`` (for ``<symbol>@kline_<interval>`` streams)."""
        o = bucket_open(interval, now_ms, tz_offset_ms)
        end = next_open(interval, o, tz_offset_ms)
        k = self.aggregate(symbol, o, now_ms + 1)
        assert k is not None, "now is before the start of history"
        return k.relabel(o, end - 1)

    # --- prices and windows ---

    def last_price(self, symbol: str, now_ms: int) -> Decimal:
        """Latest price: the last local trade during a local minute, else the replayed price."""
        m = now_ms // MINUTE_MS * MINUTE_MS
        b = self._builders.get(symbol)
        if b is not None and b.has_minute(m) and b.last_trade is not None:
            return b.last_trade.price
        return self.feed.price_at(symbol, now_ms)

    def avg_price(self, symbol: str, now_ms: int, mins: int = 5) -> Decimal:
        """VWAP of the last ``mins`` minutes to 8 decimals (``/avgPrice`` and the PERCENT_PRICE filters)."""
        # Up to the last whole second: the replayed feed has second resolution and is read to the millisecond
        # inside the open second, so without this the average would drift every millisecond between trades.
        end_ms = now_ms // SECOND_MS * SECOND_MS
        k = self.aggregate(symbol, end_ms - mins * MINUTE_MS, end_ms)
        if k is None or not k.volume:
            return self.last_price(symbol, now_ms)
        return (k.quote_volume / k.volume).quantize(_Q8)

    def window(self, symbol: str, open_ms: int, now_ms: int) -> WindowStats:
        """Ticker inputs for [open_ms, now_ms] (see :mod:`minance.market.tickers`)."""
        k = self.aggregate(symbol, open_ms, now_ms + 1)
        assert k is not None, "now is before the start of history"
        k = k.relabel(open_ms, now_ms)
        first_second = open_ms // SECOND_MS * SECOND_MS  # data resolution: the window opens on this second
        prev = self.aggregate(symbol, first_second - SECOND_MS, first_second)
        b = self._builders.get(symbol)
        first, last = b.trade_ids(open_ms, now_ms) if b is not None else (-1, -1)
        last_qty = Decimal(0)
        if b is not None and b.last_trade is not None and b.has_minute(now_ms // MINUTE_MS * MINUTE_MS):
            last_qty = b.last_trade.qty
        return WindowStats(open_ms, now_ms, k, prev.close if prev is not None else k.open, last_qty, first, last)
