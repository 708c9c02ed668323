"""The WebSocket API at /ws-api/v3 (web-socket-api.md): request/response framing, rate limits shared with REST,
signed requests (HMAC, Ed25519, RSA) with the same keys, permissions and IP rules as REST, session logon,
and the activity log."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from tests.e2e.spec import REJECTED_KEY, mandatory
from tests.e2e.wsclient import WsApi, recv_json, signed, ws_api, ws_connect
from tests.support import KEY_KINDS, cli_json, now_ms, run_cli, wait_for

LIMIT_BUY = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.001",
             "price": "20000"}


def _ok(resp: dict) -> object:
    assert resp["status"] == 200, resp
    assert "error" not in resp
    return resp["result"]


def _error(resp: dict, code: int, status: int = 400, msg: str | None = None) -> str:
    assert resp["status"] == status, resp
    assert "result" not in resp and set(resp["error"]) >= {"code", "msg"}, resp
    assert resp["error"]["code"] == code, resp
    if msg is not None:
        assert resp["error"]["msg"] == msg, resp
    return resp["error"]["msg"]


def test_public_methods_and_framing(server, http):
    with ws_api(server) as api:
        assert _ok(api.call("ping")) == {}
        resp = api.call("time", rid="e2a85d9f-07a5-4f94-8d5f-789dc3deb097")
        assert resp["id"] == "e2a85d9f-07a5-4f94-8d5f-789dc3deb097"
        assert abs(resp["result"]["serverTime"] - now_ms()) < 5000
        weight = resp["rateLimits"]
        assert weight == [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
                           "limit": weight[0]["limit"], "count": weight[0]["count"]}]
        info = _ok(api.call("exchangeInfo", {"symbols": ["BTCUSDT", "ETHUSDT"]}))
        assert [s["symbol"] for s in info["symbols"]] == ["BTCUSDT", "ETHUSDT"]
        depth = _ok(api.call("depth", {"symbol": "BTCUSDT", "limit": 5}))
        assert set(depth) == {"lastUpdateId", "bids", "asks"} and len(depth["bids"]) == 5
        assert "rateLimits" not in api.call("time", {"returnRateLimits": False})
        assert _ok(api.call("v3/ping")) == {}  # an explicit version prefix
        assert api.call("ping", rid=None)["id"] is None
        _error(api.call("depth", {"symbol": "NOPE"}), -1121)
        _error(api.call("no.such.method"), -1020)
    with ws_api(server, "returnRateLimits=false") as api:
        assert "rateLimits" not in api.call("time")
        assert "rateLimits" in api.call("time", {"returnRateLimits": True})


@pytest.mark.parametrize(("text", "msg"), [
    ("{not json", "Invalid JSON Request"),
    ('["a list"]', "Invalid JSON Request"),
    ('{"id": 1.5, "method": "time"}', "Invalid 'id' in JSON request; expected an integer, a string matching "
                                      "'^[a-zA-Z0-9-_]{1,36}$', or null."),
    ('{"id": "' + "x" * 37 + '", "method": "time"}', None),
    ('{"id": 1, "method": "time", "params": [1]}', "Invalid JSON Request"),
])
def test_malformed_requests(server, text, msg):
    with ws_connect(server, "/ws-api/v3") as ws:
        ws.send(text)
        resp = recv_json(ws)
    assert resp["id"] is None and resp["status"] == 400 and resp["error"]["code"] == -1135
    if msg is not None:
        assert resp["error"]["msg"] == msg


def test_weight_is_shared_with_rest_per_ip(server, http):
    if time.time() % 60 > 55:  # stay inside one 1-minute window
        time.sleep(6)
    before = int(http.get("/api/v3/ping").headers["x-mbx-used-weight-1m"])
    with ws_api(server) as api:  # connecting costs 2, like Binance's
        count = api.call("ping")["rateLimits"][0]["count"]
        assert count == before + 2 + 1
        _ok(api.call("exchangeInfo"))
        after_ws = api.call("ping")["rateLimits"][0]["count"]
        assert after_ws == count + 20 + 1
    assert int(http.get("/api/v3/ping").headers["x-mbx-used-weight-1m"]) == after_ws + 1


@pytest.mark.parametrize("kind", KEY_KINDS)
def test_signed_order_lifecycle(server, make_creds, kind):
    creds = make_creds("--permissions", "reading,spot", kind=kind)
    with ws_api(server) as api:
        resp = api.call("order.place", signed(creds, LIMIT_BUY, newClientOrderId=f"ws-{kind}"))
        placed = _ok(resp)
        assert placed["status"] == "NEW" and placed["clientOrderId"] == f"ws-{kind}"
        kinds = {(r["rateLimitType"], r["interval"], r["intervalNum"]) for r in resp["rateLimits"]}
        assert kinds == {("ORDERS", "SECOND", 10), ("ORDERS", "DAY", 1), ("REQUEST_WEIGHT", "MINUTE", 1)}
        orders_10s = next(r for r in resp["rateLimits"] if r["interval"] == "SECOND")
        assert orders_10s["count"] >= 1
        status = _ok(api.call("order.status", signed(creds, {"symbol": "BTCUSDT", "orderId": placed["orderId"]})))
        assert status["status"] == "NEW" and status["orderId"] == placed["orderId"]
        open_orders = _ok(api.call("openOrders.status", signed(creds, {"symbol": "BTCUSDT"})))
        assert [o["orderId"] for o in open_orders] == [placed["orderId"]]
        account = _ok(api.call("account.status", signed(creds, {"omitZeroBalances": True})))
        usdt = next(b for b in account["balances"] if b["asset"] == "USDT")
        assert usdt["locked"] == "20.00000000"
        cancelled = _ok(api.call("order.cancel", signed(creds, {"symbol": "BTCUSDT",
                                                                 "origClientOrderId": f"ws-{kind}"})))
        assert cancelled["status"] == "CANCELED" and cancelled["origClientOrderId"] == f"ws-{kind}"
        market = _ok(api.call("order.place", signed(creds, {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET",
                                                            "quoteOrderQty": "20"})))
        assert market["status"] == "FILLED" and market["fills"]


def test_signature_and_timing_rejections(server, make_creds):
    creds = make_creds("--permissions", "reading,spot")
    with ws_api(server) as api:
        params = signed(creds, LIMIT_BUY)
        params["price"] = "20001"  # not what was signed
        _error(api.call("order.place", params), -1022, msg="Signature for this request is not valid.")
        _error(api.call("order.place", signed(creds, LIMIT_BUY, timestamp=now_ms() - 10_000)), -1021,
               msg="Timestamp for this request is outside of the recvWindow.")
        _error(api.call("order.place", signed(creds, LIMIT_BUY, recvWindow=60_001)), -1131)
        _error(api.call("order.place", {**LIMIT_BUY, "timestamp": now_ms()}), -1102, msg=mandatory("apiKey"))
        unsigned = signed(creds, LIMIT_BUY)
        del unsigned["signature"]
        _error(api.call("order.place", unsigned), -1102, msg=mandatory("signature"))
        _error(api.call("order.place", signed(creds, LIMIT_BUY, apiKey="bad key!")), -2014, 401)


def test_permissions_and_ip_rules_as_rest(server, make_creds):
    reader = make_creds("--permissions", "reading")
    elsewhere = make_creds("--permissions", "reading,spot", "--ip", "10.1.2.3")
    with ws_api(server) as api:
        _error(api.call("order.place", signed(reader, LIMIT_BUY)), -2015, 401, REJECTED_KEY)
        _ok(api.call("account.status", signed(reader)))
        _error(api.call("account.status", signed(elsewhere)), -2015, 401, REJECTED_KEY)


def test_session_logon_with_ed25519(server, make_creds):
    ed = make_creds("--permissions", "reading,spot", kind="ed25519")
    hm = make_creds("--permissions", "reading,spot")
    with ws_api(server) as api:
        status = _ok(api.call("session.status"))
        assert status["apiKey"] is None and status["authorizedSince"] is None and status["userDataStream"] is False
        _error(api.call("session.logon", signed(hm)), -1022)  # Binance logs on Ed25519 keys only
        logon = _ok(api.call("session.logon", signed(ed)))
        assert logon["apiKey"] == ed.api_key and logon["authorizedSince"] >= logon["connectedSince"]
        # logged on: no apiKey/signature, but SIGNED requests still need a timestamp
        _ok(api.call("account.status", {"timestamp": now_ms()}))
        _error(api.call("account.status"), -1102, msg=mandatory("timestamp"))
        placed = _ok(api.call("order.place", {**LIMIT_BUY, "timestamp": now_ms()}))
        _ok(api.call("order.cancel", {"symbol": "BTCUSDT", "orderId": placed["orderId"], "timestamp": now_ms()}))
        # an explicit key still overrides the session's for one request
        _ok(api.call("account.status", signed(hm)))
        assert _ok(api.call("session.logout"))["apiKey"] is None
        _error(api.call("account.status", {"timestamp": now_ms()}), -1102, msg=mandatory("apiKey"))


def test_a_revoked_key_ends_its_session(server, make_creds):
    ed = make_creds("--permissions", "reading,spot", kind="ed25519")
    with ws_api(server) as api:
        _ok(api.call("session.logon", signed(ed)))
        run_cli(server.data_dir, "key", "revoke", ed.api_key)
        _error(api.call("account.status", {"timestamp": now_ms()}), -2015, 401)
        assert _ok(api.call("session.status"))["apiKey"] is None


def test_requests_are_in_the_activity_log(server, make_creds):
    creds = make_creds("--permissions", "reading,spot")
    with ws_api(server) as api:
        _ok(api.call("order.place", signed(creds, LIMIT_BUY)))
        _error(api.call("order.place", signed(creds, LIMIT_BUY, timestamp=now_ms() - 60_000)), -1021)

    def rows():
        return [r for r in cli_json(server.data_dir, "key", "activity", creds.api_key) if r["method"] == "WS"]

    logged = wait_for(lambda: len(found := rows()) >= 2 and found)
    assert {(r["path"], r["code"]) for r in logged} == {("order.place", 0), ("order.place", -1021)}
    assert all(r["ip"] == "127.0.0.1" for r in logged)


def test_requests_may_be_pipelined(server, make_creds):
    creds = make_creds("--permissions", "reading,spot")
    with ws_connect(server, "/ws-api/v3") as ws:
        ids = [str(uuid.uuid4()) for _ in range(20)]
        for i, rid in enumerate(ids):
            ws.send(json.dumps({"id": rid, "method": "order.place",
                                "params": signed(creds, {**LIMIT_BUY, "newClientOrderId": f"pipe{i}"})}))
        api = WsApi(ws)
        answers = {rid: api.response(rid) for rid in ids}
    order_ids = [_ok(answers[rid])["orderId"] for rid in ids]
    assert order_ids == sorted(order_ids)  # reached the engine in the order sent
