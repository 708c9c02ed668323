"""Stream names (REFERENCE §5.9) and the control-message validation of a market-stream connection."""

from __future__ import annotations

import pytest

from minance.server.ws.market import valid_id
from minance.server.ws.streams import TZ_PLUS_8_MS, parse_stream


@pytest.mark.parametrize(("name", "kind", "symbol", "extra"), [
    ("btcusdt@trade", "trade", "BTCUSDT", {}),
    ("btcusdt@aggTrade", "aggTrade", "BTCUSDT", {}),
    ("btcusdt@kline_1m", "kline", "BTCUSDT", {"interval": "1m", "tz_ms": 0}),
    ("ethbtc@kline_1M@+08:00", "kline", "ETHBTC", {"interval": "1M", "tz_ms": TZ_PLUS_8_MS}),
    ("btcusdt@kline_1s", "kline", "BTCUSDT", {"interval": "1s"}),
    ("btcusdt@miniTicker", "miniTicker", "BTCUSDT", {}),
    ("btcusdt@ticker", "ticker", "BTCUSDT", {}),
    ("btcusdt@ticker_4h", "rolling", "BTCUSDT", {"interval": "4h"}),
    ("btcusdt@bookTicker", "bookTicker", "BTCUSDT", {}),
    ("btcusdt@avgPrice", "avgPrice", "BTCUSDT", {}),
    ("btcusdt@depth5", "depthPartial", "BTCUSDT", {"levels": 5, "speed_ms": 1000}),
    ("btcusdt@depth20@100ms", "depthPartial", "BTCUSDT", {"levels": 20, "speed_ms": 100}),
    ("btcusdt@depth", "depthDiff", "BTCUSDT", {"speed_ms": 1000}),
    ("btcusdt@depth@100ms", "depthDiff", "BTCUSDT", {"speed_ms": 100}),
    ("btcusdt@depth@1000ms", "depthDiff", "BTCUSDT", {"speed_ms": 1000}),
    ("!miniTicker@arr", "miniTickerArr", None, {}),
    ("!ticker@arr", "tickerArr", None, {}),
    ("!ticker_1h@arr", "rollingArr", None, {"interval": "1h"}),
    ("nosuchcoin@trade", "trade", "NOSUCHCOIN", {}),  # well-formed: accepted, silent (as on Binance)
])
def test_stream_names(name, kind, symbol, extra):
    spec = parse_stream(name)
    assert spec is not None and spec.kind == kind and spec.symbol == symbol and spec.name == name
    for field, value in extra.items():
        assert getattr(spec, field) == value


@pytest.mark.parametrize("name", [
    "0", "1", "", "btcusdt", "BTCUSDT@trade", "btcusdt@trades", "btcusdt@kline_2m", "btcusdt@kline_1m@+09:00",
    "btcusdt@depth15", "btcusdt@depth@250ms", "btcusdt@ticker_2h", "!bookTicker@arr", "btc usdt@trade",
    "btcusdt@trade ", None, 5,
])
def test_not_stream_names(name):
    assert parse_stream(name) is None


@pytest.mark.parametrize(("value", "ok"), [
    (1, True), (0, True), (-(2**63), True), (2**63, False), (None, True), ("abc-DEF_123", True),
    ("x" * 37, False), ("a b", False), (True, False), (1.5, False), ({}, False),
])
def test_control_message_ids(value, ok):
    assert valid_id(value) is ok
