import itertools
from decimal import Decimal as D

import pytest

from minance.market.feed import SyntheticFeed
from minance.market.history import MarketHistory, default_earliest_ms
from minance.market.intervals import DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS, bucket_open
from minance.market.klines import Trade, combine

NOW = 1_764_000_000_000 + 7 * HOUR_MS + 23 * MINUTE_MS + 41_250  # mid-minute
START = NOW - 2 * HOUR_MS  # the exchange started trading two hours ago


@pytest.fixture(scope="module")
def feed():
    return SyntheticFeed(seed=0)


@pytest.fixture
def history(feed):
    return MarketHistory(feed, earliest_ms=default_earliest_ms(START, depth_days=30), symbols=["BTCUSDT"])


def trade(history, i, price, qty, ts, buyer_maker=False, symbol="BTCUSDT"):
    p, q = D(price), D(qty)
    history.record(symbol, Trade(i, p, q, p * q, ts, buyer_maker))


def test_feed_minutes_before_local_trades(history, feed):
    m = NOW // MINUTE_MS * MINUTE_MS - 10 * MINUTE_MS
    ks = history.klines("BTCUSDT", "1m", now_ms=NOW, start_ms=m, limit=3)
    assert ks == [feed.kline_1m("BTCUSDT", m + i * MINUTE_MS) for i in range(3)]
    last = history.klines("BTCUSDT", "1m", now_ms=NOW, limit=1)[0]
    assert last.open_ms == NOW // MINUTE_MS * MINUTE_MS and last.close_ms == last.open_ms + MINUTE_MS - 1
    assert last.close == feed.price_at("BTCUSDT", NOW) == history.last_price("BTCUSDT", NOW)
    assert history.current("BTCUSDT", "1m", NOW) == last


def test_local_minutes_replace_feed_minutes(history, feed):
    m = NOW // MINUTE_MS * MINUTE_MS - 5 * MINUTE_MS
    trade(history, 1, "95000.00", "0.2", m + 10_500)
    trade(history, 2, "95010.00", "0.1", m + 10_700, buyer_maker=True)
    trade(history, 3, "94990.00", "0.3", m + 40_000)
    ks = history.klines("BTCUSDT", "1m", now_ms=NOW, start_ms=m - MINUTE_MS, limit=3)
    assert ks[0] == feed.kline_1m("BTCUSDT", m - MINUTE_MS)
    local = ks[1]
    assert (local.open, local.high, local.low, local.close) == (D("95000.00"), D("95010.00"), D("94990.00"),
                                                                D("94990.00"))
    assert local.volume == D("0.6") and local.trades == 3 and (local.first_trade_id, local.last_trade_id) == (1, 3)
    assert local.taker_buy_volume == D("0.5")
    assert ks[2] == feed.kline_1m("BTCUSDT", m + MINUTE_MS)
    # every interval is the aggregate of the merged minutes
    h = bucket_open("1h", m)
    minutes = history.klines("BTCUSDT", "1m", now_ms=NOW, start_ms=h, limit=60)
    hour = history.klines("BTCUSDT", "1h", now_ms=NOW, start_ms=h, limit=1)[0]
    assert hour == combine(minutes, h, h + HOUR_MS - 1)
    # 1s buckets of a local minute: trades, or flat at the previous price with no volume
    s = history.klines("BTCUSDT", "1s", now_ms=NOW, start_ms=m + 9_000, limit=3)
    prev_close = feed.kline_1m("BTCUSDT", m - MINUTE_MS).close
    assert (s[0].open, s[0].close, s[0].volume) == (prev_close, prev_close, 0)
    assert (s[1].open, s[1].high, s[1].close, s[1].trades) == (D("95000.00"), D("95010.00"), D("95010.00"), 2)
    assert (s[2].open, s[2].close, s[2].volume) == (D("95010.00"), D("95010.00"), 0)


def test_open_minute_with_local_trades(history):
    m = NOW // MINUTE_MS * MINUTE_MS
    trade(history, 7, "95100.00", "0.01", m + 2_000)
    cur = history.current("BTCUSDT", "1m", NOW)
    assert (cur.open, cur.close, cur.trades, cur.close_ms) == (D("95100.00"), D("95100.00"), 1, m + MINUTE_MS - 1)
    assert history.last_price("BTCUSDT", NOW) == D("95100.00")
    assert history.last_price("BTCUSDT", NOW + MINUTE_MS) == history.feed.price_at("BTCUSDT", NOW + MINUTE_MS)


def test_earliest_kline_and_nothing_before(history):
    earliest = history.earliest_ms
    assert earliest == (START - 30 * DAY_MS) // DAY_MS * DAY_MS
    for interval in ("1s", "1m", "1h", "1d", "3d", "1w", "1M"):
        first = history.klines("BTCUSDT", interval, now_ms=NOW, start_ms=0, end_ms=NOW, limit=1)
        assert first[0].open_ms == bucket_open(interval, earliest)
        before = history.klines("BTCUSDT", interval, now_ms=NOW, end_ms=earliest - 1, limit=5)
        assert before == [] or (interval in ("3d", "1w", "1M") and before[0].open_ms < earliest)
    assert history.aggregate("BTCUSDT", 0, earliest) is None


def _interval_to_ms(interval):  # python-binance's helper (None for 1M)
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    try:
        return int(interval[:-1]) * units[interval[-1]] * 1000
    except (ValueError, KeyError):
        return None


def python_binance_historical_klines(get_klines, interval, start_ts=None, end_ts=None, limit=None, max_calls=100):
    """A faithful copy of python-binance 1.0.x Client._historical_klines (without the sleeps)."""
    initial_limit_set = True
    if limit is None:
        limit = 1000
        initial_limit_set = False
    output = []
    timeframe = _interval_to_ms(interval)
    if start_ts is not None:
        start_ts = max(start_ts, get_klines(limit=1, startTime=0, endTime=NOW)[0][0])
    if end_ts and start_ts and end_ts <= start_ts:
        return output, 0
    calls = 0
    while True:
        calls += 1
        assert calls <= max_calls, "python-binance would loop forever"
        temp = get_klines(limit=limit, startTime=start_ts, endTime=end_ts)
        if temp:
            output += temp
        if initial_limit_set and len(output) > limit:
            output = output[:limit]
            break
        if not len(temp) or len(temp) < limit:
            break
        start_ts = temp[-1][0] + timeframe
        if end_ts and start_ts >= end_ts:
            break
    return output, calls


@pytest.mark.parametrize(("interval", "start", "end", "expected_rows"), [
    ("1m", NOW - 2 * DAY_MS, None, 2 * 1440),  # starts at the next whole minute
    ("1m", NOW - 2 * DAY_MS - 30_000, NOW - DAY_MS, 1440),
    ("1h", 0, None, None),
    ("1d", 0, None, 31),
    ("1w", 0, None, None),
])
def test_python_binance_backfill_terminates(history, interval, start, end, expected_rows):
    clock = {"now": NOW}

    def get_klines(limit, startTime=None, endTime=None):
        return [k.row() for k in history.klines("BTCUSDT", interval, now_ms=clock["now"], start_ms=startTime,
                                                end_ms=endTime, limit=limit)]

    rows, calls = python_binance_historical_klines(get_klines, interval, start, end)
    opens = [r[0] for r in rows]
    assert opens == sorted(set(opens))  # no duplicates, in order
    step = _interval_to_ms(interval)
    assert all(b - a == step for a, b in itertools.pairwise(opens))  # no gaps
    assert opens[-1] == bucket_open(interval, end if end else NOW)
    if expected_rows is not None:
        assert len(rows) == expected_rows
    assert calls <= len(rows) // 1000 + 1


def test_python_binance_backfill_terminates_while_the_market_runs_fast(history):
    clock = {"now": NOW}

    def get_klines(limit, startTime=None, endTime=None):
        clock["now"] += 50 * MINUTE_MS  # a market replayed at high speed
        return [k.row() for k in history.klines("BTCUSDT", "1m", now_ms=clock["now"], start_ms=startTime,
                                                end_ms=endTime, limit=limit)]

    rows, calls = python_binance_historical_klines(get_klines, "1m", NOW - DAY_MS)
    assert calls < 10 and rows[-1][0] == bucket_open("1m", clock["now"])


def test_avg_price_and_window(history, feed):
    m = NOW // MINUTE_MS * MINUTE_MS
    second = NOW // SECOND_MS * SECOND_MS  # the average stops at the last whole second (stable between trades)
    k = history.aggregate("BTCUSDT", second - 5 * MINUTE_MS, second)
    assert history.avg_price("BTCUSDT", NOW) == (k.quote_volume / k.volume).quantize(D("0.00000001"))
    assert history.avg_price("BTCUSDT", second + 999) == history.avg_price("BTCUSDT", second)
    trade(history, 20, "95000.00", "1", m - 3 * HOUR_MS + 5)
    trade(history, 21, "95001.00", "2", m + 1_000)
    w = history.window("BTCUSDT", NOW - DAY_MS, NOW)
    assert (w.open_ms, w.close_ms, w.first_id, w.last_id, w.last_qty) == (NOW - DAY_MS, NOW, 20, 21, D(2))
    assert w.kline.close == D("95001.00") and w.kline.open == feed.price_at("BTCUSDT", (NOW - DAY_MS) // SECOND_MS
                                                                           * SECOND_MS)
    assert w.prev_close == feed.kline_1s("BTCUSDT", (NOW - DAY_MS) // SECOND_MS * SECOND_MS - SECOND_MS).close
    quiet = history.window("ETHUSDT", NOW - HOUR_MS, NOW)
    assert (quiet.first_id, quiet.last_id, quiet.last_qty) == (-1, -1, 0)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # python-binance imports legacy websockets
def test_the_real_python_binance_pager(history):
    """python-binance's own get_historical_klines, with its HTTP call replaced by the history."""
    from binance.client import Client

    client = Client(ping=False)
    calls = []

    def klines(klines_type=None, **params):
        calls.append(params)
        return [k.row() for k in history.klines(params["symbol"], params["interval"], now_ms=NOW,
                                                start_ms=params.get("startTime"), end_ms=params.get("endTime"),
                                                limit=params.get("limit", 500))]

    client._klines = klines
    rows = client.get_historical_klines("BTCUSDT", "1m", NOW - 2 * DAY_MS + 5)
    assert calls[0]["startTime"] == 0 and calls[0]["limit"] == 1  # the earliest-kline probe
    assert len(calls) == 4 and len(rows) == 2 * 1440
    assert rows[-1][0] == bucket_open("1m", NOW)
    rows = client.get_historical_klines("BTCUSDT", "1d", "1 Jan 2017")
    assert rows[0][0] == history.earliest_ms and len(rows) == 31
