"""The streams client's pure parts: the local order book's update-id rules, event parsing, back-off, and the
reconciliation of what a user data stream missed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from minance.client.models import Balance, MyTrade, Order, OrderBook, PriceLevel
from minance.client.orderbook import BookGap, LocalOrderBook
from minance.client.reconcile import UserState
from minance.client.stream_events import (
    AccountPosition,
    DepthUpdate,
    ExecutionReport,
    Reconciled,
    parse_market,
    parse_user,
)
from minance.client.streams import Backoff
from minance.domain.orders import ExecutionType, OrderStatus, Side

D = Decimal


def diff(first: int, last: int, bids=(), asks=()) -> DepthUpdate:
    return DepthUpdate("BTCUSDT", first, last, tuple(PriceLevel(D(p), D(q)) for p, q in bids),
                       tuple(PriceLevel(D(p), D(q)) for p, q in asks), 0)


def snapshot(update_id: int) -> OrderBook:
    return OrderBook(update_id, (PriceLevel(D(100), D(1)), PriceLevel(D(99), D(2))),
                     (PriceLevel(D(101), D(1)),))


def test_book_drops_old_events_and_applies_the_straddling_one():
    book = LocalOrderBook("BTCUSDT")
    book.load(snapshot(10))
    assert book.apply(diff(5, 10, bids=[("100", "0")])) is False  # u <= lastUpdateId
    assert book.apply(diff(8, 12, bids=[("100", "0"), ("98", "3")], asks=[("102", "5")]))
    assert book.last_update_id == 12
    assert book.bids() == (PriceLevel(D(99), D(2)), PriceLevel(D(98), D(3)))
    assert book.best_ask() == PriceLevel(D(101), D(1))
    assert book.apply(diff(13, 13, asks=[("101", "0")]))
    assert book.asks(1) == (PriceLevel(D(102), D(5)),)


@pytest.mark.parametrize(("first_event", "then"), [((12, 14), None), ((9, 11), (13, 14))])
def test_book_gap_is_detected(first_event, then):
    book = LocalOrderBook("BTCUSDT")
    book.load(snapshot(10))
    if then is None:
        with pytest.raises(BookGap) as gap:
            book.apply(diff(*first_event))
        assert (gap.value.expected, gap.value.got) == (11, 12)
        return
    book.apply(diff(*first_event))
    with pytest.raises(BookGap):
        book.apply(diff(*then))


def test_parsers_type_amounts_and_enums():
    quote = parse_market("btcusdt@bookTicker", {"u": 7, "s": "BTCUSDT", "b": "1.5", "B": "2", "a": "1.6", "A": "3"})
    assert quote.bid_price == D("1.5") and quote.update_id == 7
    report = parse_user({"e": "executionReport", "E": 1, "s": "BTCUSDT", "c": "x", "S": "SELL", "o": "MARKET",
                         "f": "GTC", "q": "0.1", "p": "0", "P": "0", "x": "TRADE", "X": "FILLED", "i": 3, "l": "0.1",
                         "z": "0.1", "L": "100", "n": "0.01", "N": "USDT", "T": 2, "t": 9, "m": False, "Z": "10",
                         "Y": "10"})
    assert isinstance(report, ExecutionReport) and report.side is Side.SELL and report.status is OrderStatus.FILLED
    assert report.avg_price == D(100) and report.commission == D("0.01")
    assert parse_user({"e": "somethingNew"}) is None


def test_backoff_grows_and_caps():
    b = Backoff(initial_s=0.1, factor=2, max_s=1, jitter=0)
    assert [b.delay(i) for i in range(6)] == [0.1, 0.2, 0.4, 0.8, 1, 1]


def _order(order_id: int, status: str, executed: str = "0", quote: str = "0") -> Order:
    return Order("BTCUSDT", order_id, f"c{order_id}", price=D(100), orig_qty=D(1), executed_qty=D(executed),
                 cummulative_quote_qty=D(quote), status=status, side="BUY", type="LIMIT", time_in_force="GTC",
                 time=1, update_time=2)


def _trade(trade_id: int, order_id: int, qty: str, price: str = "100") -> MyTrade:
    return MyTrade("BTCUSDT", trade_id, order_id, D(price), D(qty), D(qty) * D(price), D("0.001"), "BTC", 5,
                   True, False)


def test_reconcile_reports_fills_cancels_new_orders_and_balances():
    state = UserState.from_rest([_order(1, "NEW"), _order(2, "NEW")], [Balance("USDT", D(100), D(200))],
                                {"BTCUSDT": 10}, 0)
    open_now = [_order(3, "NEW")]  # placed elsewhere; 1 filled in two trades, 2 was cancelled
    missed = {"BTCUSDT": [_trade(11, 1, "0.4"), _trade(12, 1, "0.6")]}
    assert state.lookups_needed(open_now, missed) == {("BTCUSDT", 1), ("BTCUSDT", 2)}
    lookups = {("BTCUSDT", 1): _order(1, "FILLED", "1", "100"), ("BTCUSDT", 2): _order(2, "CANCELED")}
    events = state.reconcile(open_now, [Balance("USDT", D(0), D(200)), Balance("BTC", D(1), D(0))], missed,
                             lookups, down_ms=500, now_ms=9)
    reports = [e for e in events if isinstance(e, ExecutionReport)]
    assert [(r.order_id, r.execution_type, r.status, r.cum_qty) for r in reports] == [
        (1, ExecutionType.TRADE, OrderStatus.PARTIALLY_FILLED, D("0.4")),
        (1, ExecutionType.TRADE, OrderStatus.FILLED, D("1.0")),
        (2, ExecutionType.CANCELED, OrderStatus.CANCELED, D(0)),
        (3, ExecutionType.NEW, OrderStatus.NEW, D(0))]
    assert all(r.synthetic for r in reports)
    position = next(e for e in events if isinstance(e, AccountPosition))
    assert {b.asset for b in position.balances} == {"USDT", "BTC"}
    summary = events[-1]
    assert isinstance(summary, Reconciled) and summary.down_ms == 500 and len(summary.orders) == 4
    assert set(state.orders) == {("BTCUSDT", 3)} and state.last_trade_id["BTCUSDT"] == 12
    # nothing changed since: nothing to report
    again = state.reconcile(open_now, [Balance("USDT", D(0), D(200)), Balance("BTC", D(1), D(0))], {}, {}, 0, 10)
    assert again == [Reconciled(0, (), ())]


def test_interval_lengths():
    from minance.client.streams import interval_ms

    assert [interval_ms(i) for i in ("1s", "1m", "15m", "4h", "1d", "1w", "1M", "x")] == [
        1000, 60_000, 900_000, 14_400_000, 86_400_000, 604_800_000, None, None]
