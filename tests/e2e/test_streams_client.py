"""The SDK's streams client against a real ``minance serve`` (manual market clock): typed market events, a local
order book that equals /api/v3/depth, user data over the WebSocket API and a listen key, and reconnection.

Disconnections are real: the client talks to the server through a TCP relay that the test cuts (every live
connection closed, new ones refused) and restores. While the client is cut off, orders fill and get cancelled;
after it reconnects it reports them (synthetic events from REST) and backfills the klines it missed.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from decimal import Decimal

import httpx
import pytest

from minance.client import AsyncClient, AsyncStreams, Backoff, Client, StreamError, Streams
from minance.client.models import Balance, Kline
from minance.client.stream_events import (
    AccountPosition,
    BookTickerEvent,
    DepthUpdate,
    ExecutionReport,
    KlineEvent,
    Reconciled,
    TradeEvent,
)
from minance.domain.orders import ExecutionType, OrderStatus, OrderType, Side
from tests.support import admin_token, create_account, issue_key, running_server, wait_for

SYMBOL = "BTCUSDT"
FAST = Backoff(initial_s=0.05, factor=2, max_s=0.2, jitter=0)


class Relay:
    """A TCP relay to the server that the test can cut and restore (a network failure, for real)."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"ws://127.0.0.1:{self.port}"
        self.open = True
        self.conns: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            upstream = socket.create_connection(self.upstream)
            with self._lock:
                self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        self.open = False
        with self._lock:
            conns, self.conns = self.conns, []
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def restore(self) -> None:
        self.open = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


@pytest.fixture(scope="module")
def exchange(tmp_path_factory):
    data = tmp_path_factory.mktemp("streams") / "data"
    with running_server(data, "--market-clock", "manual") as srv:
        create_account(data, "streamer", "USDT=50000", "BTC=2")
        srv.creds = issue_key(data, "streamer", "--permissions", "reading,spot")
        srv.admin = {"Authorization": f"Bearer {admin_token(data)}"}
        yield srv


def step(srv, ms: int = 30_000) -> None:
    httpx.post(srv.url + "/admin/market/step", json={"ms": ms}, headers=srv.admin, timeout=10).raise_for_status()


async def astep(srv, ms: int = 30_000) -> None:
    await asyncio.to_thread(step, srv, ms)


def rest(srv) -> AsyncClient:
    return AsyncClient(srv.creds.api_key, srv.creds.secret, target=srv.url)


async def next_of(sub, kind, timeout: float = 10.0, match=lambda e: True):
    while True:
        event = await sub.next(timeout)
        if isinstance(event, kind) and match(event):
            return event


async def stepping(srv, sub, kind, tries: int = 20):
    """Step the market until ``sub`` yields a ``kind`` event (a step need not print a trade or move the quote)."""
    for _ in range(tries):
        await astep(srv)
        try:
            return await next_of(sub, kind, timeout=1.5)
        except TimeoutError:
            continue
    raise AssertionError(f"no {kind.__name__} after {tries} market steps")


def test_market_streams_arrive_typed(exchange):
    async def main() -> None:
        async with AsyncStreams(target=exchange.url, backoff=FAST) as streams:
            quotes = streams.subscribe_book_ticker([SYMBOL])
            trades = streams.subscribe_trades(SYMBOL)
            bars = streams.subscribe_klines(SYMBOL, "1s")
            for sub in (quotes, trades, bars):
                await sub.ready()
            quote = await stepping(exchange, quotes, BookTickerEvent)
            assert quote.symbol == SYMBOL and isinstance(quote.bid_price, Decimal)
            assert quote.bid_price < quote.ask_price and quote.bid_qty > 0
            trade = await stepping(exchange, trades, TradeEvent)
            assert trade.symbol == SYMBOL and isinstance(trade.price, Decimal) and trade.qty > 0
            bar = await next_of(bars, KlineEvent, match=lambda e: e.closed)
            assert bar.interval == "1s" and isinstance(bar.kline, Kline) and bar.kline.high >= bar.kline.low

    asyncio.run(main())


def test_local_order_book_equals_rest_depth(exchange):
    async def main() -> None:
        async with AsyncStreams(target=exchange.url, backoff=FAST) as streams, rest(exchange) as client:
            depth = streams.subscribe_depth(SYMBOL)
            await depth.ready()
            for i in range(5):
                if i == 3:  # a dropped connection: the book is rebuilt from a new snapshot
                    await depth.drop()
                    while depth.reconnects == 0:
                        await asyncio.sleep(0.01)
                    await depth.ready()
                await astep(exchange)
                for _ in range(20):  # the same update id on both sides (the maker may re-quote meanwhile)
                    snapshot = await client.depth(SYMBOL, limit=1000)
                    while depth.book.last_update_id is None or depth.book.last_update_id < snapshot.last_update_id:
                        event = await depth.next(10)
                        assert isinstance(event, DepthUpdate)
                    if depth.book.last_update_id == snapshot.last_update_id:
                        break
                assert depth.book.last_update_id == snapshot.last_update_id
                assert depth.book.bids() == snapshot.bids and depth.book.asks() == snapshot.asks
            assert depth.reconnects == 1

    asyncio.run(main())


def test_klines_missed_while_cut_off_are_backfilled(exchange):
    async def main() -> None:
        relay = Relay(exchange.port)
        try:
            async with AsyncStreams(target=exchange.url, ws_url=relay.url, backoff=FAST) as streams:
                bars = streams.subscribe_klines(SYMBOL, "1s")
                await bars.ready()
                first = await next_of(bars, KlineEvent, match=lambda e: e.closed)
                relay.cut()
                await asyncio.sleep(3.5)  # wall-clock 1s bars close meanwhile; nothing reaches us
                relay.restore()
                seen = [first.kline.open_time]
                while len(seen) < 6:
                    bar = await next_of(bars, KlineEvent, match=lambda e: e.closed)
                    seen.append(bar.kline.open_time)
                    if bar.synthetic:
                        assert bar.kline.open_time > first.kline.open_time
                assert bars.reconnects >= 1
                # no bar missing, none twice: consecutive seconds
                assert seen == list(range(seen[0], seen[0] + 1000 * len(seen), 1000))
        finally:
            relay.close()

    asyncio.run(main())


async def _place(client: AsyncClient, side: str, **kw):
    return await client.create_order(SYMBOL, side, kw.pop("type", "LIMIT"), new_order_resp_type="FULL", **kw)


def test_user_data_reconnects_and_reports_what_it_missed(exchange):
    async def main() -> None:
        relay = Relay(exchange.port)
        creds = exchange.creds
        try:
            async with (rest(exchange) as client,
                        AsyncStreams(creds.api_key, creds.secret, target=exchange.url, ws_url=relay.url,
                                     backoff=FAST) as streams):
                book = await client.depth(SYMBOL, limit=5)
                low = (book.bids[0].price * Decimal("0.9")).quantize(Decimal("0.01"))
                user = streams.user_data(symbols=[SYMBOL])
                await user.ready()

                resting = await _place(client, "BUY", quantity="0.001", price=low, time_in_force="GTC")
                new = await next_of(user, ExecutionReport, match=lambda e: e.order_id == resting.order_id)
                assert (new.execution_type, new.status, new.side, new.order_type) == (
                    ExecutionType.NEW, OrderStatus.NEW, Side.BUY, OrderType.LIMIT)
                assert new.price == low and new.synthetic is False
                await next_of(user, AccountPosition)

                relay.cut()  # the stream is gone; REST still works
                await client.cancel_order(SYMBOL, order_id=resting.order_id)
                filled = await _place(client, "BUY", type="MARKET", quantity="0.002")
                assert filled.status == "FILLED"
                account = await client.account()
                trades = await client.my_trades(SYMBOL, order_id=filled.order_id)
                relay.restore()

                missed = []
                while True:
                    event = await user.next(15)
                    if isinstance(event, Reconciled):
                        break
                    missed.append(event)
                assert user.reconnects >= 1
                reports = [e for e in missed if isinstance(e, ExecutionReport)]
                assert all(e.synthetic for e in missed)
                cancelled = [r for r in reports if r.order_id == resting.order_id]
                assert [(r.execution_type, r.status) for r in cancelled] == [(ExecutionType.CANCELED,
                                                                              OrderStatus.CANCELED)]
                fills = [r for r in reports if r.order_id == filled.order_id]
                assert [r.trade_id for r in fills] == [t.id for t in trades]
                assert [r.last_qty for r in fills] == [t.qty for t in trades]
                assert [r.commission for r in fills] == [t.commission for t in trades]
                assert fills[-1].status == OrderStatus.FILLED and fills[-1].cum_qty == Decimal("0.002")
                assert fills[-1].cum_quote_qty == filled.cummulative_quote_qty
                position = next(e for e in missed if isinstance(e, AccountPosition))
                now = {b.asset: b for b in account.balances}
                assert {b.asset for b in position.balances} == {"BTC", "USDT"}
                for b in position.balances:
                    assert b == Balance(b.asset, now[b.asset].free, now[b.asset].locked)
                assert event.orders == tuple(reports) and event.balances == position.balances

                # and the live stream goes on after the reconciliation, without repeating anything
                again = await _place(client, "SELL", type="MARKET", quantity="0.001")
                live = await next_of(user, ExecutionReport, match=lambda e: e.order_id == again.order_id)
                assert live.synthetic is False and live.execution_type == ExecutionType.NEW
                live = await next_of(user, ExecutionReport, match=lambda e: e.order_id == again.order_id)
                assert live.synthetic is False and live.execution_type == ExecutionType.TRADE
        finally:
            relay.close()

    asyncio.run(main())


def test_user_data_over_a_listen_key_with_the_blocking_api(exchange, caplog):
    caplog.set_level(logging.DEBUG)
    creds = exchange.creds
    with Streams(creds.api_key, creds.secret, target=exchange.url, backoff=FAST) as streams:
        user = streams.user_data(listen_key=True)
        user.ready()
        with Client(creds.api_key, creds.secret, target=exchange.url) as client:
            order = client.create_order(SYMBOL, "SELL", "MARKET", quantity="0.001")
        event = user.next(10)
        while not (isinstance(event, ExecutionReport) and event.order_id == order.order_id):
            event = user.next(10)
        assert event.symbol == SYMBOL and event.side is Side.SELL
        listen_key = user.sub._listen_key
        user.drop()  # a forced reconnect: the subscription comes back by itself
        user.ready()
        user.close()
    assert listen_key and len(listen_key) == 64 and listen_key not in caplog.text  # it opens the account's stream


def test_bad_credentials_end_the_user_stream(exchange):
    async def main() -> None:
        async with AsyncStreams("x" * 64, "not-the-secret", target=exchange.url, backoff=FAST) as streams:
            user = streams.user_data()
            with pytest.raises(StreamError):
                await user.ready()
            assert user.ended and isinstance(user.error, StreamError) and "-2015" in str(user.error)
            with pytest.raises(StreamError):
                await user.next(5)

    asyncio.run(main())


def test_a_server_restart_is_survived(tmp_path, monkeypatch):
    """The server goes away (serverShutdown, then refused connections) and comes back on the same port with its
    listen keys forgotten: both subscriptions come back by themselves, the user stream with a fresh key."""
    from tests.support import Server

    data = tmp_path / "data"
    srv = Server(data, "--market-clock", "manual")
    try:
        create_account(data, "phoenix", "USDT=1000")
        creds = issue_key(data, "phoenix", "--permissions", "reading,spot")
        with (Streams(creds.api_key, creds.secret, target=srv.url, backoff=FAST) as streams,
              Client(creds.api_key, creds.secret, target=srv.url) as client):
            user = streams.user_data(symbols=[SYMBOL], listen_key=True)
            bars = streams.subscribe_klines(SYMBOL, "1s")
            user.ready()
            bars.ready()
            srv.stop()
            wait_for(lambda: not user.connected and not bars.connected)
            monkeypatch.setattr("tests.support.free_port", lambda: srv.port)
            srv = Server(data, "--market-clock", "manual")
            user.ready(40)
            bars.ready(40)
            assert user.reconnects >= 1 and bars.reconnects >= 1
            order = client.create_order(SYMBOL, "BUY", "MARKET", quote_order_qty="20")
            seen = []
            while not any(isinstance(e, ExecutionReport) and e.order_id == order.order_id for e in seen):
                seen.append(user.next(10))
            assert any(isinstance(e, Reconciled) for e in seen)  # told that it came back, before the order
            bar = bars.next(10)
            while not (isinstance(bar, KlineEvent) and bar.closed):
                bar = bars.next(10)
    finally:
        srv.stop()
