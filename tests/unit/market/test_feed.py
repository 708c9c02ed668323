import itertools
import math
import random
from decimal import Decimal as D

import pytest

from minance.domain.symbols import DEFAULT_SYMBOLS
from minance.market.feed import DEFAULT_DRIVERS, RoutedFeed, SyntheticFeed
from minance.market.intervals import DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS
from minance.market.klines import combine

T = 1_735_689_600_000  # 2025-01-01 00:00 UTC
SYMBOLS = ["BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "ETHBTC", "BNBBTC"]


@pytest.fixture(scope="module")
def feed():
    return SyntheticFeed(seed=0)


def test_golden_values_pin_the_generator(feed):
    # Same seed → same market on every machine (integer/IEEE-basic arithmetic only). Changing the generator
    # changes these on purpose: update them together with the changelog.
    assert feed.kline_1m("BTCUSDT", T + 12 * MINUTE_MS).row() == [
        1735690320000, "87977.31000000", "87979.34000000", "87921.86000000", "87942.85000000", "2.08059000",
        1735690379999, "182803.29826850", 225, "0.82385000", "72388.73562482", "0"]
    assert feed.kline_1m("ETHBTC", T + 12 * MINUTE_MS).row() == [
        1735690320000, "0.03606000", "0.03609000", "0.03604000", "0.03607000", "13.38380000", 1735690379999,
        "0.48400281", 73, "7.37510000", "0.26667593", "0"]
    assert feed.price_at("SOLUSDT", T + 12_345_678) == D("163.64")


def test_random_access_equals_sequential_and_seed_matters():
    minutes = [T + i * MINUTE_MS for i in range(0, 6 * 60, 7)] + [T - 400 * DAY_MS, T + 3000 * DAY_MS]
    seq = SyntheticFeed(seed=5)
    forward = {(s, m): seq.kline_1m(s, m) for s in SYMBOLS for m in minutes}
    shuffled = list(forward)
    random.Random(1).shuffle(shuffled)
    fresh = SyntheticFeed(seed=5)
    assert all(fresh.kline_1m(s, m) == forward[(s, m)] for s, m in shuffled)
    other = SyntheticFeed(seed=6)
    assert sum(other.kline_1m(s, m) != forward[(s, m)] for s, m in shuffled) > len(shuffled) * 0.9


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_candles_are_well_formed_and_continuous(feed, symbol):
    spec = DEFAULT_SYMBOLS[symbol]
    prev = None
    for i in range(120):
        k = feed.kline_1m(symbol, T + 5 * HOUR_MS + i * MINUTE_MS)
        assert k.low <= min(k.open, k.close) <= max(k.open, k.close) <= k.high
        for p in (k.open, k.high, k.low, k.close):
            assert p > 0 and p % spec.tick_size == 0
        assert k.volume % spec.step_size == 0 and k.volume >= 0
        assert 0 <= k.taker_buy_volume <= k.volume and 0 <= k.taker_buy_quote_volume <= k.quote_volume
        if k.volume:
            assert k.low * D("0.98") <= k.quote_volume / k.volume <= k.high * D("1.02")
        if prev is not None:
            assert k.open == prev.close
        prev = k


@pytest.mark.parametrize("symbol", ["BTCUSDT", "SOLUSDT", "ETHBTC"])
def test_coarse_spans_are_exact_aggregates(feed, symbol):
    hour = T + 7 * HOUR_MS
    minutes = [feed.kline_1m(symbol, hour + i * MINUTE_MS) for i in range(60)]
    assert feed.span(symbol, hour, hour + HOUR_MS) == combine(minutes, hour, hour + HOUR_MS - 1)
    day = T + 3 * DAY_MS
    hours = [feed.span(symbol, day + j * HOUR_MS, day + (j + 1) * HOUR_MS) for j in range(24)]
    assert feed.span(symbol, day, day + DAY_MS) == combine(hours, day, day + DAY_MS - 1)
    seconds = [feed.kline_1s(symbol, hour + s * SECOND_MS) for s in range(60)]
    assert combine(seconds, hour, hour + MINUTE_MS - 1) == minutes[0]
    # an odd span mixes days, hours, minutes and seconds
    a, b = day - 90_500, day + DAY_MS + HOUR_MS + 61_000
    parts = [feed.span(symbol, a, day), feed.span(symbol, day, day + DAY_MS),
             feed.span(symbol, day + DAY_MS, b)]
    assert feed.span(symbol, a, b) == combine(parts, a, b - 1)


@pytest.mark.parametrize("symbol", ["BTCUSDT", "ETHBTC"])
def test_price_path_stays_in_the_minute_and_reaches_extremes(feed, symbol):
    m = T + 11 * HOUR_MS + 17 * MINUTE_MS
    k = feed.kline_1m(symbol, m)
    assert feed.price_at(symbol, m) == k.open
    assert feed.price_at(symbol, m + MINUTE_MS) == feed.kline_1m(symbol, m + MINUTE_MS).open == k.close
    prices = [feed.price_at(symbol, m + t) for t in range(0, MINUTE_MS, 250)]
    assert k.low <= min(prices) and max(prices) <= k.high
    seconds = [feed.kline_1s(symbol, m + s * SECOND_MS) for s in range(60)]
    assert max(s.high for s in seconds) == k.high and min(s.low for s in seconds) == k.low
    now = m + 31_337
    part = feed.span(symbol, m, now + 1)
    assert part.open == k.open and part.close == feed.price_at(symbol, now)
    assert k.low <= part.low <= part.high <= k.high and part.volume <= k.volume


@pytest.mark.parametrize(("cross", "num", "den"), [("ETHBTC", "ETHUSDT", "BTCUSDT"), ("BNBBTC", "BNBUSDT", "BTCUSDT")])
def test_cross_pairs_are_the_ratio_of_their_legs(feed, cross, num, den):
    tick = DEFAULT_SYMBOLS[cross].tick_size
    r = random.Random(2)
    for _ in range(200):
        ts = T + r.randrange(0, 400 * DAY_MS)
        m = ts // MINUTE_MS * MINUTE_MS
        implied = feed.kline_1m(num, m).close / feed.kline_1m(den, m).close
        assert abs(feed.kline_1m(cross, m).close - implied) <= tick
        assert abs(feed.price_at(cross, ts) - feed.price_at(num, ts) / feed.price_at(den, ts)) <= tick


def _log_returns(feed, symbol, start, step, n):
    closes = [float(feed.kline_1m(symbol, start + i * step).close) for i in range(n)]
    return [math.log(b / a) for a, b in itertools.pairwise(closes)]


def _std(xs):
    mu = sum(xs) / len(xs)
    return math.sqrt(sum((x - mu) ** 2 for x in xs) / len(xs))


def test_volatility_is_realistic(feed):
    btc = _log_returns(feed, "BTCUSDT", T, MINUTE_MS, 1440)
    eth = _log_returns(feed, "ETHUSDT", T, MINUTE_MS, 1440)
    ethbtc = _log_returns(feed, "ETHBTC", T, MINUTE_MS, 1440)
    assert 0.0004 < _std(btc) < 0.0012  # ~0.05–0.1 % a minute
    assert 0.0005 < _std(eth) < 0.0016
    assert _std(ethbtc) < _std(eth)  # correlated legs: the cross is calmer than either
    corr = sum(a * b for a, b in zip(btc, eth)) / len(btc) / _std(btc) / _std(eth)
    assert 0.6 < corr < 0.95
    kurtosis = sum((x / _std(btc)) ** 4 for x in btc) / len(btc)
    assert kurtosis > 4  # fat tails
    daily = _log_returns(feed, "BTCUSDT", T - 300 * DAY_MS, DAY_MS, 300)
    assert 0.012 < _std(daily) < 0.05


def test_prices_stay_around_the_anchors_for_years(feed):
    for symbol, driver in DEFAULT_DRIVERS.items():
        closes = [feed.kline_1m(symbol, T + d * DAY_MS).close for d in range(-3650, 3650, 61)]
        assert driver.anchor * D("0.4") < min(closes) and max(closes) < driver.anchor * D("2.5")


def test_routed_feed_serves_each_symbol_from_the_first_feed_that_has_it(feed):
    only_btc = SyntheticFeed(seed=9, specs={"BTCUSDT": DEFAULT_SYMBOLS["BTCUSDT"]})
    routed = RoutedFeed(only_btc, feed)
    assert routed.kline_1m("BTCUSDT", T) == only_btc.kline_1m("BTCUSDT", T) != feed.kline_1m("BTCUSDT", T)
    assert routed.kline_1m("ETHUSDT", T) == feed.kline_1m("ETHUSDT", T)
    assert routed.has("SOLUSDT") and not routed.has("DOGEUSDT")
    with pytest.raises(KeyError):
        routed.price_at("DOGEUSDT", T)
