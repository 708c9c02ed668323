"""The shared request flow, driven by both clients over httpx.MockTransport with a fake clock and sleep:
signing on the wire, server-time sync, -1021 retry, rate-limit awareness, 429/418, idempotent orders."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qsl

import httpx
import pytest

from minance.client import AsyncClient, Client, RetryPolicy
from minance.client import errors as e
from minance.keys.model import KeyType
from minance.keys.verify import Verifier, extract_signed_payload

SECRET = "test-secret-value-0123456789"
T0 = 1_700_000_000_000  # local clock, ms
SERVER_AHEAD_MS = 2_500


class FakeExchange:
    """Scripted answers per 'METHOD path'; records every request as sent."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.script: dict[str, list] = {}
        self.now = [T0]
        self.slept: list[float] = []

    def on(self, route: str, *answers) -> None:
        self.script.setdefault(route, []).extend(answers)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        route = f"{request.method} {request.url.path}"
        if route == "GET /api/v3/time" and not self.script.get(route):
            return httpx.Response(200, json={"serverTime": self.now[0] + SERVER_AHEAD_MS})
        answers = self.script.get(route)
        assert answers, f"unexpected {route}"
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        status, body, *headers = answer
        return httpx.Response(status, json=body, headers=headers[0] if headers else {})

    def routes(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]

    def params(self, request: httpx.Request) -> dict[str, str]:
        return dict(parse_qsl(request.url.query.decode() + request.content.decode()))

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now[0] += int(seconds * 1000)

    def client(self, **kw) -> Client:
        kw.setdefault("retry", RetryPolicy(attempts=3, backoff_s=0.1))
        return Client("KEY", SECRET, target="http://exchange.test", transport=httpx.MockTransport(self.handler),
                      sleep=self.sleep, clock_ms=lambda: self.now[0], **kw)


@pytest.fixture
def fx() -> FakeExchange:
    return FakeExchange()


ACCOUNT = {"makerCommission": 10, "takerCommission": 10, "canTrade": True, "canWithdraw": False, "canDeposit": True,
           "updateTime": 1, "accountType": "SPOT", "balances": [{"asset": "BTC", "free": "1.5", "locked": "0"}]}
ORDER = {"symbol": "BTCUSDT", "orderId": 7, "clientOrderId": "X", "status": "NEW", "price": "50000.00000000",
         "origQty": "0.00100000", "executedQty": "0", "cummulativeQuoteQty": "0"}


def test_signed_get_verifies_on_the_server_side(fx):
    fx.on("GET /api/v3/account", (200, ACCOUNT))
    account = fx.client().account()
    assert account.balance("BTC").free == __import__("decimal").Decimal("1.5")
    sync, call = fx.requests
    assert sync.url.path == "/api/v3/time"  # the first signed call measures the server clock
    query = call.url.query
    assert query.endswith(b"&signature=" + query.rsplit(b"=", 1)[1])
    signed = extract_signed_payload(query, call.content)
    assert Verifier(KeyType.HMAC, secret=SECRET.encode()).verify(signed.payload, signed.signature)
    params = fx.params(call)
    assert params["recvWindow"] == "5000"
    assert int(params["timestamp"]) == T0 + SERVER_AHEAD_MS
    assert call.headers["X-MBX-APIKEY"] == "KEY"


def test_post_goes_in_a_form_body_signed_last(fx):
    fx.on("POST /api/v3/order", (200, ORDER))
    fx.client().limit_order("BTCUSDT", "BUY", "0.001", "50000")
    post = fx.requests[-1]
    assert post.url.query == b"" and post.headers["content-type"] == "application/x-www-form-urlencoded"
    body = post.content.decode()
    assert body.startswith("symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=0.001&price=50000&timeInForce=GTC")
    assert body.rsplit("&", 1)[1].startswith("signature=")
    signed = extract_signed_payload(b"", post.content)
    assert Verifier(KeyType.HMAC, secret=SECRET.encode()).verify(signed.payload, signed.signature)
    assert fx.params(post)["newClientOrderId"].startswith("mnc-")


def test_public_calls_carry_no_key_and_no_signature(fx):
    fx.on("GET /api/v3/ticker/price", (200, {"symbol": "BTCUSDT", "price": "1.0"}))
    Client(target="http://exchange.test", transport=httpx.MockTransport(fx.handler)).ticker_price("BTCUSDT")
    (req,) = fx.requests
    assert "x-mbx-apikey" not in req.headers and b"signature" not in req.url.query


def test_signed_call_without_credentials_is_refused_locally(fx):
    with pytest.raises(e.CredentialsError):
        Client(target="http://exchange.test", transport=httpx.MockTransport(fx.handler)).account()
    assert fx.requests == []


def test_invalid_timestamp_resyncs_the_clock_and_retries_once(fx):
    fx.on("GET /api/v3/account", (400, {"code": -1021, "msg": "Timestamp for this request is outside of the "
                                                             "recvWindow."}), (200, ACCOUNT))
    client = fx.client()
    client.account()
    assert fx.routes() == ["GET /api/v3/time", "GET /api/v3/account", "GET /api/v3/time", "GET /api/v3/account"]
    fx.on("GET /api/v3/account", *[(400, {"code": -1021, "msg": "x"})] * 2)
    with pytest.raises(e.TimestampError):  # once only: a clock that stays wrong is reported
        client.account()


def test_429_waits_retry_after_then_succeeds(fx):
    fx.on("GET /api/v3/depth", (429, {"code": -1003, "msg": "Too much request weight used"}, {"Retry-After": "7"}),
          (200, {"lastUpdateId": 1, "bids": [["1.0", "2.0"]], "asks": []}))
    book = fx.client().depth("BTCUSDT")
    assert fx.slept == [7.0] and str(book.bids[0].qty) == "2.0"


def test_429_longer_than_the_policy_allows_is_raised(fx):
    fx.on("GET /api/v3/depth", (429, {"code": -1003, "msg": "limit"}, {"Retry-After": "3600"}))
    with pytest.raises(e.RateLimitError) as info:
        fx.client().depth("BTCUSDT")
    assert info.value.retry_after_s == 3600 and fx.slept == []


def test_418_stops_every_further_call_until_the_ban_ends(fx):
    fx.on("GET /api/v3/depth", (418, {"code": -1003, "msg": "Way too much request weight used; IP banned"},
                                {"Retry-After": "120"}))
    client = fx.client()
    with pytest.raises(e.IpBannedError):
        client.depth("BTCUSDT")
    sent = len(fx.requests)
    with pytest.raises(e.IpBannedError, match="not sent"):
        client.ticker_price("BTCUSDT")
    assert len(fx.requests) == sent  # nothing reached the exchange
    fx.now[0] += 121_000
    fx.on("GET /api/v3/ticker/price", (200, {"symbol": "BTCUSDT", "price": "1"}))
    client.ticker_price("BTCUSDT")


def test_used_weight_headers_hold_a_call_until_the_window_resets(fx):
    fx.now[0] = T0 - T0 % 60_000 + 50_000  # 10 s before a minute boundary (server clock is not synced for NONE)
    fx.on("GET /api/v3/ping", (200, {}, {"X-MBX-USED-WEIGHT-1M": "5995"}), (200, {}, {"X-MBX-USED-WEIGHT-1M": "1"}))
    fx.on("GET /api/v3/exchangeInfo", (200, {"timezone": "UTC", "serverTime": 1, "symbols": [], "rateLimits": [
        {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000}]},
        {"X-MBX-USED-WEIGHT-1M": "5995"}))
    client = fx.client()
    client.ping()
    assert client.limits.snapshot(fx.now[0]) == {"weight-1M": 5995}
    client.exchange_info()  # weight 20 would cross 6000: wait for the next minute
    assert fx.slept == [10.0]
    client.ping()  # weight 1 fits
    assert fx.slept == [10.0]


def test_lost_order_answer_is_found_by_client_order_id_not_placed_twice(fx):
    fx.on("POST /api/v3/order", httpx.ReadTimeout("lost"))
    fx.on("GET /api/v3/order", lambda req: httpx.Response(200, json={**ORDER, "clientOrderId": fx.params(req)[
        "origClientOrderId"]}))
    order = fx.client().limit_order("BTCUSDT", "BUY", "0.001", "50000", new_client_order_id="my-id-1")
    assert order.client_order_id == "my-id-1"
    assert fx.routes().count("POST /api/v3/order") == 1
    lookup = fx.requests[-1]
    assert fx.params(lookup)["origClientOrderId"] == "my-id-1"


def test_order_unknown_after_a_lost_answer_is_sent_again_with_the_same_id(fx):
    fx.on("POST /api/v3/order", (503, {"code": -1007, "msg": "Timeout waiting for response from backend server."}),
          (400, {"code": -2010, "msg": "Duplicate order sent."}))
    fx.on("GET /api/v3/order", (400, {"code": -2013, "msg": "Order does not exist."}),
          (200, {**ORDER, "clientOrderId": "dup"}))
    order = fx.client().market_order("BTCUSDT", "SELL", quantity="0.001", new_client_order_id="dup")
    assert order.client_order_id == "dup"
    posts = [fx.params(r)["newClientOrderId"] for r in fx.requests if r.method == "POST"]
    assert posts == ["dup", "dup"]


def test_rejected_order_is_not_retried(fx):
    fx.on("POST /api/v3/order", (400, {"code": -2010, "msg": "Account has insufficient balance for requested "
                                                             "action."}))
    with pytest.raises(e.OrderRejected, match="insufficient balance"):
        fx.client().limit_order("BTCUSDT", "BUY", "100", "50000")
    assert fx.routes().count("POST /api/v3/order") == 1


def test_withdrawal_with_a_lost_answer_is_never_sent_again(fx):
    fx.on("POST /sapi/v1/capital/withdraw/apply", httpx.ConnectError("reset"))
    with pytest.raises(e.TransportError):
        fx.client().withdraw("USDT", "0xabc", "10")
    assert fx.routes().count("POST /sapi/v1/capital/withdraw/apply") == 1


def test_reads_are_retried_after_transport_errors(fx):
    fx.on("GET /api/v3/openOrders", httpx.ConnectError("refused"), (500, {"code": -1000, "msg": "x"}), (200, [ORDER]))
    (order,) = fx.client().open_orders("BTCUSDT")
    assert order.order_id == 7 and fx.slept == [0.1, 0.2]


def test_async_client_runs_the_same_flow(fx):
    fx.on("GET /api/v3/account", (400, {"code": -1021, "msg": "x"}), (200, ACCOUNT))
    fx.on("POST /api/v3/order", httpx.ReadTimeout("lost"))
    fx.on("GET /api/v3/order", (200, {**ORDER, "clientOrderId": "a1"}))

    async def sleep(seconds: float) -> None:
        fx.sleep(seconds)

    async def main():
        async with AsyncClient("KEY", SECRET, target="http://exchange.test", clock_ms=lambda: fx.now[0],
                               transport=httpx.MockTransport(fx.handler), sleep=sleep) as client:
            account = await client.account()
            order = await client.limit_order("BTCUSDT", "BUY", "0.001", "50000", new_client_order_id="a1")
            return account, order

    account, order = asyncio.run(main())
    assert account.can_trade and order.client_order_id == "a1"
    assert fx.routes() == ["GET /api/v3/time", "GET /api/v3/account", "GET /api/v3/time", "GET /api/v3/account",
                           "POST /api/v3/order", "GET /api/v3/order"]


def test_errors_and_reprs_never_hold_the_secret(fx):
    fx.on("GET /api/v3/account", (400, {"code": -1022, "msg": "Signature for this request is not valid."}))
    client = fx.client()
    with pytest.raises(e.SignatureError) as info:
        client.account()
    text = repr(client) + str(info.value) + repr(info.value) + json.dumps(info.value.headers)
    assert SECRET not in text and "signature=" not in text and "timestamp=" not in text
