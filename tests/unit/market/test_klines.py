from decimal import Decimal as D

from minance.market.intervals import HOUR_MS, MINUTE_MS, bucket_open, next_open
from minance.market.klines import Kline, KlineBuilder, Trade, combine, flat, query, select

T0 = 1_700_000_000_000 // HOUR_MS * HOUR_MS  # an hour boundary


def trade(i, price, qty, ts, buyer_maker=False):
    p, q = D(price), D(qty)
    return Trade(i, p, q, p * q, ts, buyer_maker)


def test_row_shape_and_formatting():
    k = Kline(T0, T0 + 59_999, D("95000.01"), D("95010"), D("94990.5"), D("95001"), D("1.5"), D("142500.015"), 7,
              D("0.5"), D("47500"))
    assert k.row() == [T0, "95000.01000000", "95010.00000000", "94990.50000000", "95001.00000000", "1.50000000",
                       T0 + 59_999, "142500.01500000", 7, "0.50000000", "47500.00000000", "0"]


def test_builder_folds_trades_into_seconds_minutes_and_any_interval():
    b = KlineBuilder()
    b.add(trade(10, "100", "1", T0 + 1_200))  # taker bought
    b.add(trade(11, "102", "2", T0 + 1_900, buyer_maker=True))  # taker sold
    b.add(trade(12, "99", "0.5", T0 + 30_000))
    b.add(trade(13, "101", "1", T0 + 61_000, buyer_maker=True))
    m0 = b.minute(T0)
    assert (m0.open, m0.high, m0.low, m0.close) == (D(100), D(102), D(99), D(99))
    assert m0.volume == D("3.5") and m0.quote_volume == D("353.5") and m0.trades == 3
    assert m0.taker_buy_volume == D("1.5") and m0.taker_buy_quote_volume == D("149.5")
    assert (m0.first_trade_id, m0.last_trade_id) == (10, 12)
    assert (m0.open_ms, m0.close_ms) == (T0, T0 + MINUTE_MS - 1)
    s1 = b.second(T0 + 1_000)
    assert (s1.open, s1.high, s1.low, s1.close, s1.trades) == (D(100), D(102), D(100), D(102), 2)
    assert b.second(T0 + 2_000) is None
    h = b.kline("1h", T0)
    assert (h.open, h.high, h.low, h.close, h.volume, h.trades) == (D(100), D(102), D(99), D(101), D("4.5"), 4)
    assert (h.first_trade_id, h.last_trade_id, h.close_ms) == (10, 13, T0 + HOUR_MS - 1)
    assert b.kline("1s", T0 + 1_000) == s1
    assert b.kline("1h", T0 + HOUR_MS) is None
    assert b.minute_opens(T0, T0 + HOUR_MS) == [T0, T0 + MINUTE_MS]
    assert b.trade_ids(T0 + 1_900, T0 + 61_000) == (11, 13)
    assert b.trade_ids(T0 + 62_000, T0 + 99_000) == (-1, -1)
    assert b.last_before(T0 + 30_000) == (T0 + 1_900, D(102))
    sp = b.span(T0 + 1_500, T0 + 31_000)
    assert (sp.open, sp.close, sp.trades) == (D(100), D(99), 3)  # second resolution: 1.5 s rounds down to 1 s


def test_builder_rejects_out_of_order_trades():
    b = KlineBuilder()
    b.add(trade(1, "1", "1", T0 + 5))
    b.add(trade(2, "1", "1", T0 + 5))
    try:
        b.add(trade(3, "1", "1", T0 + 4))
    except ValueError:
        pass
    else:
        raise AssertionError("out-of-order trade accepted")


def test_combine_and_flat():
    a = flat(D(5), 0, 999)
    b = Kline(1000, 1999, D(6), D(8), D(4), D(7), D(1), D(6), 1, D(1), D(6), 3, 3)
    c = combine([a, b])
    assert (c.open, c.high, c.low, c.close, c.volume, c.trades) == (D(5), D(8), D(4), D(7), D(1), 1)
    assert (c.open_ms, c.close_ms, c.first_trade_id, c.last_trade_id) == (0, 1999, 3, 3)


class DenseSource:
    """A source with a kline for every minute from ``earliest``; price = minute index."""

    def __init__(self, earliest):
        self.earliest = earliest
        self.calls = 0

    def earliest_ms(self):
        return self.earliest

    def aggregate(self, start_ms, end_ms):
        self.calls += 1
        p = D(start_ms // MINUTE_MS)
        return Kline(start_ms, end_ms - 1, p, p, p, p, D(1), p, 1, D(0), D(0))


def opens(rows):
    return [r[0] for r in rows]


def test_query_paging_semantics():
    earliest = T0 + 10 * MINUTE_MS + 30_000  # mid-minute: the first bucket is the minute holding it
    src = DenseSource(earliest)
    now = T0 + 100 * MINUTE_MS + 5_000
    m = MINUTE_MS
    # no start/end: the latest `limit` up to now, the open minute included (closeTime in the future)
    rows = query(src, "1m", now_ms=now, limit=3)
    assert opens(rows) == [T0 + 98 * m, T0 + 99 * m, T0 + 100 * m]
    assert rows[-1][6] == T0 + 101 * m - 1
    # startTime: oldest from there, open >= start (rounded up to the next bucket)
    assert opens(query(src, "1m", now_ms=now, start_ms=T0 + 20 * m, limit=2)) == [T0 + 20 * m, T0 + 21 * m]
    assert opens(query(src, "1m", now_ms=now, start_ms=T0 + 20 * m + 1, limit=1)) == [T0 + 21 * m]
    # startTime=0&limit=1 → the first kline there is
    assert opens(query(src, "1m", now_ms=now, start_ms=0, end_ms=now, limit=1)) == [T0 + 10 * m]
    # endTime: the latest up to it (open <= end)
    assert opens(query(src, "1m", now_ms=now, end_ms=T0 + 50 * m + 1, limit=2)) == [T0 + 49 * m, T0 + 50 * m]
    # both: from start, capped at end
    assert opens(query(src, "1m", now_ms=now, start_ms=T0 + 20 * m, end_ms=T0 + 22 * m, limit=10)) == [
        T0 + 20 * m, T0 + 21 * m, T0 + 22 * m]
    # nothing after now, nothing before earliest, start > end → empty
    assert query(src, "1m", now_ms=now, start_ms=now + m) == []
    assert query(src, "1m", now_ms=now, end_ms=T0) == []
    assert query(src, "1m", now_ms=now, start_ms=T0 + 30 * m, end_ms=T0 + 20 * m) == []
    # default limit 500, max 1000
    src2 = DenseSource(T0 - 5000 * m)
    assert len(query(src2, "1m", now_ms=now)) == 500
    assert len(query(src2, "1m", now_ms=now, limit=5000)) == 1000


def test_query_partial_buckets_at_both_ends():
    src = DenseSource(T0 + 90 * MINUTE_MS)
    now = T0 + 2 * HOUR_MS + 15 * MINUTE_MS
    ks = select(src, "1h", now_ms=now, start_ms=0)
    assert [k.open_ms for k in ks] == [T0 + HOUR_MS, T0 + 2 * HOUR_MS]
    assert ks[0].open == D((T0 + 90 * MINUTE_MS) // MINUTE_MS)  # first bucket starts at the earliest time
    assert ks[-1].close_ms == T0 + 3 * HOUR_MS - 1


def test_query_calendar_intervals_backwards():
    src = DenseSource(0)
    now = 1_717_200_000_000  # 2024-06-01 00:00 UTC = 08:00 in UTC+8
    tz = 8 * HOUR_MS
    ks = select(src, "1M", now_ms=now, limit=3, tz_offset_ms=tz)
    june, may, april = 1_717_171_200_000, 1_714_492_800_000, 1_711_900_800_000  # local midnights in UTC+8
    assert [k.open_ms for k in ks] == [april, may, june]
    assert bucket_open("1M", now, tz) == june
    assert all(next_open("1M", k.open_ms, tz) - 1 == k.close_ms for k in ks)
