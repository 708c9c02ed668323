"""User data streams both ways bots use them: the legacy listenKey (REST POST/PUT/DELETE /api/v3/userDataStream,
then /ws/<listenKey>) and the WebSocket API subscriptions. Orders placed over REST produce executionReports
(NEW, TRADE/FILLED, CANCELED) and outboundAccountPosition, in order, with the fields bots read."""

from __future__ import annotations

import json
import time

import pytest
from websockets.exceptions import InvalidStatus

from tests.e2e.wsclient import recv_json, signed, ws_api, ws_connect
from tests.support import assert_error, assert_ok, signed_request

PATH = "/api/v3/userDataStream"
REPORT_KEYS = {"e", "E", "s", "c", "S", "o", "f", "q", "p", "P", "F", "g", "C", "x", "X", "r", "i", "l", "z", "L",
               "n", "N", "T", "t", "I", "w", "m", "M", "O", "Z", "Y", "Q", "W", "V"}


def key_only(http, method: str, creds, **params):
    return http.request(method, PATH, params=params or None, headers={"X-MBX-APIKEY": creds.api_key})


def test_listen_key_lifecycle(server, http, make_creds):
    creds = make_creds("--permissions", "reading")
    key = assert_ok(key_only(http, "POST", creds))["listenKey"]
    assert len(key) == 64 and key.isalnum()
    assert assert_ok(key_only(http, "POST", creds)) == {"listenKey": key}  # the active key, extended
    assert assert_ok(key_only(http, "PUT", creds, listenKey=key)) == {}
    assert assert_ok(key_only(http, "DELETE", creds, listenKey=key)) == {}
    assert_error(key_only(http, "PUT", creds, listenKey=key), -1125, 400, "This listenKey does not exist.")
    assert_error(key_only(http, "DELETE", creds, listenKey="x" * 64), -1125, 400)
    other = make_creds("--permissions", "reading")  # another key of the same account
    fresh = assert_ok(key_only(http, "POST", creds))["listenKey"]
    assert fresh != key
    assert_error(http.post(PATH), -2014, 401)
    assert_error(key_only(http, "PUT", creds), -1102, 400)
    assert assert_ok(key_only(http, "PUT", other, listenKey=fresh)) == {}  # same account, another key


def test_python_binance_listen_key_calls(server, make_creds):
    from tests.e2e.test_peers_auth import python_binance

    creds = make_creds("--permissions", "reading")
    client = python_binance(server.url, creds)
    key = client.stream_get_listen_key()
    assert len(key) == 64
    assert client.stream_keepalive(key) == {}
    assert client.stream_close(key) == {}


def _rest_order(http, creds, **params) -> dict:
    return assert_ok(signed_request(http, "POST", "/api/v3/order", creds, {"symbol": "BTCUSDT", **params}))


def _collect(ws, count: int, timeout: float = 5.0) -> list[dict]:
    out = []
    deadline = time.monotonic() + timeout
    while len(out) < count:
        out.append(recv_json(ws, max(deadline - time.monotonic(), 0.01)))
    return out


def until_position(next_event) -> list[dict]:
    """One command's events: everything up to and including its outboundAccountPosition (a MARKET order may
    fill at several price levels: one TRADE report each)."""
    events = [next_event()]
    while events[-1]["e"] != "outboundAccountPosition":
        events.append(next_event())
    return events


def _check_order_flow(next_event, http, creds) -> None:
    """A resting LIMIT then its cancel, a MARKET that fills: the events the account's stream must carry."""
    resting = _rest_order(http, creds, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.001", price="20000",
                          newClientOrderId="rest-limit")
    events = until_position(next_event)
    assert [(e["e"], e.get("x"), e.get("X")) for e in events] == [
        ("executionReport", "NEW", "NEW"), ("outboundAccountPosition", None, None)]
    new = events[0]
    assert set(new) >= REPORT_KEYS
    assert (new["s"], new["c"], new["S"], new["o"], new["f"], new["q"], new["p"], new["i"], new["g"]) == (
        "BTCUSDT", "rest-limit", "BUY", "LIMIT", "GTC", "0.00100000", "20000.00000000", resting["orderId"], -1)
    assert new["w"] is True and new["t"] == -1 and new["z"] == "0.00000000"
    assert events[1]["B"] == [{"a": "USDT", "f": events[1]["B"][0]["f"], "l": "20.00000000"}]
    signed_request(http, "DELETE", "/api/v3/order", creds, {"symbol": "BTCUSDT", "orderId": resting["orderId"]})
    events = until_position(next_event)
    assert [(e["e"], e.get("x"), e.get("X")) for e in events] == [
        ("executionReport", "CANCELED", "CANCELED"), ("outboundAccountPosition", None, None)]
    assert events[0]["C"] == "rest-limit" and events[0]["i"] == resting["orderId"]
    assert events[1]["B"][0]["l"] == "0.00000000"
    filled = _rest_order(http, creds, side="BUY", type="MARKET", quantity="0.001")
    events = until_position(next_event)
    new, trades, position = events[0], events[1:-1], events[-1]
    assert (new["e"], new["x"], new["X"], new["i"]) == ("executionReport", "NEW", "NEW", filled["orderId"])
    assert [(t["e"], t["x"]) for t in trades] == [("executionReport", "TRADE")] * len(filled["fills"])
    assert [t["X"] for t in trades] == ["PARTIALLY_FILLED"] * (len(trades) - 1) + ["FILLED"]
    for trade, fill in zip(trades, filled["fills"], strict=True):
        assert (trade["i"], trade["l"], trade["L"], trade["t"]) == (filled["orderId"], fill["qty"], fill["price"],
                                                                    fill["tradeId"])
        assert trade["N"] == "BTC" and trade["n"] == fill["commission"] and trade["m"] is False
    assert trades[-1]["z"] == "0.00100000" and trades[-1]["Z"] == filled["cummulativeQuoteQty"]
    assert position["e"] == "outboundAccountPosition" and {b["a"] for b in position["B"]} == {"USDT", "BTC"}


def test_listen_key_stream(server, http, make_creds):
    creds = make_creds("--permissions", "reading,spot")
    key = assert_ok(key_only(http, "POST", creds))["listenKey"]
    with ws_connect(server, f"/ws/{key}") as ws:
        _check_order_flow(lambda: recv_json(ws), http, creds)
    with ws_connect(server, f"/stream?streams={key}/btcusdt@bookTicker") as ws:  # combined: the key names it

        def next_user_event() -> dict:
            while True:
                msg = recv_json(ws)
                if msg["stream"] == key:
                    return msg["data"]

        _rest_order(http, creds, side="SELL", type="MARKET", quantity="0.0005")
        user = until_position(next_user_event)
        assert [e["e"] for e in user[:2]] == ["executionReport", "executionReport"] and len(user) >= 3


def test_listen_key_by_subscribe_and_after_close(server, http, make_creds):
    creds = make_creds("--permissions", "reading,spot")
    key = assert_ok(key_only(http, "POST", creds))["listenKey"]
    with ws_connect(server, "/ws/0") as ws:
        ws.send(json.dumps({"method": "SUBSCRIBE", "params": [key], "id": 1}))
        assert recv_json(ws) == {"result": None, "id": 1}
        _rest_order(http, creds, side="SELL", type="MARKET", quantity="0.0005")
        assert until_position(lambda: recv_json(ws))[0]["e"] == "executionReport"
        assert_ok(key_only(http, "DELETE", creds, listenKey=key))
        _rest_order(http, creds, side="SELL", type="MARKET", quantity="0.0005")
        with pytest.raises(TimeoutError):  # a closed key's stream is silent
            ws.recv(timeout=1)


def test_ws_api_subscription_by_signature(server, http, make_creds):
    creds = make_creds("--permissions", "reading,spot")
    with ws_api(server) as api:
        resp = api.call("userDataStream.subscribe.signature", signed(creds))
        assert resp["status"] == 200 and resp["result"] == {"subscriptionId": 0}
        assert api.call("userDataStream.subscribe.signature", signed(creds))["error"]["code"] == -2035

        def next_event() -> dict:
            msg = api.event(lambda m: True)
            assert set(msg) == {"subscriptionId", "event"} and msg["subscriptionId"] == 0
            return msg["event"]

        _check_order_flow(next_event, http, creds)
        assert api.call("session.subscriptions")["result"] == [{"subscriptionId": 0}]
        assert api.call("session.status")["result"]["userDataStream"] is True
        assert api.call("userDataStream.unsubscribe", {"subscriptionId": 0})["result"] == {}
        assert api.event(lambda m: True)["event"]["e"] == "eventStreamTerminated"
        assert api.call("userDataStream.unsubscribe", {"subscriptionId": 0})["error"]["code"] == -2036
        assert api.call("session.status")["result"]["userDataStream"] is False


def test_ws_api_subscription_after_logon(server, http, make_creds):
    ed = make_creds("--permissions", "reading,spot", kind="ed25519")
    with ws_api(server) as api:
        assert api.call("userDataStream.subscribe")["error"]["code"] == -2015  # not logged on
        assert api.call("session.logon", signed(ed))["status"] == 200
        assert api.call("userDataStream.subscribe")["result"] == {"subscriptionId": 0}
        assert api.call("userDataStream.subscribe")["error"]["code"] == -2035
        _rest_order(http, ed, side="SELL", type="MARKET", quantity="0.0005")
        event = api.event(lambda m: m["event"]["e"] == "executionReport")
        assert event["subscriptionId"] == 0
        api.call("session.logout")  # ends the logon subscription
        assert api.event(lambda m: m["event"]["e"] == "eventStreamTerminated")["subscriptionId"] == 0
        assert api.call("session.subscriptions")["result"] == []


def test_connect_limits_on_handshake(server):
    with pytest.raises(InvalidStatus) as refused, ws_connect(server, "/ws-api/v3?timeUnit=SECONDS"):
        pass
    assert refused.value.response.status_code == 400
    assert json.loads(refused.value.response.body)["code"] == -1194


def test_ws_api_listen_key_methods(server, make_creds):
    creds = make_creds("--permissions", "reading")
    with ws_api(server) as api:
        key = api.call("userDataStream.start", {"apiKey": creds.api_key})["result"]["listenKey"]
        assert len(key) == 64
        assert api.call("userDataStream.ping", {"apiKey": creds.api_key, "listenKey": key})["result"] == {}
        assert api.call("userDataStream.stop", {"apiKey": creds.api_key, "listenKey": key})["result"] == {}
        assert api.call("userDataStream.ping", {"apiKey": creds.api_key, "listenKey": key})["error"]["code"] == -1125

