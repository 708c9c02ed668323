"""Market data through unmodified peer clients (python-binance, ccxt with its default options, binance-sdk-spot),
plus raw-HTTP checks of Binance's parameters, weights and errors (REFERENCE §4, §5.1, §5.3).

The shared server runs the live market (maker ladder + tape trader every second), so every symbol has a book,
trades and klines; values move between calls, so the tests check shapes and invariants, not prices.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from decimal import Decimal
from urllib.parse import quote

import pytest

from tests.e2e.test_peers_auth import python_binance, sdk_spot
from tests.support import Credentials, assert_error, assert_ok, assert_weight_headers

SYMBOLS = {"BTCUSDT", "ETHUSDT", "ETHBTC", "BNBUSDT", "BNBBTC", "SOLUSDT", "LTCUSDT"}
DEC8 = re.compile(r"^\d+\.\d{8}$")
MINUTE = 60_000


def arr(*names: str) -> str:
    """A ``symbols``-style JSON array, percent-encoded as ccxt sends it."""
    return quote(json.dumps(list(names), separators=(",", ":")))


def ccxt_default(url: str, creds: Credentials | None = None):
    """ccxt's binance class with its DEFAULT options: only the URLs point here (PEERS.md §1.2 without the three
    options), so load_markets also asks for capital/config/getall, margin pairs and the fapi/dapi exchangeInfo."""
    import ccxt

    config = {"apiKey": creds.api_key, "secret": creds.peer_secret} if creds is not None else {}
    exchange = ccxt.binance(config)
    for name, value in list(exchange.urls["api"].items()):
        if isinstance(value, str):
            exchange.urls["api"][name] = re.sub(r"^https://[^/]+", url, value)
    return exchange


@pytest.fixture
def reader(make_creds) -> Credentials:
    return make_creds("--permissions", "reading,spot")


def weight_of(http, path: str) -> int:
    """The weight one GET costs, from X-MBX-USED-WEIGHT-1M (retried if the minute window rolls over)."""
    for _ in range(3):
        before = assert_weight_headers(http.get("/api/v3/ping"))
        resp = http.get(path)
        after = assert_weight_headers(resp)
        if after > before:
            return after - before
    raise AssertionError("the weight window kept rolling over")


def check_book(bids: list, asks: list) -> None:
    assert bids and asks
    for level in bids + asks:
        assert DEC8.match(level[0]) and DEC8.match(level[1]), level
    bid_prices = [Decimal(p) for p, _ in bids]
    ask_prices = [Decimal(p) for p, _ in asks]
    assert bid_prices == sorted(bid_prices, reverse=True) and ask_prices == sorted(ask_prices)
    assert bid_prices[0] < ask_prices[0]


# -- exchangeInfo / load_markets ------------------------------------------------------------------------------


def test_load_markets_with_ccxt_default_options(server, reader):
    exchange = ccxt_default(server.url, reader)
    markets = exchange.load_markets()
    assert {m["id"] for m in markets.values()} == SYMBOLS
    btc = markets["BTC/USDT"]
    assert btc["spot"] and btc["active"] and btc["precision"]["price"] == 0.01
    assert btc["limits"]["amount"]["min"] == 0.00001 and btc["limits"]["cost"]["min"] == 5
    # fetch_currencies ran through /sapi/v1/capital/config/getall: networks, fees and the account's balance
    usdt = exchange.currencies["USDT"]
    assert {"ERC20", "TRC20", "BEP20"} <= set(usdt["networks"])
    assert usdt["networks"]["TRC20"]["fee"] == 1.0 and usdt["deposit"] and usdt["withdraw"]
    assert exchange.fetch_trading_fees()["BTC/USDT"]["taker"] == 0.001


def test_load_markets_without_keys_and_other_clients(server, reader):
    assert set(ccxt_default(server.url).load_markets()) >= {"BTC/USDT", "ETH/BTC"}
    client = python_binance(server.url, reader)
    info = client.get_exchange_info()
    assert {s["symbol"] for s in info["symbols"]} == SYMBOLS
    assert client.get_symbol_info("ETHBTC")["quoteAsset"] == "BTC"
    sdk = sdk_spot(server.url, reader).exchange_info(symbol="BTCUSDT").data()
    assert [s.symbol for s in sdk.symbols] == ["BTCUSDT"]
    assert sdk.symbols[0].filters[0].actual_instance.filter_type == "PRICE_FILTER"


def test_exchange_info_parameters(http):
    two = assert_ok(http.get(f"/api/v3/exchangeInfo?symbols={arr('ETHBTC', 'BTCUSDT')}"))
    assert [s["symbol"] for s in two["symbols"]] == ["ETHBTC", "BTCUSDT"]
    assert assert_ok(http.get("/api/v3/exchangeInfo?permissions=MARGIN"))["symbols"] == []
    spot = assert_ok(http.get(f"/api/v3/exchangeInfo?permissions={arr('SPOT', 'MARGIN')}"))
    assert len(spot["symbols"]) == len(SYMBOLS)
    assert assert_ok(http.get("/api/v3/exchangeInfo?symbolStatus=HALT"))["symbols"] == []
    assert len(assert_ok(http.get("/api/v3/exchangeInfo?symbolStatus=TRADING"))["symbols"]) == len(SYMBOLS)
    hidden = assert_ok(http.get("/api/v3/exchangeInfo?symbol=BTCUSDT&showPermissionSets=false"))
    assert hidden["symbols"][0]["permissionSets"] == []
    assert_error(http.get("/api/v3/exchangeInfo?symbol=NOPE"), -1121, 400, "Invalid symbol.")
    assert_error(http.get(f"/api/v3/exchangeInfo?symbols={arr('BTCUSDT', 'NOPE')}"), -1121, 400)
    assert_error(http.get("/api/v3/exchangeInfo?symbol=BTCUSDT&symbolStatus=TRADING"), -1128, 400)
    assert_error(http.get("/api/v3/exchangeInfo?symbolStatus=OPEN"), -1122, 400, "Invalid symbolStatus.")
    assert_error(http.get("/api/v3/exchangeInfo?permissions=FUTURES"), -1130, 400,
                 "Data sent for parameter 'permissions' is not valid.")
    for path in ("/fapi/v1/exchangeInfo", "/dapi/v1/exchangeInfo"):
        assert assert_ok(http.get(path))["symbols"] == []


# -- order book and trades ------------------------------------------------------------------------------------


def test_depth_through_every_client(server, http, reader):
    book = python_binance(server.url, reader).get_order_book(symbol="BTCUSDT", limit=5)
    assert len(book["bids"]) == 5 and len(book["asks"]) == 5 and isinstance(book["lastUpdateId"], int)
    check_book(book["bids"], book["asks"])
    ob = ccxt_default(server.url).fetch_order_book("ETH/USDT", 10)
    assert len(ob["bids"]) == 10 and ob["bids"][0][0] < ob["asks"][0][0]
    sdk = sdk_spot(server.url, reader).depth(symbol="SOLUSDT", limit=20).data()
    check_book(sdk.bids, sdk.asks)
    default = assert_ok(http.get("/api/v3/depth?symbol=BNBBTC"))
    check_book(default["bids"], default["asks"])
    assert len(default["bids"]) <= 100


@pytest.mark.parametrize(("limit", "weight"), [(5, 5), (100, 5), (101, 25), (500, 25), (1000, 50), (5000, 250),
                                               (6000, 250)])
def test_depth_weight_follows_the_limit(http, limit, weight):
    assert weight_of(http, f"/api/v3/depth?symbol=BTCUSDT&limit={limit}") == weight


def test_weights_of_the_market_routes(http):
    assert weight_of(http, "/api/v3/trades?symbol=BTCUSDT") == 25
    assert weight_of(http, "/api/v3/aggTrades?symbol=BTCUSDT") == 4
    assert weight_of(http, "/api/v3/klines?symbol=BTCUSDT&interval=1h") == 2
    assert weight_of(http, "/api/v3/ticker/24hr?symbol=BTCUSDT") == 2
    assert weight_of(http, "/api/v3/ticker/24hr") == 80
    assert weight_of(http, f"/api/v3/ticker/24hr?symbols={arr('BTCUSDT', 'ETHUSDT')}") == 2
    assert weight_of(http, "/api/v3/ticker/price") == 4
    assert weight_of(http, "/api/v3/ticker/bookTicker?symbol=BTCUSDT") == 2
    assert weight_of(http, f"/api/v3/ticker?symbols={arr('BTCUSDT', 'ETHUSDT')}") == 8
    assert weight_of(http, "/api/v3/exchangeInfo") == 20


def test_trades_historical_and_aggregate(server, http, reader):
    client = python_binance(server.url, reader)
    recent = client.get_recent_trades(symbol="BTCUSDT", limit=20)
    assert 0 < len(recent) <= 20
    ids = [t["id"] for t in recent]
    assert ids == list(range(ids[0], ids[0] + len(ids)))  # the most recent, oldest first, contiguous
    assert set(recent[0]) == {"id", "price", "qty", "quoteQty", "time", "isBuyerMaker", "isBestMatch"}
    older = client.get_historical_trades(symbol="BTCUSDT", fromId=ids[0], limit=5)
    assert [t["id"] for t in older] == ids[:5]
    agg = client.get_aggregate_trades(symbol="BTCUSDT", limit=10)
    assert agg and set(agg[0]) == {"a", "p", "q", "f", "l", "T", "m", "M"}
    assert [a["a"] for a in client.get_aggregate_trades(symbol="BTCUSDT", fromId=agg[0]["a"], limit=3)] == \
        [a["a"] for a in agg[:3]]
    window = assert_ok(http.get(f"/api/v3/aggTrades?symbol=BTCUSDT&startTime={agg[0]['T']}&endTime={agg[-1]['T']}"))
    assert all(agg[0]["T"] <= a["T"] <= agg[-1]["T"] for a in window)
    trades = ccxt_default(server.url).fetch_trades("ETH/USDT", limit=5)
    assert len(trades) == 5 and all(t["price"] > 0 for t in trades)
    assert sdk_spot(server.url, reader).get_trades(symbol="BNBUSDT", limit=3).data()[0].id > 0


# -- klines --------------------------------------------------------------------------------------------------


def contiguous(rows: list, step_ms: int) -> bool:
    return all(b[0] - a[0] == step_ms for a, b in itertools.pairwise(rows))


def test_python_binance_historical_klines_pages_and_terminates(server, reader):
    client = python_binance(server.url, reader)
    start = int(time.time() * 1000) - 3 * 3600 * 1000
    rows = client.get_historical_klines("BTCUSDT", "1m", start_str=start)  # pages of 1000: one short page
    first = start // MINUTE * MINUTE + (MINUTE if start % MINUTE else 0)
    assert rows[0][0] == first and contiguous(rows, MINUTE)
    assert len(rows) in (180, 181, 182)  # 3 hours of minutes plus the open one (the clock moves meanwhile)
    paged = client.get_historical_klines("BTCUSDT", "5m", start_str=start, limit=10)  # several full pages
    assert len(paged) == 10 and contiguous(paged, 5 * MINUTE)
    end = start + 2 * 3600 * 1000
    bounded = client.get_historical_klines("ETHBTC", "15m", start_str=start, end_str=end)
    assert bounded[0][0] >= start and bounded[-1][0] <= end and contiguous(bounded, 15 * MINUTE)
    for row in rows[:3]:
        assert len(row) == 12 and row[6] == row[0] + MINUTE - 1 and row[11] == "0"
        assert all(DEC8.match(row[i]) for i in (1, 2, 3, 4, 5, 7, 9, 10)) and isinstance(row[8], int)
        assert Decimal(row[3]) <= min(Decimal(row[1]), Decimal(row[4])) <= Decimal(row[2])


def test_klines_through_ccxt_and_the_sdk(server, http, reader):
    since = int(time.time() * 1000) - 10 * 3600 * 1000
    candles = ccxt_default(server.url).fetch_ohlcv("BTC/USDT", "1h", since=since, limit=5)
    assert len(candles) == 5 and contiguous(candles, 3600 * 1000) and candles[0][0] >= since
    sdk = sdk_spot(server.url, reader).klines(symbol="ETHUSDT", interval="1d", limit=3).data()
    assert len(sdk) == 3 and sdk[1][0] - sdk[0][0] == 24 * 3600 * 1000
    ui = assert_ok(http.get("/api/v3/uiKlines?symbol=ETHUSDT&interval=1d&limit=3"))
    assert [r[0] for r in ui] == [r[0] for r in sdk]
    tz = assert_ok(http.get("/api/v3/klines?symbol=BTCUSDT&interval=1d&limit=2&timeZone=8"))
    assert all(r[0] % (24 * 3600 * 1000) == 16 * 3600 * 1000 for r in tz)  # local midnight in UTC+8
    month = assert_ok(http.get("/api/v3/klines?symbol=BTCUSDT&interval=1M&limit=2"))
    assert len(month) == 2 and time.gmtime(month[1][0] / 1000).tm_mday == 1
    assert assert_ok(http.get(f"/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime={since}&endTime={since - 1}")) \
        == []  # startTime after endTime: nothing


def test_klines_errors(http):
    assert_error(http.get("/api/v3/klines?symbol=BTCUSDT&interval=2m"), -1120, 400, "Invalid interval.")
    assert_error(http.get("/api/v3/klines?symbol=BTCUSDT&interval=1H"), -1120, 400)  # case-sensitive
    assert_error(http.get("/api/v3/klines?symbol=BTCUSDT"), -1102, 400,
                 "Mandatory parameter 'interval' was not sent, was empty/null, or malformed.")
    assert len(assert_ok(http.get("/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1001"))) == 1000  # clamped
    assert_error(http.get("/api/v3/klines?symbol=BTCUSDT&interval=1m&timeZone=15"), -1130, 400,
                 "Data sent for parameter 'timeZone' is not valid.")
    assert_error(http.get("/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=abc"), -1100, 400)


# -- tickers and average price ---------------------------------------------------------------------------------


FULL = {"symbol", "priceChange", "priceChangePercent", "weightedAvgPrice", "prevClosePrice", "lastPrice", "lastQty",
        "bidPrice", "bidQty", "askPrice", "askQty", "openPrice", "highPrice", "lowPrice", "volume", "quoteVolume",
        "openTime", "closeTime", "firstId", "lastId", "count"}


def test_tickers_through_every_client(server, http, reader):
    client = python_binance(server.url, reader)
    day = client.get_ticker(symbol="BTCUSDT")
    assert set(day) == FULL and day["closeTime"] - day["openTime"] == 24 * 3600 * 1000
    assert Decimal(day["lowPrice"]) <= Decimal(day["lastPrice"]) <= Decimal(day["highPrice"])
    assert day["count"] == day["lastId"] - day["firstId"] + 1
    prices = client.get_all_tickers()
    assert {p["symbol"] for p in prices} == SYMBOLS and all(DEC8.match(p["price"]) for p in prices)
    book = client.get_orderbook_ticker(symbol="ETHUSDT")
    assert Decimal(book["bidPrice"]) < Decimal(book["askPrice"])
    avg = client.get_avg_price(symbol="BTCUSDT")
    assert avg["mins"] == 5 and DEC8.match(avg["price"]) and isinstance(avg["closeTime"], int)

    exchange = ccxt_default(server.url)
    tickers = exchange.fetch_tickers(["BTC/USDT", "ETH/BTC"])  # symbols=["BTCUSDT","ETHBTC"] percent-encoded
    assert set(tickers) == {"BTC/USDT", "ETH/BTC"} and tickers["BTC/USDT"]["bid"] < tickers["BTC/USDT"]["ask"]
    assert exchange.fetch_ticker("SOL/USDT")["last"] > 0
    assert set(exchange.fetch_bids_asks(["BNB/USDT"])) == {"BNB/USDT"}
    assert set(exchange.fetch_last_prices(["ETH/USDT"])) >= {"ETH/USDT"}

    sdk = sdk_spot(server.url, reader)
    assert sdk.ticker24hr(symbol="BNBBTC").data().actual_instance.symbol == "BNBBTC"
    assert sdk.ticker_price(symbol="ETHBTC").data().actual_instance.symbol == "ETHBTC"
    rolling = sdk.ticker(symbol="BTCUSDT", window_size="2h").data().actual_instance
    assert rolling.close_time - rolling.open_time >= 2 * 3600 * 1000


def test_ticker_shapes_and_parameters(http):
    mini = assert_ok(http.get("/api/v3/ticker/24hr?symbol=BTCUSDT&type=MINI"))
    assert set(mini) == {"symbol", "openPrice", "highPrice", "lowPrice", "lastPrice", "volume", "quoteVolume",
                         "openTime", "closeTime", "firstId", "lastId", "count"}
    many = assert_ok(http.get(f"/api/v3/ticker/24hr?symbols={arr('ETHUSDT', 'BTCUSDT')}"))
    assert [t["symbol"] for t in many] == ["ETHUSDT", "BTCUSDT"]
    assert len(assert_ok(http.get("/api/v3/ticker/24hr"))) == len(SYMBOLS)
    assert isinstance(assert_ok(http.get("/api/v3/ticker/price?symbol=BTCUSDT")), dict)
    assert assert_ok(http.get("/api/v3/ticker/bookTicker?symbolStatus=HALT")) == []
    rolling = assert_ok(http.get("/api/v3/ticker?symbol=ETHBTC&windowSize=15m&type=MINI"))
    assert rolling["openTime"] % MINUTE == 0 and "priceChange" not in rolling
    day7 = assert_ok(http.get("/api/v3/ticker?symbol=ETHBTC&windowSize=7d"))
    assert day7["closeTime"] - day7["openTime"] >= 7 * 24 * 3600 * 1000
    us = http.get("/api/v3/ticker/24hr?symbol=BTCUSDT", headers={"X-MBX-TIME-UNIT": "MICROSECOND"}).json()
    assert us["closeTime"] - us["openTime"] == 24 * 3600 * 1000 * 1000


def test_ticker_errors(http):
    assert_error(http.get("/api/v3/ticker/24hr?symbol=BTCUSDT&type=HALF"), -1139, 400, "Invalid ticker type.")
    assert_error(http.get("/api/v3/ticker?symbol=BTCUSDT&windowSize=8d"), -1130, 400,
                 "Data sent for parameter 'windowSize' is not valid.")
    assert_error(http.get("/api/v3/ticker"), -1102, 400,
                 "Param 'symbol' or 'symbols' must be sent, but both were empty/null!")
    assert_error(http.get(f"/api/v3/ticker/price?symbol=BTCUSDT&symbols={arr('ETHUSDT')}"), -1128, 400)
    assert_error(http.get("/api/v3/ticker/price?symbols=BTCUSDT"), -1100, 400)  # not a JSON array
    assert_error(http.get("/api/v3/ticker/24hr?symbol=BTCUSDT&symbolStatus=BREAK"), -1220, 400,
                 "The symbol's status does not match the requested symbolStatus.")


@pytest.mark.parametrize("path", ["/api/v3/depth", "/api/v3/trades", "/api/v3/historicalTrades", "/api/v3/aggTrades",
                                  "/api/v3/avgPrice", "/api/v3/ticker/24hr", "/api/v3/ticker/price",
                                  "/api/v3/ticker/bookTicker", "/api/v3/ticker"])
def test_unknown_and_malformed_symbols(http, path):
    assert_error(http.get(f"{path}?symbol=NOSUCHCOIN"), -1121, 400, "Invalid symbol.")
    assert_error(http.get(f"{path}?symbol=btcusdt"), -1100, 400,
                 "Illegal characters found in parameter 'symbol'; legal range is '^[A-Z0-9-_.]{1,20}$'.")
    if path not in ("/api/v3/ticker/24hr", "/api/v3/ticker/price", "/api/v3/ticker/bookTicker", "/api/v3/ticker"):
        assert_error(http.get(path), -1102, 400,
                     "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")


def test_list_limits(http):
    assert len(assert_ok(http.get("/api/v3/trades?symbol=BTCUSDT&limit=1"))) == 1
    assert len(assert_ok(http.get("/api/v3/trades?symbol=BTCUSDT&limit=1001"))) <= 1000  # clamped, no error
    assert_error(http.get("/api/v3/aggTrades?symbol=BTCUSDT&limit=0"), -1130, 400)
    assert_error(http.get("/api/v3/depth?symbol=BTCUSDT&limit=-5"), -1100, 400)
    assert_error(http.get("/api/v3/aggTrades?symbol=BTCUSDT&fromId=1&startTime=1"), -1128, 400)
