"""A local order book kept from a /api/v3/depth snapshot plus the diff-depth stream, exactly as Binance's
"How to manage a local order book correctly" says, while the market maker re-quotes and our own orders come
and go; afterwards it equals /api/v3/depth."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import httpx
import pytest

from tests.e2e.wsclient import recv_json, ws_connect
from tests.support import signed_request

SYMBOL = "BTCUSDT"


class LocalBook:
    def __init__(self, snapshot: dict) -> None:
        self.update_id = snapshot["lastUpdateId"]
        self.bids = {p: q for p, q in snapshot["bids"]}
        self.asks = {p: q for p, q in snapshot["asks"]}
        self.applied = 0

    def apply(self, event: dict) -> None:
        if event["u"] <= self.update_id:
            return  # older than the book
        assert event["U"] <= self.update_id + 1, ("missed events", event["U"], self.update_id)
        if self.applied:
            assert event["U"] == self.update_id + 1, ("gap", event["U"], self.update_id)
        for side, levels in ((self.bids, event["b"]), (self.asks, event["a"])):
            for price, qty in levels:
                if Decimal(qty) == 0:
                    side.pop(price, None)
                else:
                    side[price] = qty
        self.update_id = event["u"]
        self.applied += 1

    def same_as(self, snapshot: dict) -> bool:
        return ({p: q for p, q in snapshot["bids"]} == self.bids and {p: q for p, q in snapshot["asks"]} == self.asks)


def _order_flow(server, creds, stop: threading.Event, placed_ids: list) -> None:
    """Orders that rest, trade and get cancelled, next to the maker's ladder."""
    with httpx.Client(base_url=server.url, timeout=10) as http:
        book = http.get("/api/v3/depth", params={"symbol": SYMBOL, "limit": 5}).json()
        best_bid = Decimal(book["bids"][0][0])
        i = 0
        while not stop.is_set():
            price = best_bid - Decimal(i % 5) - Decimal("0.5")
            placed = signed_request(http, "POST", "/api/v3/order", creds, {
                "symbol": SYMBOL, "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.0002",
                "price": str(price)}).json()
            if i % 3 == 0:
                signed_request(http, "POST", "/api/v3/order", creds, {
                    "symbol": SYMBOL, "side": "SELL", "type": "MARKET", "quantity": "0.0001"})
            if "orderId" in placed:
                placed_ids.append(placed["orderId"])
            if "orderId" in placed and i % 2 == 0:
                signed_request(http, "DELETE", "/api/v3/order", creds, {"symbol": SYMBOL,
                                                                         "orderId": placed["orderId"]})
            i += 1
            time.sleep(0.03)


@pytest.mark.parametrize("stream", ["btcusdt@depth@100ms", "btcusdt@depth"])
def test_local_book_from_snapshot_and_diff_stream(server, http, make_creds, stream):
    creds = make_creds("--permissions", "reading,spot")
    stop = threading.Event()
    placed: list[int] = []
    flow = threading.Thread(target=_order_flow, args=(server, creds, stop, placed), daemon=True)
    with ws_connect(server, f"/ws/{stream}") as ws:
        buffered = [recv_json(ws)]  # 1. buffer; note the first U
        flow.start()
        try:
            snapshot = http.get("/api/v3/depth", params={"symbol": SYMBOL, "limit": 5000}).json()
            while snapshot["lastUpdateId"] < buffered[0]["U"]:  # 4. snapshot older than the stream: again
                snapshot = http.get("/api/v3/depth", params={"symbol": SYMBOL, "limit": 5000}).json()
            book = LocalBook(snapshot)
            deadline = time.monotonic() + (1.5 if stream.endswith("100ms") else 2.5)  # market ticks: 1 s
            while time.monotonic() < deadline:  # 5-7. apply the buffered events, then the live ones
                buffered.append(recv_json(ws))
                for event in buffered:
                    book.apply(event)
                buffered = []
        finally:
            stop.set()
            flow.join(5)
        assert book.applied >= 2 and len(placed) >= 3
        for _ in range(20):  # the book is quiet between market ticks: catch it at a snapshot's update id
            current = http.get("/api/v3/depth", params={"symbol": SYMBOL, "limit": 5000}).json()
            while book.update_id < current["lastUpdateId"]:
                book.apply(recv_json(ws))
            if book.update_id == current["lastUpdateId"]:
                assert book.same_as(current)
                return
        pytest.fail("never caught the stream at a snapshot's lastUpdateId")
