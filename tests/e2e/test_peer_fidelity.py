"""What the peers' own suites found (issue 9 §3), each pinned here on its own:

* ``limit`` above a route's maximum: Binance Spot answers a full page, no error (documented for depth, "the
  response will truncate"; spot aggTrades takes ``limit=99999999``, which ccxt's fetchTrades relies on). The
  choice per route is the table LIMITS; a limit below 1 stays a -1130 everywhere.
* ``GET /api/v3/ticker/tradingDay`` and WebSocket API ``ticker.tradingDay``.
* ``timeUnit=MICROSECOND`` on market stream connections and on user data (listen key streams and the WS API).
* deposit and withdrawal records with every field of Binance's, with Binance's types.
"""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import InvalidStatus

from tests.e2e.wsclient import recv_until, signed, ws_api, ws_connect
from tests.support import assert_error, assert_ok, now_ms, signed_request

DAY_MS = 24 * 3600 * 1000
CLAMP, REJECT = "clamp", "reject"

# route, extra params, maximum page, what a limit above the maximum does, security
LIMITS = [
    ("/api/v3/depth", {"symbol": "BTCUSDT"}, 5000, CLAMP, "public"),
    ("/api/v3/trades", {"symbol": "BTCUSDT"}, 1000, CLAMP, "public"),
    ("/api/v3/historicalTrades", {"symbol": "BTCUSDT"}, 1000, CLAMP, "public"),
    ("/api/v3/aggTrades", {"symbol": "BTCUSDT"}, 1000, CLAMP, "public"),
    ("/api/v3/klines", {"symbol": "BTCUSDT", "interval": "1m"}, 1000, CLAMP, "public"),
    ("/api/v3/uiKlines", {"symbol": "BTCUSDT", "interval": "1m"}, 1000, CLAMP, "public"),
    ("/api/v3/allOrders", {"symbol": "BTCUSDT"}, 1000, CLAMP, "signed"),
    ("/api/v3/myTrades", {"symbol": "BTCUSDT"}, 1000, CLAMP, "signed"),
    ("/api/v3/allOrderList", {}, 1000, CLAMP, "signed"),
    ("/sapi/v1/capital/deposit/hisrec", {}, 1000, CLAMP, "signed"),
    ("/sapi/v1/capital/withdraw/history", {}, 1000, CLAMP, "signed"),
]


def _rows(body) -> int:
    return max(len(body["bids"]), len(body["asks"])) if isinstance(body, dict) else len(body)


@pytest.mark.parametrize(("path", "extra", "maximum", "above", "security"), LIMITS, ids=[r[0] for r in LIMITS])
def test_limit_clamp_or_reject(http, make_creds, path, extra, maximum, above, security):
    creds = make_creds("--permissions", "reading") if security == "signed" else None

    def get(limit):
        query = {**extra, "limit": limit}
        if creds is None:
            return http.get(path, params=query)
        return signed_request(http, "GET", path, creds, query)

    for limit in (maximum + 1, 12000):
        resp = get(limit)
        if above == CLAMP:
            assert _rows(assert_ok(resp)) <= maximum
        else:
            assert_error(resp, -1130, 400, "Data sent for parameter 'limit' is not valid.")
    assert_error(get(0), -1130, 400, "Data sent for parameter 'limit' is not valid.")
    assert_error(get(2**64), -1100, 400)  # not a 64-bit number: illegal, never a 500
    assert _rows(assert_ok(get(1))) <= 1


def test_a_clamped_page_is_full(http):
    """The klines history is long: an over-the-maximum limit gives exactly the maximum (ccxt pages on it)."""
    assert len(assert_ok(http.get("/api/v3/klines", params={"symbol": "ETHUSDT", "interval": "1m",
                                                             "limit": 5000}))) == 1000
    assert len(assert_ok(http.get("/api/v3/aggTrades", params={"symbol": "BTCUSDT", "limit": 12000}))) <= 1000


# -- ticker/tradingDay --------------------------------------------------------------------------------------------
FULL = ["symbol", "priceChange", "priceChangePercent", "weightedAvgPrice", "openPrice", "highPrice", "lowPrice",
        "lastPrice", "volume", "quoteVolume", "openTime", "closeTime", "firstId", "lastId", "count"]
MINI = [k for k in FULL if k not in ("priceChange", "priceChangePercent", "weightedAvgPrice")]


def test_trading_day_ticker(http):
    before = now_ms()
    resp = http.get("/api/v3/ticker/tradingDay", params={"symbol": "BTCUSDT"})
    body = assert_ok(resp)
    assert list(body) == FULL and body["symbol"] == "BTCUSDT"
    day_open = before // DAY_MS * DAY_MS
    assert body["openTime"] in (day_open, day_open + DAY_MS)  # (a midnight between the two reads)
    assert body["closeTime"] == body["openTime"] + DAY_MS - 1
    assert resp.headers["x-mbx-used-weight-1m"]
    assert float(body["lowPrice"]) <= float(body["lastPrice"]) <= float(body["highPrice"])

    rows = assert_ok(http.get("/api/v3/ticker/tradingDay",
                              params={"symbols": '["BTCUSDT","ETHUSDT"]', "type": "MINI", "timeZone": "8"}))
    assert [r["symbol"] for r in rows] == ["BTCUSDT", "ETHUSDT"] and all(list(r) == MINI for r in rows)
    eight = 8 * 3600 * 1000
    assert (rows[0]["openTime"] + eight) % DAY_MS == 0 and rows[0]["closeTime"] == rows[0]["openTime"] + DAY_MS - 1
    assert rows[0]["openTime"] <= now_ms() < rows[0]["openTime"] + DAY_MS
    nepal = assert_ok(http.get("/api/v3/ticker/tradingDay", params={"symbol": "BTCUSDT", "timeZone": "05:45"}))
    assert (nepal["openTime"] + (5 * 60 + 45) * 60_000) % DAY_MS == 0


def test_trading_day_ticker_errors(http):
    path = "/api/v3/ticker/tradingDay"
    assert_error(http.get(path), -1102, 400, "Param 'symbol' or 'symbols' must be sent, but both were empty/null!")
    assert_error(http.get(path, params={"symbol": "BTCUSDT", "symbols": '["BTCUSDT"]'}), -1128, 400)
    assert_error(http.get(path, params={"symbol": "BTCUSDT", "timeZone": "15"}), -1130, 400,
                 "Data sent for parameter 'timeZone' is not valid.")
    assert_error(http.get(path, params={"symbol": "BTCUSDT", "type": "HALF"}), -1139, 400, "Invalid ticker type.")
    assert_error(http.get(path, params={"symbol": "NOPE"}), -1121, 400, "Invalid symbol.")


def test_trading_day_ticker_weight(http):
    first = int(http.get("/api/v3/ping").headers["x-mbx-used-weight-1m"])
    two = http.get("/api/v3/ticker/tradingDay", params={"symbols": '["BTCUSDT","ETHUSDT"]'})
    assert int(two.headers["x-mbx-used-weight-1m"]) - first == 8  # 4 per symbol


def test_ws_api_trading_day_ticker(server):
    with ws_api(server) as api:
        reply = api.call("ticker.tradingDay", {"symbol": "BNBUSDT", "type": "MINI"})
    assert reply["status"] == 200 and list(reply["result"]) == MINI and reply["result"]["symbol"] == "BNBUSDT"


# -- timeUnit on streams ------------------------------------------------------------------------------------------
def _digits(value: int) -> int:
    return len(str(value))


@pytest.mark.parametrize("unit", ["MICROSECOND", "microsecond", "MILLISECOND", None])
def test_market_stream_time_unit(server, http, make_creds, unit):
    query = f"?timeUnit={unit}" if unit else ""
    want = 16 if unit and unit.upper() == "MICROSECOND" else 13
    creds = make_creds("--permissions", "reading,spot")
    with ws_connect(server, f"/ws/btcusdt@trade/btcusdt@kline_1m{query}") as ws:
        # a trade of our own, so that the stream has something to say at once
        assert_ok(signed_request(http, "POST", "/api/v3/order", creds,
                                 {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.0001"}))
        trade = recv_until(ws, lambda m: m.get("e") == "trade", timeout=10)
        kline = recv_until(ws, lambda m: m.get("e") == "kline", timeout=10)
    assert _digits(trade["E"]) == _digits(trade["T"]) == want
    assert _digits(trade["t"]) < 13  # an id, not a time
    assert _digits(kline["E"]) == _digits(kline["k"]["t"]) == _digits(kline["k"]["T"]) == want
    if want == 16:
        assert kline["k"]["T"] % 1_000_000 == 999_999 and kline["k"]["t"] % 60_000_000 == 0
    with ws_connect(server, f"/stream?streams=btcusdt@bookTicker/btcusdt@aggTrade&timeUnit={unit or 'MILLISECOND'}"
                    ) as ws:
        assert_ok(signed_request(http, "POST", "/api/v3/order", creds,
                                 {"symbol": "BTCUSDT", "side": "SELL", "type": "MARKET", "quantity": "0.0001"}))
        agg = recv_until(ws, lambda m: m.get("stream") == "btcusdt@aggTrade", timeout=10)["data"]
    assert _digits(agg["E"]) == _digits(agg["T"]) == want and _digits(agg["a"]) < 13


def test_bad_time_unit_is_refused_at_the_handshake(server):
    with pytest.raises(InvalidStatus) as refused, ws_connect(server, "/ws/btcusdt@trade?timeUnit=SECOND"):
        pass
    assert refused.value.response.status_code == 400
    assert json.loads(refused.value.response.body)["code"] == -1194


@pytest.mark.parametrize("unit", ["MICROSECOND", "MILLISECOND"])
def test_user_data_time_unit_ws_api(server, http, make_creds, unit):
    want = 16 if unit == "MICROSECOND" else 13
    creds = make_creds("--permissions", "reading,spot")
    with ws_api(server, f"timeUnit={unit}") as api:
        assert api.call("userDataStream.subscribe.signature", signed(creds))["status"] == 200
        assert_ok(signed_request(http, "POST", "/api/v3/order", creds,
                                 {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.0001"}))
        report = api.event(lambda m: m["event"]["e"] == "executionReport")["event"]
        position = api.event(lambda m: m["event"]["e"] == "outboundAccountPosition")["event"]
        status = api.call("account.status", signed(creds))
    assert {_digits(report[k]) for k in ("E", "T", "O", "W")} == {want}
    assert report["C"] == "" or isinstance(report["C"], str)
    assert _digits(report["i"]) < 13 and _digits(position["E"]) == _digits(position["u"]) == want
    assert _digits(status["result"]["updateTime"]) == want  # the WS API's own answers too


def test_user_data_time_unit_listen_key(server, http, make_creds):
    creds = make_creds("--permissions", "reading,spot")
    key = assert_ok(http.post("/api/v3/userDataStream", headers={"X-MBX-APIKEY": creds.api_key}))["listenKey"]
    with ws_connect(server, f"/ws/{key}?timeUnit=MICROSECOND") as ws:
        assert_ok(signed_request(http, "POST", "/api/v3/order", creds,
                                 {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.0001"}))
        report = recv_until(ws, lambda m: m.get("e") == "executionReport", timeout=10)
    assert _digits(report["E"]) == _digits(report["T"]) == 16


# -- wallet records -----------------------------------------------------------------------------------------------
DEPOSIT = {"id": str, "amount": str, "coin": str, "network": str, "status": int, "address": str, "addressTag": str,
           "txId": str, "insertTime": int, "completeTime": int, "transferType": int, "confirmTimes": str,
           "unlockConfirm": int, "walletType": int, "travelRuleStatus": int}
WITHDRAWAL = {"id": str, "amount": str, "transactionFee": str, "coin": str, "status": int, "address": str,
              "txId": str, "applyTime": str, "network": str, "transferType": int, "info": str, "confirmNo": int,
              "walletType": int, "txKey": str, "completeTime": str}


def test_deposit_and_withdrawal_records(server, http, make_creds):
    creds = make_creds("--permissions", "reading,withdrawals", "--ip", "127.0.0.1")
    deposits = assert_ok(signed_request(http, "GET", "/sapi/v1/capital/deposit/hisrec", creds, {"coin": "BTC"}))
    assert deposits, "the account fixture's faucet deposit"
    for record in deposits:
        assert {k: type(v) for k, v in record.items()} == DEPOSIT, record
        assert record["status"] == 1 and record["confirmTimes"] == "1/1" and record["unlockConfirm"] == 2
    assert_ok(signed_request(http, "POST", "/sapi/v1/capital/withdraw/apply", creds, body={
        "coin": "BTC", "network": "BTC", "amount": "0.001", "address": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"}))
    withdrawals = assert_ok(signed_request(http, "GET", "/sapi/v1/capital/withdraw/history", creds, {"coin": "BTC"}))
    assert len(withdrawals) == 1
    assert {k: type(v) for k, v in withdrawals[0].items()} == WITHDRAWAL, withdrawals[0]
    assert withdrawals[0]["status"] == 6 and withdrawals[0]["confirmNo"] == 1
