"""Market streams on the REST port: raw and combined connections, every stream kind's payload, and the live
control messages with Binance's replies and error codes (REFERENCE §5.9, web-socket-streams.md)."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from websockets.exceptions import ConnectionClosed

from tests.e2e.wsclient import recv_json, recv_until, ws_connect

TRADE_KEYS = {"e", "E", "s", "t", "p", "q", "T", "m", "M"}
KLINE_KEYS = {"t", "T", "s", "i", "f", "L", "o", "c", "h", "l", "v", "n", "x", "q", "V", "Q", "B"}
MINI_KEYS = {"e", "E", "s", "c", "o", "h", "l", "v", "q"}
TICKER_KEYS = {"e", "E", "s", "p", "P", "w", "x", "c", "Q", "b", "B", "a", "A", "o", "h", "l", "v", "q", "O", "C",
               "F", "L", "n"}


def test_raw_trade_stream(server):
    with ws_connect(server, "/ws/btcusdt@trade") as ws:
        trade = recv_json(ws, 5)  # the market ticks every second
    assert set(trade) == TRADE_KEYS
    assert trade["e"] == "trade" and trade["s"] == "BTCUSDT"
    assert float(trade["p"]) > 0 and float(trade["q"]) > 0 and isinstance(trade["t"], int)


def test_combined_streams_carry_every_kind(server):
    names = ["btcusdt@kline_1s", "ethusdt@kline_1m", "btcusdt@miniTicker", "btcusdt@ticker", "btcusdt@bookTicker",
             "btcusdt@avgPrice", "btcusdt@depth5@100ms", "ethusdt@depth10", "!miniTicker@arr", "btcusdt@aggTrade",
             "btcusdt@trade", "btcusdt@depth@100ms", "btcusdt@ticker_1h"]
    seen: dict[str, object] = {}
    with ws_connect(server, "/stream?streams=" + "/".join(names)) as ws:
        deadline = time.monotonic() + 6
        while len(seen) < len(names) and time.monotonic() < deadline:
            msg = recv_json(ws, 5)
            assert set(msg) == {"stream", "data"}
            seen.setdefault(msg["stream"], msg["data"])
    assert set(seen) == set(names)
    k = seen["btcusdt@kline_1s"]
    assert k["e"] == "kline" and set(k["k"]) == KLINE_KEYS and k["k"]["i"] == "1s"
    assert k["k"]["T"] - k["k"]["t"] == 999
    k1m = seen["ethusdt@kline_1m"]["k"]
    assert k1m["s"] == "ETHUSDT" and k1m["t"] % 60_000 == 0 and k1m["T"] == k1m["t"] + 59_999
    assert set(seen["btcusdt@miniTicker"]) == MINI_KEYS and seen["btcusdt@miniTicker"]["e"] == "24hrMiniTicker"
    assert set(seen["btcusdt@ticker"]) == TICKER_KEYS and seen["btcusdt@ticker"]["e"] == "24hrTicker"
    book = seen["btcusdt@bookTicker"]
    assert set(book) == {"u", "s", "b", "B", "a", "A"} and float(book["b"]) < float(book["a"])
    avg = seen["btcusdt@avgPrice"]
    assert set(avg) == {"e", "E", "s", "i", "w", "T"} and avg["i"] == "5m"
    depth5 = seen["btcusdt@depth5@100ms"]
    assert set(depth5) == {"lastUpdateId", "bids", "asks"} and len(depth5["bids"]) == 5 and len(depth5["asks"]) == 5
    assert len(seen["ethusdt@depth10"]["bids"]) == 10
    arr = seen["!miniTicker@arr"]
    assert isinstance(arr, list) and {t["s"] for t in arr} >= {"BTCUSDT", "ETHUSDT"}
    agg = seen["btcusdt@aggTrade"]
    assert set(agg) == {"e", "E", "s", "a", "p", "q", "f", "l", "T", "m", "M"} and agg["l"] >= agg["f"]
    diff = seen["btcusdt@depth@100ms"]
    assert set(diff) == {"e", "E", "s", "U", "u", "b", "a"} and diff["u"] >= diff["U"]
    rolling = seen["btcusdt@ticker_1h"]
    assert rolling["e"] == "1hTicker" and rolling["O"] % 60_000 == 0


def test_ccxt_style_connection_and_control_messages(server):
    """ccxt.pro opens /ws/<n> (not a stream name) and SUBSCRIBEs; the SDK uses string UUID ids."""
    with ws_connect(server, "/ws/0") as ws:
        ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["btcusdt@trade", "ethusdt@bookTicker"], "id": 1}))
        assert recv_json(ws) == {"result": None, "id": 1}
        rid = str(uuid.uuid4())
        ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": rid}))
        assert recv_until(ws, lambda m: m.get("id") == rid) == {"result": ["btcusdt@trade", "ethusdt@bookTicker"],
                                                                "id": rid}
        assert set(recv_until(ws, lambda m: m.get("e") == "trade")) == TRADE_KEYS  # raw payloads on /ws
        ws.send(json.dumps({"method": "UNSUBSCRIBE", "params": ["ethusdt@bookTicker"], "id": None}))
        assert recv_until(ws, lambda m: "result" in m) == {"result": None, "id": None}
        ws.send(json.dumps({"method": "GET_PROPERTY", "params": ["combined"], "id": 2}))
        assert recv_until(ws, lambda m: m.get("id") == 2) == {"result": False, "id": 2}
        ws.send(json.dumps({"method": "SET_PROPERTY", "params": ["combined", True], "id": 3}))
        assert recv_until(ws, lambda m: m.get("id") == 3) == {"result": None, "id": 3}
        wrapped = recv_until(ws, lambda m: "stream" in m, timeout=5)
        assert wrapped["stream"] == "btcusdt@trade" and set(wrapped["data"]) == TRADE_KEYS
        time.sleep(1)  # 5 messages per second
        ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 4}))
        assert recv_until(ws, lambda m: m.get("id") == 4) == {"result": ["btcusdt@trade"], "id": 4}


ERRORS = [
    ("{bad json", 3, "Invalid JSON: "),
    ('{"method": "FOO", "id": 7}', 2, "Invalid request: unknown variant `FOO`, expected one of `SUBSCRIBE`"),
    ('{"params": [], "id": 7}', 2, "Invalid request: missing field `method`"),
    ('{"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": 1.5}', 2,
     "Invalid request: request ID must be an unsigned integer"),
    ('{"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": "' + "x" * 37 + '"}', 2,
     "Invalid request: request ID must be an unsigned integer"),
    ('{"method": "SUBSCRIBE", "params": ["btcusdt@nonsense"], "id": 7}', 2, "Invalid request: invalid stream"),
    ('{"method": "SUBSCRIBE", "params": ["BTCUSDT@trade"], "id": 7}', 2, "Invalid request: invalid stream"),
    ('{"method": "GET_PROPERTY", "params": ["colour"], "id": 7}', 0, "Unknown property"),
    ('{"method": "SET_PROPERTY", "params": ["combined", "yes"], "id": 7}', 1, "Invalid value type: expected Boolean"),
    ('{"method": "SET_PROPERTY", "params": [5, true], "id": 7}', 2, "Invalid request: property name must be a string"),
    ('{"method": "SET_PROPERTY", "params": ["combined", true, 1], "id": 7}', 2, "Invalid request: too many parameters"),
]


@pytest.mark.parametrize(("request_text", "code", "msg"), ERRORS, ids=[e[2][:40] for e in ERRORS])
def test_control_message_errors(server, request_text, code, msg):
    with ws_connect(server, "/ws") as ws:
        ws.send(request_text)
        reply = recv_json(ws)
    assert set(reply) == {"error", "id"} and reply["error"]["code"] == code
    assert reply["error"]["msg"].startswith(msg), reply
    assert reply["id"] in (None, 7)


def test_more_than_five_messages_a_second_disconnects(server):
    with ws_connect(server, "/ws") as ws:
        for i in range(11):  # within a few ms: even across a second boundary, one second gets 6 or more
            ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": i}))
        replies = []
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                replies.append(recv_json(ws))
    assert 5 <= len(replies) <= 10 and [r["id"] for r in replies] == list(range(len(replies)))
    assert closed.value.rcvd.code == 1008 and "at most 5 per second" in closed.value.rcvd.reason


def test_at_most_1024_streams_per_connection(server):
    names = [f"sym{i}usdt@trade" for i in range(1025)]  # well-formed, for symbols not listed: silent
    with ws_connect(server, "/ws") as ws:
        ws.send(json.dumps({"method": "SUBSCRIBE", "params": names, "id": 1}))
        reply = recv_json(ws)
        assert reply["error"]["code"] == 2 and "1024" in reply["error"]["msg"]
        ws.send(json.dumps({"method": "SUBSCRIBE", "params": names[:1024], "id": 2}))
        assert recv_json(ws) == {"result": None, "id": 2}
        ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 3}))
        assert len(recv_json(ws)["result"]) == 1024
        ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": 4}))
        assert recv_json(ws)["error"]["code"] == 2


def test_unknown_paths_are_refused(server):
    from websockets.exceptions import InvalidStatus

    with pytest.raises(InvalidStatus) as refused, ws_connect(server, "/nowhere"):
        pass
    assert refused.value.response.status_code == 404
