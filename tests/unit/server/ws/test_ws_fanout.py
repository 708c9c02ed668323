"""Market fan-out over a real engine: trade/aggTrade/bookTicker at once, diff depth in batches that chain
with the engine's update ids exactly as Binance's local-book procedure expects."""

from __future__ import annotations

import itertools
import json
from decimal import Decimal

import pytest

from minance.domain.clock import SimClock
from minance.domain.orders import format_units
from minance.server.ws.fanout import StreamHub
from minance.server.ws.protocol import Connection, WsLimits
from minance.server.ws.streams import parse_stream
from tests.unit.engine.conftest import Harness


class Sub:
    def __init__(self, combined: bool = False, micros: bool = False) -> None:
        self.conn = Connection(None, "127.0.0.1", "/ws", WsLimits())
        self.combined = combined
        self.micros = micros

    def take(self) -> list:
        out = [json.loads(m.data) for m in self.conn._queue]
        self.conn._queue.clear()
        return out


@pytest.fixture
def h() -> Harness:
    harness = Harness()
    for account in (1, 2):
        harness.fund(account, USDT="1000000", BTC="100")
    return harness


def hub_for(h: Harness) -> StreamHub:
    return StreamHub(h.ex, history=None, clock=SimClock(h.ts))


def run(h: Harness, hub: StreamHub, result):
    hub.on_events(result.events)
    return result


def test_trade_agg_trade_and_book_ticker(h):
    hub = hub_for(h)
    raw, combined = Sub(), Sub(combined=True)
    for name in ("btcusdt@trade", "btcusdt@aggTrade", "btcusdt@bookTicker"):
        hub.subscribe(raw, parse_stream(name))
    hub.subscribe(combined, parse_stream("btcusdt@trade"))
    run(h, hub, h.order(1, "SELL", price="100", quantity="1"))
    run(h, hub, h.order(1, "SELL", price="100", quantity="2"))
    first = raw.take()
    assert [m["u"] for m in first] == [1, 2] and first[-1]["a"] == "100.00000000" and first[-1]["A"] == "3.00000000"
    run(h, hub, h.order(2, "BUY", "MARKET", quantity="2.5"))  # two fills at one price: one aggTrade
    msgs = raw.take()
    trades = [m for m in msgs if m.get("e") == "trade"]
    aggs = [m for m in msgs if m.get("e") == "aggTrade"]
    books = [m for m in msgs if "u" in m and "e" not in m]
    assert [(t["p"], t["q"], t["m"]) for t in trades] == [("100.00000000", "1.00000000", False),
                                                          ("100.00000000", "1.50000000", False)]
    assert len(aggs) == 1 and aggs[0]["q"] == "2.50000000"
    assert (aggs[0]["f"], aggs[0]["l"]) == (trades[0]["t"], trades[1]["t"])
    assert set(trades[0]) == {"e", "E", "s", "t", "p", "q", "T", "m", "M"}
    assert len(books) == 1 and books[0]["A"] == "0.50000000"
    wrapped = combined.take()
    assert [w["stream"] for w in wrapped] == ["btcusdt@trade"] * 2 and wrapped[0]["data"] == trades[0]


def test_unsubscribed_topics_cost_nothing_and_disappear(h):
    hub = hub_for(h)
    sub = Sub()
    hub.subscribe(sub, parse_stream("btcusdt@trade"))
    hub.unsubscribe(sub, "btcusdt@trade")
    assert hub.topics == {} and hub._realtime == {}
    run(h, hub, h.order(1, "SELL", price="100", quantity="1"))
    run(h, hub, h.order(2, "BUY", "MARKET", quantity="1"))
    assert sub.take() == []


def levels(rows: list[tuple[int, int]]) -> dict[str, str]:
    return {format_units(p): format_units(q) for p, q in rows}


def _apply(book: dict, side: list) -> None:
    for price, qty in side:
        if Decimal(qty) == 0:
            book.pop(price, None)
        else:
            book[price] = qty


def test_diff_depth_batches_chain_from_a_snapshot(h):
    hub = hub_for(h)
    sub = Sub()
    hub.subscribe(sub, parse_stream("btcusdt@depth@100ms"))
    hub.subscribe(sub, parse_stream("btcusdt@depth"))  # 1000 ms batches, same ids
    for i in range(5):
        run(h, hub, h.order(1, "SELL", price=str(101 + i), quantity="1"))
        run(h, hub, h.order(2, "BUY", price=str(99 - i), quantity="1"))
    hub._flush_diff(100, h.ts)
    snapshot = h.ex.depth("BTCUSDT", 5000)
    bids, asks = levels(snapshot.bids_u), levels(snapshot.asks_u)
    last = snapshot.last_update_id
    sub.take()
    for step in range(6):  # more changes, flushed every "100 ms"
        run(h, hub, h.order(2, "BUY", "MARKET", quantity="0.5"))
        open_buys = h.ex.open_orders(2, "BTCUSDT")
        if open_buys:
            run(h, hub, h.cancel(2, order_id=open_buys[0].order_id))
        run(h, hub, h.order(1, "SELL", price=str(110 + step), quantity="2"))
        hub._flush_diff(100, h.ts)
    hub._flush_diff(1000, h.ts)
    msgs = sub.take()
    fast = [m for m in msgs if m["e"] == "depthUpdate"][:-1]
    slow = msgs[-1]
    assert fast[0]["U"] == last + 1
    for prev, nxt in itertools.pairwise(fast):
        assert nxt["U"] == prev["u"] + 1
    for m in fast:
        _apply(bids, m["b"])
        _apply(asks, m["a"])
    final = h.ex.depth("BTCUSDT", 5000)
    assert fast[-1]["u"] == final.last_update_id
    assert bids == levels(final.bids_u) and asks == levels(final.asks_u)
    # the 1 s stream covers everything since it was subscribed, in one event
    assert slow["u"] == final.last_update_id and slow["U"] == 1


def test_a_slow_subscriber_is_dropped_without_disturbing_the_others(h):
    hub = hub_for(h)
    slow = Sub()
    slow.conn.limits = WsLimits(send_queue=3)
    fast = Sub()
    for sub in (slow, fast):
        hub.subscribe(sub, parse_stream("btcusdt@trade"))
    run(h, hub, h.order(1, "SELL", price="100", quantity="10"))
    for _ in range(5):
        run(h, hub, h.order(2, "BUY", "MARKET", quantity="1"))
    assert slow.conn.dropped and slow.conn.pending() == 0
    assert slow.conn._close[0] == 1008 and "Slow consumer" in slow.conn._close[1]
    assert len(fast.take()) == 5
