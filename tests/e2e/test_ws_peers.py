"""The peers' own WebSocket clients, unmodified, pointed at the local server the way PEERS.md §1 says:
python-binance's BinanceSocketManager (its user socket is the WS API's userDataStream.subscribe.signature),
ccxt.pro's watch_* methods, and binance-sdk-spot's WebSocket streams and WebSocket API clients."""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from tests.e2e.wsclient import ws_base
from tests.support import KEY_KINDS, Credentials

TIMEOUT = 10


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 45))


# -- python-binance -------------------------------------------------------------------------------------------
def local_async_client(url: str):
    from binance import AsyncClient

    return type("LocalAsyncClient", (AsyncClient,), {
        "API_URL": url + "/api", "MARGIN_API_URL": url + "/sapi", "WS_API_URL": ws_base_url(url) + "/ws-api/v3"})


def ws_base_url(url: str) -> str:
    return url.replace("http://", "ws://")


def test_python_binance_socket_manager(server, make_creds):
    from binance import BinanceSocketManager

    creds: Credentials = make_creds("--permissions", "reading,spot")

    async def main():
        client = await local_async_client(server.url).create(api_key=creds.api_key, api_secret=creds.secret)
        client.ws_api.TIMEOUT = 0.5  # see the next test
        try:
            bm = BinanceSocketManager(client)
            bm.STREAM_URL = ws_base(server) + "/"
            async with bm.trade_socket("BTCUSDT") as s:
                trade = await asyncio.wait_for(s.recv(), TIMEOUT)
            assert trade["e"] == "trade" and trade["s"] == "BTCUSDT"
            async with bm.kline_socket("ETHUSDT", interval=client.KLINE_INTERVAL_1SECOND) as s:
                kline = await asyncio.wait_for(s.recv(), TIMEOUT)
            assert kline["e"] == "kline" and kline["k"]["i"] == "1s" and kline["s"] == "ETHUSDT"
            async with bm.depth_socket("BTCUSDT", interval=100) as s:  # diff depth
                diff = await asyncio.wait_for(s.recv(), TIMEOUT)
            assert diff["e"] == "depthUpdate" and diff["u"] >= diff["U"]
            async with bm.depth_socket("BTCUSDT", depth=BinanceSocketManager.WEBSOCKET_DEPTH_5, interval=100) as s:
                partial = await asyncio.wait_for(s.recv(), TIMEOUT)
            assert len(partial["bids"]) == 5
            async with bm.multiplex_socket(["btcusdt@depth10@100ms", "ethusdt@miniTicker"]) as s:
                combined = await asyncio.wait_for(s.recv(), TIMEOUT)
            assert combined["stream"] in ("btcusdt@depth10@100ms", "ethusdt@miniTicker") and "data" in combined
        finally:
            await client.close_connection()

    run(main())


@pytest.mark.parametrize("kind", ["hmac", "ed25519"])
def test_python_binance_user_socket_and_ws_api(server, make_creds, kind):
    from binance import BinanceSocketManager

    creds: Credentials = make_creds("--permissions", "reading,spot", kind=kind)
    auth = {"api_secret": creds.secret} if kind == "hmac" else {"private_key": creds.private_pem}

    async def main():
        client = await local_async_client(server.url).create(api_key=creds.api_key, **auth)
        # python-binance's close waits for its reader's next recv() timeout (10 s) on an idle WS API
        # connection; a shorter one keeps the test fast (client configuration, same protocol)
        client.ws_api.TIMEOUT = 0.5
        try:
            bm = BinanceSocketManager(client)
            async with bm.user_socket() as s:  # WS API userDataStream.subscribe.signature
                order = await client.order_market_buy(symbol="BTCUSDT", quantity="0.001")
                events = [await asyncio.wait_for(s.recv(), TIMEOUT)]
                while events[-1]["e"] != "outboundAccountPosition":  # one TRADE report per price level
                    events.append(await asyncio.wait_for(s.recv(), TIMEOUT))
            assert [(e["e"], e.get("X")) for e in (events[0], events[-2], events[-1])] == [
                ("executionReport", "NEW"), ("executionReport", "FILLED"), ("outboundAccountPosition", None)]
            assert events[-2]["i"] == order["orderId"]
            # the client's WS API methods (ws_*), signed the WebSocket API way
            assert (await client.ws_get_order_book(symbol="BTCUSDT", limit=5))["lastUpdateId"] > 0
            placed = await client.ws_create_order(symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC",
                                                  quantity="0.001", price="20000")
            cancelled = await client.ws_cancel_order(symbol="BTCUSDT", orderId=placed["orderId"])
            assert cancelled["status"] == "CANCELED"
        finally:
            await client.close_connection()

    run(main())


# -- ccxt.pro -------------------------------------------------------------------------------------------------
def ccxt_pro(url: str, creds: Credentials):
    import ccxt.pro as ccxtpro

    exchange = ccxtpro.binance({
        "apiKey": creds.api_key, "secret": creds.peer_secret,
        "options": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False, "fetchMargins": False},
    })
    for name, value in list(exchange.urls["api"].items()):
        if isinstance(value, str):
            exchange.urls["api"][name] = re.sub(r"^https://[^/]+", url, value)
    exchange.urls["api"]["ws"]["spot"] = ws_base_url(url) + "/ws"
    exchange.urls["api"]["ws"]["ws-api"]["spot"] = ws_base_url(url) + "/ws-api/v3"
    return exchange


def test_ccxt_pro_market_streams(server, make_creds):
    creds = make_creds("--permissions", "reading,spot")

    async def main():
        exchange = ccxt_pro(server.url, creds)
        try:
            trades = await asyncio.wait_for(exchange.watch_trades("BTC/USDT"), TIMEOUT)
            assert trades and trades[-1]["symbol"] == "BTC/USDT" and trades[-1]["price"] > 0
            book = await asyncio.wait_for(exchange.watch_order_book("BTC/USDT"), TIMEOUT)
            book = await asyncio.wait_for(exchange.watch_order_book("BTC/USDT"), TIMEOUT)  # after a diff
            assert book["bids"] and book["asks"] and book["bids"][0][0] < book["asks"][0][0]
            rest = await exchange.fetch_order_book("BTC/USDT", 1000)
            assert book["nonce"] >= rest["nonce"] - 200  # same id space as /api/v3/depth
        finally:
            await exchange.close()

    run(main())


@pytest.mark.parametrize("kind", KEY_KINDS)
def test_ccxt_pro_watch_balance(server, make_creds, kind):
    creds = make_creds("--permissions", "reading,spot", kind=kind)

    async def main():
        exchange = ccxt_pro(server.url, creds)
        try:
            await exchange.load_markets()
            watching = asyncio.ensure_future(exchange.watch_balance())  # WS API userDataStream.subscribe.signature
            await asyncio.sleep(0.3)  # the subscription is in place
            await exchange.create_order("BTC/USDT", "market", "buy", 0.001)
            balance = await asyncio.wait_for(watching, TIMEOUT)
            assert balance["BTC"]["free"] > 1 and balance["USDT"]["free"] < 10000
        finally:
            await exchange.close()

    run(main())


# -- binance-sdk-spot -------------------------------------------------------------------------------------------
def sdk_spot(url: str, creds: Credentials):
    from binance_common.configuration import (
        ConfigurationRestAPI,
        ConfigurationWebSocketAPI,
        ConfigurationWebSocketStreams,
    )
    from binance_sdk_spot.spot import Spot

    auth = {"api_secret": creds.secret} if creds.kind == "hmac" else {"private_key": creds.private_pem}
    return Spot(
        config_rest_api=ConfigurationRestAPI(api_key=creds.api_key, base_path=url, timeout=5000, **auth),
        config_ws_api=ConfigurationWebSocketAPI(api_key=creds.api_key, stream_url=ws_base_url(url) + "/ws-api/v3",
                                                **auth),
        config_ws_streams=ConfigurationWebSocketStreams(stream_url=ws_base_url(url)),
    )


async def _first(queue: asyncio.Queue, match=lambda m: True):
    deadline = time.monotonic() + TIMEOUT
    while True:
        item = await asyncio.wait_for(queue.get(), max(deadline - time.monotonic(), 0.01))
        if match(item):
            return item


@pytest.mark.parametrize("kind", ["hmac", "ed25519"])
def test_binance_sdk_spot(server, make_creds, kind):
    creds = make_creds("--permissions", "reading,spot", kind=kind)
    spot = sdk_spot(server.url, creds)

    async def main():
        streams = await spot.websocket_streams.create_connection()  # /stream + SUBSCRIBE with UUID ids
        try:
            got: asyncio.Queue = asyncio.Queue()
            trade = await streams.trade(symbol="btcusdt")
            trade.on("message", got.put_nowait)
            depth = await streams.diff_book_depth(symbol="btcusdt", update_speed="100ms")
            depth.on("message", got.put_nowait)
            first_trade = await _first(got, lambda m: getattr(m, "e", None) == "trade")
            assert first_trade.s == "BTCUSDT" and float(first_trade.p) > 0
            first_diff = await _first(got, lambda m: getattr(m, "e", None) == "depthUpdate")
            assert first_diff.u >= first_diff.U
        finally:
            await streams.close_connection()

        api = await spot.websocket_api.create_connection()
        try:
            assert (await api.time()).data().result.server_time > 0
            sub = await api.user_data_stream_subscribe_signature()
            events: asyncio.Queue = asyncio.Queue()
            sub.stream.on("message", events.put_nowait)
            await asyncio.sleep(0.1)
            spot.rest_api.new_order(symbol="BTCUSDT", side="SELL", type="MARKET", quantity=0.0005)
            reports = [await _first(events)]  # parsed into the SDK's event models
            while type(reports[-1].actual_instance).__name__ != "OutboundAccountPosition":
                reports.append(await _first(events))
            kinds = [type(r.actual_instance).__name__ for r in reports]
            assert kinds == ["ExecutionReport"] * (len(reports) - 1) + ["OutboundAccountPosition"]
            assert [reports[0].actual_instance.x, reports[1].actual_instance.x] == ["NEW", "TRADE"]
            account = (await api.account_status()).data().result
            assert any(b.asset == "USDT" for b in account.balances)
        finally:
            await api.close_connection()

    run(main())
