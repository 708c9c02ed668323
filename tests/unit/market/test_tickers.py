from decimal import Decimal as D

import pytest

from minance.market.intervals import DAY_MS, HOUR_MS, MINUTE_MS
from minance.market.klines import Kline
from minance.market.tickers import (
    BookTop,
    WindowStats,
    avg_price,
    book_ticker,
    parse_window_size,
    price_ticker,
    rolling_open_ms,
    rolling_ticker,
    ticker_24hr,
)

NOW = 1_641_287_867_099  # Binance's documented example: 2022-01-04 09:17:47.099 UTC


def stats(first_id=100, last_id=149, volume=D("10"), quote=D("1005")):
    k = Kline(NOW - DAY_MS, NOW, D("100"), D("110.5"), D("95"), D("104"), volume, quote, 50, D("4"), D("410"))
    return WindowStats(NOW - DAY_MS, NOW, k, D("99.5"), D("0.25"), first_id, last_id)


def test_ticker_24hr_full_fields_order_and_math():
    t = ticker_24hr("BTCUSDT", stats(), book=BookTop(D("103.9"), D("1.5"), D("104.1"), D("2")))
    assert list(t) == ["symbol", "priceChange", "priceChangePercent", "weightedAvgPrice", "prevClosePrice",
                       "lastPrice", "lastQty", "bidPrice", "bidQty", "askPrice", "askQty", "openPrice", "highPrice",
                       "lowPrice", "volume", "quoteVolume", "openTime", "closeTime", "firstId", "lastId", "count"]
    assert t["priceChange"] == "4.00000000" and t["priceChangePercent"] == "4.000"
    assert t["weightedAvgPrice"] == "100.50000000" and t["prevClosePrice"] == "99.50000000"
    assert t["lastPrice"] == "104.00000000" and t["lastQty"] == "0.25000000"
    assert (t["bidPrice"], t["askQty"]) == ("103.90000000", "2.00000000")
    assert (t["openTime"], t["closeTime"], t["firstId"], t["lastId"], t["count"]) == (NOW - DAY_MS, NOW, 100, 149, 50)


def test_ticker_24hr_mini_and_empty_windows():
    t = ticker_24hr("BTCUSDT", stats(-1, -1, D(0), D(0)), full=False)
    assert list(t) == ["symbol", "openPrice", "highPrice", "lowPrice", "lastPrice", "volume", "quoteVolume",
                       "openTime", "closeTime", "firstId", "lastId", "count"]
    assert (t["firstId"], t["lastId"], t["count"], t["volume"]) == (-1, -1, 0, "0.00000000")
    full = ticker_24hr("BTCUSDT", stats(-1, -1, D(0), D(0)))
    assert full["weightedAvgPrice"] == "0.00000000" and full["bidPrice"] == "0.00000000"


def test_rolling_ticker():
    full = rolling_ticker("ETHUSDT", stats())
    assert list(full) == ["symbol", "priceChange", "priceChangePercent", "weightedAvgPrice", "openPrice",
                          "highPrice", "lowPrice", "lastPrice", "volume", "quoteVolume", "openTime", "closeTime",
                          "firstId", "lastId", "count"]
    mini = rolling_ticker("ETHUSDT", stats(), full=False)
    assert "priceChange" not in mini and mini["lastPrice"] == "104.00000000"
    negative = WindowStats(0, 1, Kline(0, 1, D(3), D(3), D(1), D(1), D(0), D(0), 0, D(0), D(0)), D(3), D(0), -1, -1)
    assert rolling_ticker("X", negative)["priceChangePercent"] == "-66.667"


@pytest.mark.parametrize(("raw", "ms"), [(None, DAY_MS), ("1m", MINUTE_MS), ("59m", 59 * MINUTE_MS),
                                         ("1h", HOUR_MS), ("23h", 23 * HOUR_MS), ("7d", 7 * DAY_MS)])
def test_window_sizes(raw, ms):
    assert parse_window_size(raw) == ms


@pytest.mark.parametrize("raw", ["0m", "60m", "24h", "8d", "1w", "1d2h", "1M", "m", "01m"])
def test_window_sizes_rejected(raw):
    with pytest.raises(ValueError):
        parse_window_size(raw)


def test_rolling_window_opens_on_a_minute():
    assert rolling_open_ms(NOW, parse_window_size("1d")) == 1_641_201_420_000  # the documented example


def test_small_bodies():
    assert avg_price(D("9.35751834"), NOW) == {"mins": 5, "price": "9.35751834", "closeTime": NOW}
    assert price_ticker("BNBBTC", D("0.006841")) == {"symbol": "BNBBTC", "price": "0.00684100"}
    assert book_ticker("BTCUSDT", BookTop()) == {"symbol": "BTCUSDT", "bidPrice": "0.00000000",
                                                 "bidQty": "0.00000000", "askPrice": "0.00000000",
                                                 "askQty": "0.00000000"}
