"""Issue 9 §1: nothing may live in the engine that is not in the journal.

* An integer past Binance's long range is refused with -1100 on every route that takes it (REST order, order
  list, order/test, cancels and queries, the WebSocket API) and the engine is unchanged.
* A journal commit that fails (the documented test hook ``MINANCE_FAULT_JOURNAL_FAIL_AFTER``) is fail-stop:
  the client gets -1001, no stream tells the order, the server exits non-zero, and after a restart the state
  is the state before the failed command.
"""

from __future__ import annotations

import signal

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.e2e.wsclient import recv_json, signed, ws_api, ws_connect
from tests.support import Server, admin_token, create_account, issue_key, signed_request

TOO_BIG = str(2**64)  # the issue's reproducer: past even an unsigned long
LONG_PAST = str(2**63)  # the first value past Binance's (signed) long
LONG_MAX = 2**63 - 1
EXIT_JOURNAL_FAILED = 74


def _state(server: Server) -> dict:
    response = httpx.get(server.url + "/admin/state", timeout=30,
                         headers={"Authorization": f"Bearer {admin_token(server.data_dir)}"})
    assert response.status_code == 200, response.text
    return response.json()


def _assert_legal_range(response: httpx.Response, name: str, minimum: int = 0) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {"code": -1100, "msg": f"Illegal characters found in parameter '{name}'; legal range "
                                                      f"is '{minimum} - {LONG_MAX}'."}


@pytest.fixture(scope="module")
def quiet(tmp_path_factory):
    """A server whose market moves only when stepped: its state hash changes only through our requests."""
    server = Server(tmp_path_factory.mktemp("failstop") / "data", "--market-clock", "manual")
    create_account(server.data_dir, "carol", "USDT=10000", "BTC=1")
    creds = issue_key(server.data_dir, "carol", "--permissions", "reading,spot")
    yield server, creds
    server.stop()


LIMIT = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.001",
         "price": "20000"}
OCO = {"symbol": "BTCUSDT", "side": "SELL", "quantity": "0.001", "aboveType": "LIMIT_MAKER", "abovePrice": "900000",
       "belowType": "STOP_LOSS", "belowStopPrice": "1000"}


@pytest.mark.parametrize(("method", "path", "params", "name", "minimum"), [
    ("POST", "/api/v3/order", {**LIMIT, "strategyId": TOO_BIG}, "strategyId", 0),
    ("POST", "/api/v3/order", {**LIMIT, "strategyId": LONG_PAST}, "strategyId", 0),
    ("POST", "/api/v3/order", {**LIMIT, "strategyType": TOO_BIG}, "strategyType", 1_000_000),
    ("POST", "/api/v3/order/test", {**LIMIT, "strategyId": TOO_BIG}, "strategyId", 0),
    ("POST", "/api/v3/orderList/oco", {**OCO, "aboveStrategyId": TOO_BIG}, "aboveStrategyId", 0),
    ("POST", "/api/v3/order/oco", {"symbol": "BTCUSDT", "side": "SELL", "quantity": "0.001", "price": "900000",
                                   "stopPrice": "1000", "limitStrategyId": TOO_BIG}, "limitStrategyId", 0),
    ("DELETE", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": TOO_BIG}, "orderId", 0),
    ("DELETE", "/api/v3/orderList", {"symbol": "BTCUSDT", "orderListId": LONG_PAST}, "orderListId", 0),
    ("GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": TOO_BIG}, "orderId", 0),
    ("GET", "/api/v3/allOrders", {"symbol": "BTCUSDT", "startTime": LONG_PAST}, "startTime", 0),
    ("GET", "/api/v3/myTrades", {"symbol": "BTCUSDT", "fromId": TOO_BIG}, "fromId", 0),
])
def test_integers_past_a_long_are_refused_and_change_nothing(quiet, method, path, params, name, minimum):
    server, creds = quiet
    before = _state(server)
    with httpx.Client(base_url=server.url, timeout=10) as http:
        if method == "GET":
            response = signed_request(http, method, path, creds, params)
        else:
            response = signed_request(http, method, path, creds, body=params)
        _assert_legal_range(response, name, minimum)
        assert signed_request(http, "GET", "/api/v3/openOrders", creds, {"symbol": "BTCUSDT"}).json() == []
    after = _state(server)
    assert (after["stateHash"], after["journalSeq"]) == (before["stateHash"], before["journalSeq"])


def test_the_websocket_api_refuses_them_too(quiet):
    server, creds = quiet
    before = _state(server)
    with ws_api(server) as api:
        for params in ({**LIMIT, "strategyId": 2**64}, {**LIMIT, "strategyId": TOO_BIG}):
            resp = api.call("order.place", signed(creds, params))
            assert resp["status"] == 400
            assert resp["error"] == {"code": -1100, "msg": "Illegal characters found in parameter 'strategyId'; "
                                                           f"legal range is '0 - {LONG_MAX}'."}
    assert _state(server)["stateHash"] == before["stateHash"]


def _market_buy(http: httpx.Client, creds) -> httpx.Response:
    return signed_request(http, "POST", "/api/v3/order", creds,
                          body={"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quoteOrderQty": "100"})


def test_a_failed_journal_commit_stops_the_server_and_a_restart_recovers(tmp_path):
    data = tmp_path / "data"
    server = Server(data, "--market-clock", "manual")
    try:
        create_account(data, "dave", "USDT=10000")
        creds = issue_key(data, "dave", "--permissions", "reading,spot")
        with ws_connect(server, "/ws/btcusdt@trade") as stream, httpx.Client(base_url=server.url, timeout=10) as http:
            assert _market_buy(http, creds).status_code == 200  # the control: a committed trade is streamed
            assert recv_json(stream)["e"] == "trade"
    finally:
        server.stop()  # a clean stop: snapshot written, the next start journals nothing by itself
    # The test hook: this server's first journal commit fails as a full or broken disk would.
    server = Server(data, "--market-clock", "manual", env={"MINANCE_FAULT_JOURNAL_FAIL_AFTER": "0"})
    try:
        before = _state(server)
        with ws_connect(server, "/ws/btcusdt@trade") as stream, httpx.Client(base_url=server.url, timeout=10) as http:
            depth = http.get("/api/v3/depth", params={"symbol": "BTCUSDT", "limit": 5}).json()
            assert depth["asks"], "the maker's book was restored"
            balances_before = signed_request(http, "GET", "/api/v3/account", creds).json()["balances"]
            market = _market_buy(http, creds)
            assert market.status_code == 500, market.text
            assert market.json() == {"code": -1001, "msg": "Internal error; unable to process your request. "
                                                           "Please try again."}
            told = []
            try:
                while True:  # until the server closes the stream, at once, on its way down
                    told.append(recv_json(stream, timeout=10))
            except (ConnectionClosed, TimeoutError):
                pass
            assert [m["e"] for m in told] == ["serverShutdown"], "a trade of an uncommitted order was streamed"
        assert server.proc.wait(timeout=30) == EXIT_JOURNAL_FAILED
        assert "stopped because the journal could not be written" in server.log()
    finally:
        server.stop(signal.SIGKILL)
    server = Server(data, "--market-clock", "manual")
    try:
        after = _state(server)
        assert after["stateHash"] == before["stateHash"]
        with httpx.Client(base_url=server.url, timeout=10) as http:
            account = signed_request(http, "GET", "/api/v3/account", creds).json()
            assert account["balances"] == balances_before
            orders = signed_request(http, "GET", "/api/v3/allOrders", creds, {"symbol": "BTCUSDT"}).json()
            assert len(orders) == 1
    finally:
        server.stop()
