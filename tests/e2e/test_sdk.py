"""The minance SDK against the real server: every method, each key type, sync and async, and the same answers
as python-binance gives for the same calls. Then the SDK's retry rules on the wire: a lost order answer,
a skewed clock, rate limits and a ban."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import httpx
import pytest

from minance.client import AsyncClient, Client, IpBannedError, OrderNotFound, OrderRejected, RateLimitError
from minance.client import errors as sdk_errors
from minance.client.api import ENDPOINTS
from minance.client.base import RetryPolicy
from minance.client.models import Order, OrderList
from tests.support import KEY_KINDS, Credentials, create_account, issue_key, running_server

D = Decimal


def sdk(url: str, creds: Credentials | None = None, **kw) -> Client:
    if creds is None:
        return Client(target=url, **kw)
    return Client(creds.api_key, creds.secret, private_key=creds.private_pem, target=url, **kw)


def python_binance(url: str, creds: Credentials):
    from binance.client import Client as PbClient

    auth = {"api_secret": creds.secret} if creds.kind == "hmac" else {"private_key": creds.private_pem}
    client = PbClient(api_key=creds.api_key, ping=False, **auth)
    client.API_URL = url + "/api"
    client.MARGIN_API_URL = url + "/sapi"
    return client


def agree(ours, theirs, attempts: int = 6):
    """Both clients' answers, normalised, once they agree (the live market may tick between two calls)."""
    for _ in range(attempts):
        a, b = ours(), theirs()
        if a == b:
            return a
        time.sleep(0.2)
    assert a == b
    return a


def book_price(client: Client, symbol: str, side: str) -> Decimal:
    book = client.depth(symbol, limit=5)
    return book.bids[0].price if side == "BUY" else book.asks[0].price


def order_fields(o: Order | dict) -> tuple:
    if isinstance(o, Order):
        return (o.order_id, o.client_order_id, o.status, o.price, o.orig_qty, o.executed_qty, o.side, o.type)
    return (o["orderId"], o["clientOrderId"], o["status"], D(o["price"]), D(o["origQty"]), D(o["executedQty"]),
            o["side"], o["type"])


# -- market data ---------------------------------------------------------------------------------------------
def test_market_data_agrees_with_python_binance(server, make_creds):
    client, pb = sdk(server.url), python_binance(server.url, make_creds())
    client.ping()
    assert abs(client.server_time().server_time - int(time.time() * 1000)) < 5000
    info = client.exchange_info()
    theirs = pb.get_exchange_info()
    assert [s.symbol for s in info.symbols] == [s["symbol"] for s in theirs["symbols"]]
    assert [s.raw for s in info.symbols] == theirs["symbols"]
    assert client.limits.weight_limits == {"1M": next(r["limit"] for r in theirs["rateLimits"]
                                                       if r["rateLimitType"] == "REQUEST_WEIGHT")}
    btc = info.symbol("BTCUSDT")
    assert btc.tick_size == D(btc.filter("PRICE_FILTER")["tickSize"])
    assert client.exchange_info(symbol="BTCUSDT").symbols[0].symbol == "BTCUSDT"

    agree(lambda: [(lv.price, lv.qty) for lv in client.depth("BTCUSDT", limit=10).bids],
          lambda: [(D(p), D(q)) for p, q in pb.get_order_book(symbol="BTCUSDT", limit=10)["bids"]])
    agree(lambda: [(t.id, t.price, t.qty, t.is_buyer_maker) for t in client.trades("BTCUSDT", limit=20)],
          lambda: [(t["id"], D(t["price"]), D(t["qty"]), t["isBuyerMaker"])
                   for t in pb.get_recent_trades(symbol="BTCUSDT", limit=20)])
    first = client.trades("BTCUSDT", limit=30)[0].id
    agree(lambda: [t.id for t in client.historical_trades("BTCUSDT", from_id=first, limit=10)],
          lambda: [t["id"] for t in pb.get_historical_trades(symbol="BTCUSDT", fromId=first, limit=10)])
    agg = client.agg_trades("BTCUSDT", limit=5)
    agree(lambda: [(a.agg_id, a.price, a.qty) for a in client.agg_trades("BTCUSDT", from_id=agg[0].agg_id, limit=5)],
          lambda: [(a["a"], D(a["p"]), D(a["q"])) for a in pb.get_aggregate_trades(symbol="BTCUSDT",
                                                                                  fromId=agg[0].agg_id, limit=5)])
    now_ms = int(time.time() * 1000)
    window = {"start_time": now_ms - 3_600_000, "end_time": now_ms - 120_000}  # closed candles only
    klines = client.klines("BTCUSDT", "1m", **window, limit=30)
    assert klines and all(k.close_time < now_ms for k in klines)
    assert klines == [client.klines("BTCUSDT", "1m", **window, limit=30)][0]
    theirs = pb.get_klines(symbol="BTCUSDT", interval="1m", startTime=window["start_time"],
                           endTime=window["end_time"], limit=30)
    assert [(k.open_time, k.open, k.high, k.low, k.close, k.volume, k.trades) for k in klines] == \
        [(r[0], D(r[1]), D(r[2]), D(r[3]), D(r[4]), D(r[5]), r[8]) for r in theirs]
    assert client.ui_klines("BTCUSDT", "1m", **window, limit=30) == klines
    agree(lambda: client.avg_price("BTCUSDT").price, lambda: D(pb.get_avg_price(symbol="BTCUSDT")["price"]))
    agree(lambda: client.ticker_24hr("BTCUSDT").count, lambda: pb.get_ticker(symbol="BTCUSDT")["count"])
    agree(lambda: client.ticker_price("ETHUSDT").price, lambda: D(pb.get_symbol_ticker(symbol="ETHUSDT")["price"]))
    agree(lambda: {p.symbol: p.price for p in client.ticker_prices()},
          lambda: {p["symbol"]: D(p["price"]) for p in pb.get_symbol_ticker()})
    agree(lambda: client.book_ticker("BTCUSDT").bid_price,
          lambda: D(pb.get_orderbook_ticker(symbol="BTCUSDT")["bidPrice"]))
    assert {t.symbol for t in client.tickers_24hr(["BTCUSDT", "ETHUSDT"])} == {"BTCUSDT", "ETHUSDT"}
    assert len(client.book_tickers()) == len(info.symbols)
    assert client.ticker_rolling("BTCUSDT", "1h").symbol == "BTCUSDT"
    assert client.system_status().status == 0


# -- everything signed, per key type -------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KEY_KINDS)
def test_every_signed_method_with_each_key_type(server, account, make_creds, kind):
    creds = make_creds("--permissions", "reading,spot", kind=kind)
    client, pb = sdk(server.url, creds), python_binance(server.url, creds)

    # account and key
    account_info = client.account()
    assert {b.asset: b.free for b in account_info.balances} == {"BTC": D(1), "USDT": D(10000)}
    assert account_info.raw == pb.get_account()
    restrictions = client.api_restrictions()
    assert restrictions.raw == pb.get_account_api_permissions()
    assert restrictions.enable_spot_and_margin_trading and not restrictions.enable_withdrawals
    assert client.account_commission("BTCUSDT").standard_commission.taker == \
        D(pb.v3_get_account_commission(symbol="BTCUSDT")["standardCommission"]["taker"])
    assert client.account_status() == pb.get_account_status()["data"]
    assert client.api_trading_status()["isLocked"] is False
    assert [r.rate_limit_type for r in client.order_rate_limits()] == ["ORDERS", "ORDERS"]
    assert {f.symbol: f.taker_commission for f in client.trade_fee()} == \
        {f["symbol"]: D(f["takerCommission"]) for f in pb.get_trade_fee()}
    assert {c.coin for c in client.coins()} >= {"BTC", "USDT"}

    # orders: test, a resting limit, a market fill, queries, cancels
    assert client.test_order("BTCUSDT", "BUY", "LIMIT", quantity="0.001", price="50000",
                             time_in_force="GTC").standard_commission_for_order is None
    rates = client.test_order("BTCUSDT", "BUY", "LIMIT", quantity="0.001", price="50000", time_in_force="GTC",
                              compute_commission_rates=True)
    assert set(rates.standard_commission_for_order) == {"maker", "taker"}
    bid = book_price(client, "BTCUSDT", "BUY")
    low = (bid * D("0.9")).quantize(D("0.01"))
    resting = client.limit_order("BTCUSDT", "BUY", D("0.001"), low, new_client_order_id=f"rest-{kind}")
    assert (resting.status, resting.price, resting.client_order_id) == ("NEW", low, f"rest-{kind}")
    assert order_fields(client.get_order("BTCUSDT", order_id=resting.order_id)) == \
        order_fields(pb.get_order(symbol="BTCUSDT", orderId=resting.order_id))
    assert client.get_order("BTCUSDT", orig_client_order_id=f"rest-{kind}").order_id == resting.order_id
    assert [order_fields(o) for o in client.open_orders("BTCUSDT")] == \
        [order_fields(o) for o in pb.get_open_orders(symbol="BTCUSDT")]
    assert [o.order_id for o in client.open_orders()] == [resting.order_id]
    filled = client.market_order("BTCUSDT", "BUY", quote_order_qty=D("100"))
    assert filled.status == "FILLED" and filled.fills and filled.avg_price > 0
    sold = client.market_order("BTCUSDT", "SELL", quantity=D("0.0005"))
    assert sold.executed_qty == D("0.0005")
    assert [order_fields(o) for o in client.all_orders("BTCUSDT")] == \
        [order_fields(o) for o in pb.get_all_orders(symbol="BTCUSDT")]
    trades = client.my_trades("BTCUSDT")
    assert [(t.id, t.order_id, t.price, t.qty, t.commission, t.is_buyer) for t in trades] == \
        [(t["id"], t["orderId"], D(t["price"]), D(t["qty"]), D(t["commission"]), t["isBuyer"])
         for t in pb.get_my_trades(symbol="BTCUSDT")]
    assert {t.order_id for t in trades} == {filled.order_id, sold.order_id}
    assert [t.id for t in client.my_trades("BTCUSDT", order_id=sold.order_id)] == \
        [t.id for t in trades if t.order_id == sold.order_id]
    replaced = client.cancel_replace("BTCUSDT", "BUY", "LIMIT", cancel_order_id=resting.order_id,
                                     quantity="0.001", price=str(low - 1), time_in_force="GTC")
    assert replaced.cancel_result == "SUCCESS" and replaced.new_order_result == "SUCCESS"
    assert replaced.cancelled.order_id == resting.order_id and replaced.new_order.price == low - 1
    cancelled = client.cancel_order("BTCUSDT", order_id=replaced.new_order.order_id)
    assert cancelled.status == "CANCELED"
    with pytest.raises(OrderNotFound):
        client.get_order("BTCUSDT", order_id=10**12)
    with pytest.raises(OrderRejected, match="insufficient balance"):
        client.limit_order("BTCUSDT", "BUY", D("1"), low)

    # order lists: OCO (new and legacy), OTO, OTOCO; queries and cancels
    ask = book_price(client, "BTCUSDT", "SELL")
    oco = client.create_oco("BTCUSDT", "SELL", D("0.0002"), above_type="LIMIT_MAKER", below_type="STOP_LOSS_LIMIT",
                            above_price=(ask * D("1.1")).quantize(D("0.01")),
                            below_stop_price=(bid * D("0.9")).quantize(D("0.01")),
                            below_price=(bid * D("0.89")).quantize(D("0.01")), below_time_in_force="GTC")
    assert oco.contingency_type == "OCO" and len(oco.orders) == 2 and oco.list_client_order_id.startswith("mnc-")
    assert client.get_order_list(order_list_id=oco.order_list_id).raw == \
        pb._get("orderList", True, "v3", data={"orderListId": oco.order_list_id})
    assert client.get_order_list(orig_client_order_id=oco.list_client_order_id).order_list_id == oco.order_list_id
    legacy = client.create_oco_legacy("BTCUSDT", "SELL", D("0.0002"), price=(ask * D("1.2")).quantize(D("0.01")),
                                      stop_price=(bid * D("0.85")).quantize(D("0.01")),
                                      stop_limit_price=(bid * D("0.84")).quantize(D("0.01")),
                                      stop_limit_time_in_force="GTC")
    oto = client.create_oto("BTCUSDT", "LIMIT", "BUY", low, D("0.0005"), "LIMIT", "SELL", D("0.0005"),
                            working_time_in_force="GTC", pending_price=(ask * D("1.3")).quantize(D("0.01")),
                            pending_time_in_force="GTC")
    otoco = client.create_otoco("BTCUSDT", "LIMIT", "BUY", low, D("0.0005"), "SELL", D("0.0005"), "LIMIT_MAKER",
                                working_time_in_force="GTC", pending_above_price=(ask * D("1.3")).quantize(D("0.01")),
                                pending_below_type="STOP_LOSS", pending_below_stop_price=(low * D("0.9")).quantize(
                                    D("0.01")))
    open_lists = {lst.order_list_id for lst in client.open_order_lists()}
    assert open_lists == {oco.order_list_id, legacy.order_list_id, oto.order_list_id, otoco.order_list_id}
    assert open_lists == {lst["orderListId"] for lst in pb._get("openOrderList", True, "v3", data={})}
    done = client.cancel_order_list("BTCUSDT", order_list_id=oco.order_list_id)
    assert done.list_order_status == "ALL_DONE"
    assert {lst.order_list_id for lst in client.all_order_lists()} >= open_lists
    swept = client.cancel_open_orders("BTCUSDT")
    assert {x.order_list_id for x in swept if isinstance(x, OrderList)} == open_lists - {oco.order_list_id}
    assert client.open_orders("BTCUSDT") == [] and client.open_order_lists() == []

    # user data stream (legacy listenKey)
    listen_key = client.new_listen_key()
    assert len(listen_key) >= 32 and client.new_listen_key() == listen_key
    assert client.keepalive_listen_key(listen_key) is None
    assert client.close_listen_key(listen_key) is None


def test_withdrawals_and_wallet_history(server, account, make_creds):
    creds = make_creds("--permissions", "reading,withdrawals", "--ip", "127.0.0.1")
    client, pb = sdk(server.url, creds), python_binance(server.url, creds)
    assert client.api_restrictions().enable_withdrawals
    usdt = next(c for c in client.coins() if c.coin == "USDT")
    network = next(n for n in usdt.networks if n.is_default)
    address = "0x" + "ab" * 20
    result = client.withdraw("USDT", address, D("25"), network=network.network, withdraw_order_id="wd-1")
    assert result.id
    (record,) = client.withdraw_history(withdraw_order_id="wd-1")
    assert (record.id, record.amount, record.coin, record.address) == (result.id, D("25"), "USDT", address)
    assert [(r.id, r.amount) for r in client.withdraw_history()] == \
        [(r["id"], D(r["amount"])) for r in pb.get_withdraw_history()]
    assert [(r.amount, r.coin) for r in client.deposit_history()] == \
        [(D(r["amount"]), r["coin"]) for r in pb.get_deposit_history()]
    assert client.account().balance("USDT").free == D(10000) - D(25)
    read_only = sdk(server.url, make_creds())
    with pytest.raises(sdk_errors.StopError):  # -1002: not authorized to withdraw; the SDK says stop
        read_only.withdraw("USDT", address, D("25"), network=network.network)


def test_async_client_gives_what_the_sync_client_gives(server, account, make_creds):
    creds = make_creds("--permissions", "reading,spot", kind="ed25519")
    sync_client = sdk(server.url, creds)
    before = sync_client.account()

    async def main():
        async with AsyncClient(creds.api_key, private_key=creds.private_pem, target=server.url) as client:
            account_info, restrictions, info = await asyncio.gather(client.account(), client.api_restrictions(),
                                                                    client.exchange_info())
            order = await client.market_order("ETHUSDT", "BUY", quote_order_qty=D("50"))
            queried = await client.get_order("ETHUSDT", order_id=order.order_id)
            trades = await client.my_trades("ETHUSDT")
            return account_info, restrictions, info, order, queried, trades

    account_info, restrictions, info, order, queried, trades = asyncio.run(main())
    assert account_info.balances == before.balances
    assert restrictions == sync_client.api_restrictions()
    assert [s.symbol for s in info.symbols] == [s.symbol for s in sync_client.exchange_info().symbols]
    assert queried == sync_client.get_order("ETHUSDT", order_id=order.order_id)
    assert trades == sync_client.my_trades("ETHUSDT")


# -- retry rules on the wire ---------------------------------------------------------------------------------
class LosesFirstOrderAnswer(httpx.BaseTransport):
    """Sends every request to the real server, but loses the answer to the first POST /api/v3/order."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.lost = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == "POST" and request.url.path == "/api/v3/order" and not self.lost:
            response.read()
            self.lost += 1
            raise httpx.ReadTimeout("answer lost", request=request)
        return response


def test_an_order_whose_answer_is_lost_is_placed_once(server, account, make_creds):
    creds = make_creds("--permissions", "reading,spot")
    transport = LosesFirstOrderAnswer()
    client = sdk(server.url, creds, transport=transport)
    low = (book_price(client, "BTCUSDT", "BUY") * D("0.8")).quantize(D("0.01"))
    order = client.limit_order("BTCUSDT", "BUY", D("0.001"), low)
    assert transport.lost == 1 and order.status == "NEW"
    same_id = [o for o in client.all_orders("BTCUSDT") if o.client_order_id == order.client_order_id]
    assert len(same_id) == 1  # looked up by its client id, not sent twice


def test_a_skewed_clock_is_resynced_after_1021(server, account, make_creds):
    creds = make_creds()
    skewed = sdk(server.url, creds, auto_time_sync=False, clock_ms=lambda: time.time_ns() // 1_000_000 - 20_000)
    assert skewed.account().can_deposit  # -1021 at first, then the SDK measured the offset and retried
    assert 19_000 < skewed.time_offset_ms < 21_000


def test_rate_limits_and_ban(tmp_path):
    data = tmp_path / "data"
    with running_server(data, "--no-market", env={"MINANCE_WEIGHT_PER_MINUTE": "60",
                                                  "MINANCE_STRIKES_BEFORE_BAN": "2"}) as srv:
        create_account(data, "rl", "USDT=100")
        creds = issue_key(data, "rl")
        polite = sdk(srv.url, creds, retry=RetryPolicy(max_wait_s=0.5))
        polite.exchange_info()  # learns the 60/minute limit; 20 used
        polite.exchange_info()  # 40
        if polite.limits.current(polite.limits.used_weight, "1M", polite.server_now_ms()) + 20 > 60:
            with pytest.raises(RateLimitError, match="not sent"):  # held back locally: the window resets later
                polite.exchange_info()
        # clients that do not know the weight used (a new one per call) get the server's 429 with Retry-After
        def blind() -> Client:
            return sdk(srv.url, creds, retry=RetryPolicy(attempts=1, max_wait_s=0.5))

        with pytest.raises(RateLimitError) as limited:
            for _ in range(10):  # room for a window reset on the way
                blind().exchange_info()
        assert limited.value.http_status == 429 and limited.value.retry_after_s > 0
        client = blind()
        with pytest.raises(IpBannedError) as banned:  # insisting gets the IP banned: 418, and the SDK stops
            for _ in range(30):
                try:
                    client.exchange_info()
                except RateLimitError:
                    client = blind()
        assert banned.value.http_status == 418 and banned.value.retry_after_s >= 60
        before = srv.log()
        with pytest.raises(IpBannedError, match="not sent"):
            client.ping()
        assert srv.log() == before


def test_every_served_endpoint_has_an_sdk_method():
    from minance.server.api import all_routes

    ours = {(e.method, e.path) for e in ENDPOINTS.values()}
    served = {(e.method, e.path) for e in all_routes()}
    not_spot = {p for p in served if p[1].startswith(("/fapi/", "/dapi/", "/sapi/v1/margin/"))}
    assert served - not_spot - ours == set()


def test_sdk_and_server_agree_on_security_types():
    from minance.server.api import all_routes
    from minance.server.auth import Security

    served = {(e.method, e.path): e.security for e in all_routes()}
    for endpoint in ENDPOINTS.values():
        security = served.get((endpoint.method, endpoint.path))
        if security is None:
            continue
        signed = security in (Security.TRADE, Security.USER_DATA)
        assert (endpoint.security.value == "SIGNED") == signed, endpoint


