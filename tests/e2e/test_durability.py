"""Nothing acknowledged is lost on kill -9: orders, fills and balance changes survive, and the state after a
restart is the state before it (compared by the engine's state hash)."""

from __future__ import annotations

import signal
import threading
import time
from decimal import Decimal

import httpx

from tests.support import Server, admin_token, create_account, issue_key, signed_request


def _admin(server: Server, method: str, path: str, body: dict | None = None) -> dict:
    headers = {"Authorization": f"Bearer {admin_token(server.data_dir)}"}
    response = httpx.request(method, server.url + path, json=body, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def _restart(server: Server, *extra: str) -> Server:
    server.stop(signal.SIGKILL)
    return Server(server.data_dir, *extra)


def _limit_buy(http: httpx.Client, creds, price: str, qty: str = "0.001") -> httpx.Response:
    return signed_request(http, "POST", "/api/v3/order", creds,
                          body={"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
                                "quantity": qty, "price": price})


def test_state_after_kill_9_equals_state_before(tmp_path):
    server = Server(tmp_path / "data", "--market-clock", "manual")
    try:
        create_account(server.data_dir, "alice", "USDT=50000", "BTC=2")
        creds = issue_key(server.data_dir, "alice", "--permissions", "reading,spot")
        with httpx.Client(base_url=server.url, timeout=10) as http:
            book = http.get("/api/v3/depth", params={"symbol": "BTCUSDT", "limit": 5}).json()
            best_bid = Decimal(book["bids"][0][0])
            for i in range(3):
                assert _limit_buy(http, creds, str((best_bid * Decimal("0.9")).quantize(Decimal("0.01")) - i)
                                  ).status_code == 200
            market = signed_request(http, "POST", "/api/v3/order", creds,
                                    body={"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET",
                                          "quoteOrderQty": "100"})
            assert market.json()["status"] == "FILLED", market.text
        for _ in range(3):
            _admin(server, "POST", "/admin/market/step", {"ms": 30_000})
        before = _admin(server, "GET", "/admin/state")
        server = _restart(server, "--market-clock", "manual")
        after = _admin(server, "GET", "/admin/state")
        assert after["stateHash"] == before["stateHash"]
        assert after["journalSeq"] == before["journalSeq"]
    finally:
        server.stop()


def test_acknowledged_orders_and_deposits_survive_kill_9_mid_traffic(tmp_path):
    server = Server(tmp_path / "data", "--market-clock", "manual")
    acked_orders: list[int] = []
    acked_deposits: list[Decimal] = []
    stop = threading.Event()
    lock = threading.Lock()
    try:
        create_account(server.data_dir, "bob", "USDT=1000000")
        creds = issue_key(server.data_dir, "bob", "--permissions", "reading,spot")
        token = admin_token(server.data_dir)

        def place(offset: int) -> None:
            with httpx.Client(base_url=server.url, timeout=5) as http:
                i = 0
                while not stop.is_set():
                    price = f"{50000 + offset * 100 + i % 100}.00"
                    i += 1
                    try:
                        response = _limit_buy(http, creds, price)
                    except httpx.HTTPError:
                        return  # the server died under us: that order was never acknowledged
                    if response.status_code == 200:
                        with lock:
                            acked_orders.append(response.json()["orderId"])

        def deposit() -> None:
            with httpx.Client(base_url=server.url, timeout=5) as http:
                while not stop.is_set():
                    try:
                        response = http.post("/admin/accounts/bob/deposit", json={"asset": "BNB", "amount": "1"},
                                             headers={"Authorization": f"Bearer {token}"})
                    except httpx.HTTPError:
                        return
                    if response.status_code == 200:
                        with lock:
                            acked_deposits.append(Decimal(1))

        workers = [threading.Thread(target=place, args=(n,)) for n in range(4)]
        workers.append(threading.Thread(target=deposit))
        for w in workers:
            w.start()
        time.sleep(1.5)
        server.stop(signal.SIGKILL)  # mid-traffic
        stop.set()
        for w in workers:
            w.join(timeout=10)
        assert len(acked_orders) > 20, "the traffic should have placed orders before the kill"

        server = Server(server.data_dir, "--market-clock", "manual")
        with httpx.Client(base_url=server.url, timeout=10) as http:
            open_orders = signed_request(http, "GET", "/api/v3/openOrders", creds, {"symbol": "BTCUSDT"}).json()
            survived = {o["orderId"] for o in open_orders}
            missing = set(acked_orders) - survived
            assert not missing, f"{len(missing)} acknowledged orders were lost"
            balances = {b["asset"]: b for b in signed_request(http, "GET", "/api/v3/account", creds).json()["balances"]}
        assert Decimal(balances.get("BNB", {"free": "0"})["free"]) >= sum(acked_deposits)
        locked = sum(Decimal(o["price"]) * Decimal(o["origQty"]) for o in open_orders)
        assert Decimal(balances["USDT"]["locked"]) == locked  # the ledger agrees with the restored book
    finally:
        stop.set()
        server.stop()
