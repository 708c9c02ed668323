"""The market driver's path over a tick (feed path inside a minute, the four-point rule for whole minutes) and
the history's tape prints (counted, but the minute stays the feed's)."""

from __future__ import annotations

from decimal import Decimal

from minance.market.history import MarketHistory
from minance.market.klines import Trade
from minance.market.motion import bar_path
from minance.market.paths import Bar
from minance.venue.driver import tick_path

M = 60_000


class Feed:
    """Minute m: open 100+m, high +5, low −3, close +1 (ticks); its path inside the minute is open→close."""

    def minute_bar(self, symbol, m):
        o = 100 + m
        return Bar(o, o + 5, o - 3, o + 1, 60, 0, 0, 0, 0)

    def path_ticks(self, symbol, t0, t1):
        m = t0 // M
        b = self.minute_bar(symbol, m)
        frac = (t1 - m * M) / M
        return [round(b.o + (b.c - b.o) * frac)]


def test_whole_minutes_follow_the_documented_rule_then_the_next_open():
    points, volume = tick_path(Feed(), "X", 0, 2 * M)
    b0, b1 = Feed().minute_bar("X", 0), Feed().minute_bar("X", 1)
    assert points == [*bar_path(b0.o, b0.h, b0.l, b0.c), *bar_path(b1.o, b1.h, b1.l, b1.c), Feed().minute_bar("X", 2).o]
    assert points[:4] == [100, 97, 105, 101]  # the low (3 away) is nearer the open than the high (5 away)
    assert volume == 120


def test_partial_minutes_use_the_feed_path_and_pro_rata_volume():
    points, volume = tick_path(Feed(), "X", M // 2, M + M // 2)
    assert points[0] == Feed().minute_bar("X", 0).c  # the rest of minute 0 ends at its close
    assert points[-1] == 102 and volume == 60
    assert tick_path(Feed(), "X", None, 10 * M + 5)[0] == [110]


def test_tape_prints_keep_the_feeds_minute():
    class Flat:
        def kline_1m(self, symbol, open_ms):
            from minance.market.klines import Kline

            d = Decimal
            return Kline(open_ms, open_ms + M - 1, d(1), d(2), d(1), d(2), d(7), d(14), 70, d(3), d(6))

    h = MarketHistory(Flat(), earliest_ms=0, symbols=["X"])
    h.record("X", Trade(1, Decimal(2), Decimal("0.5"), Decimal(1), 5 * M + 1, False), tape=True)
    assert h.minute("X", 5 * M).volume == 7  # the feed's minute: a print does not replace it
    assert h.builder("X").trade_ids(0, 10 * M) == (1, 1)  # ... but tickers count it
    h.record("X", Trade(2, Decimal(2), Decimal("0.5"), Decimal(1), 6 * M + 1, False))
    assert h.minute("X", 6 * M).volume == Decimal("0.5")  # a user's trade makes its minute local
