"""Read-only queries: orders, trades, lists, balances, market data."""

from decimal import Decimal

import pytest

from minance.domain.errors import BinanceError
from minance.engine import Deposit, Withdraw


def test_get_order_by_id_or_client_id_and_unknown(h):
    oid = h.placed(1, "BUY", price="50000", quantity="0.1", client_order_id="q1").order.order_id
    assert h.ex.get_order(1, "BTCUSDT", order_id=oid).client_order_id == "q1"
    assert h.ex.get_order(1, "BTCUSDT", orig_client_order_id="q1").order_id == oid
    for kwargs in ({"order_id": 999}, {"orig_client_order_id": "nope"}, {"order_id": oid, "account": 2}):
        account = kwargs.pop("account", 1)
        with pytest.raises(BinanceError) as err:
            h.ex.get_order(account, "BTCUSDT", **kwargs)
        assert (err.value.code, err.value.msg) == (-2013, "Order does not exist.")
    with pytest.raises(BinanceError) as err:
        h.ex.get_order(1, "NOPE", order_id=oid)
    assert err.value.code == -1121


def test_open_and_all_orders(h):
    a = h.placed(1, "BUY", price="50000", quantity="0.1").order.order_id
    b = h.placed(1, "BUY", price="100", quantity="1", symbol="ETHUSDT").order.order_id
    c = h.placed(1, "BUY", price="49000", quantity="0.1").order.order_id
    h.cancel(1, order_id=a)
    assert [v.order_id for v in h.ex.open_orders(1)] == [b, c]
    assert [v.order_id for v in h.ex.open_orders(1, "BTCUSDT")] == [c]
    assert [v.order_id for v in h.ex.all_orders(1, "BTCUSDT")] == [a, c]
    assert [v.order_id for v in h.ex.all_orders(1, "BTCUSDT", order_id=c)] == [c]
    assert [v.order_id for v in h.ex.all_orders(1, "BTCUSDT", limit=1)] == [c]
    first_ts = h.ex.get_order(1, "BTCUSDT", a).time_ms
    assert [v.order_id for v in h.ex.all_orders(1, "BTCUSDT", start_ms=first_ts, limit=1)] == [a]
    assert [v.order_id for v in h.ex.all_orders(1, "BTCUSDT", end_ms=first_ts)] == [a]


def test_my_trades_and_public_trades(h):
    sell = h.placed(2, "SELL", price="50000", quantity="0.3").order.order_id
    buy1 = h.placed(1, "BUY", price="50000", quantity="0.1").order.order_id
    h.placed(1, "BUY", price="50000", quantity="0.2")
    mine = h.ex.my_trades(1, "BTCUSDT")
    assert [t.trade_id for t in mine] == [1, 2] and all(t.is_buyer and not t.is_maker for t in mine)
    assert mine[0].quote_qty == Decimal("5000") and mine[0].commission_asset == "BTC"
    assert [t.trade_id for t in h.ex.my_trades(1, "BTCUSDT", order_id=buy1)] == [1]
    assert [t.trade_id for t in h.ex.my_trades(1, "BTCUSDT", from_id=2)] == [2]
    theirs = h.ex.my_trades(2, "BTCUSDT")
    assert all(t.order_id == sell and t.is_maker and not t.is_buyer for t in theirs)
    public = h.ex.recent_trades("BTCUSDT")
    assert [t.trade_id for t in public] == [1, 2] and public[0].is_buyer_maker is False
    assert [t.trade_id for t in h.ex.historical_trades("BTCUSDT", from_id=2)] == [2]


def test_agg_trades_merge_one_taker_at_one_price(h):
    h.placed(2, "SELL", price="50000", quantity="0.1")
    h.placed(3, "SELL", price="50000", quantity="0.1")
    h.placed(3, "SELL", price="50001", quantity="0.1")
    h.placed(1, "BUY", price="50001", quantity="0.3")
    aggs = h.ex.agg_trades("BTCUSDT")
    assert [(a.price, a.qty, a.first_trade_id, a.last_trade_id) for a in aggs] == [
        (Decimal("50000"), Decimal("0.2"), 1, 2), (Decimal("50001"), Decimal("0.1"), 3, 3)]
    assert [a.agg_id for a in h.ex.agg_trades("BTCUSDT", from_id=2)] == [2]


def test_depth_book_ticker_last_and_average_price(h):
    h.placed(2, "SELL", price="50010", quantity="0.1")
    h.placed(3, "SELL", price="50010", quantity="0.2")
    h.placed(2, "SELL", price="50020", quantity="0.1")
    h.placed(2, "BUY", price="49990", quantity="0.5")
    depth = h.ex.depth("BTCUSDT", limit=1)
    assert depth.asks == [(Decimal("50010"), Decimal("0.3"))] and depth.bids == [(Decimal("49990"), Decimal("0.5"))]
    ticker = h.ex.book_ticker("BTCUSDT")
    assert (ticker.bid_price, ticker.ask_price, ticker.ask_qty) == (Decimal("49990"), Decimal("50010"),
                                                                    Decimal("0.3"))
    assert h.ex.last_price("BTCUSDT") is None and h.ex.avg_price("BTCUSDT", h.ts) is None
    h.placed(1, "BUY", price="50020", quantity="0.4")  # 0.3 @ 50010 + 0.1 @ 50020
    assert h.ex.last_price("BTCUSDT") == Decimal("50020")
    assert h.ex.avg_price("BTCUSDT", h.ts) == Decimal("50012.5")
    assert h.ex.avg_price("BTCUSDT", h.ts + 10 * 60_000) == Decimal("50020")  # window empty: last price


def test_balances_deposits_withdrawals(h):
    h.run(Deposit(7, "SOL", Decimal("12.5"), h.tick()))
    assert h.ex.balance(7, "SOL").free == Decimal("12.5")
    h.rejected(h.run(Withdraw(7, "SOL", Decimal("13"), h.tick())), -2010)
    assert h.run(Withdraw(7, "SOL", Decimal("2.5"), h.tick())).ok
    assert [(b.asset, b.free) for b in h.ex.balances(7)] == [("SOL", Decimal("10"))]
    assert h.ex.balance_units(7, "SOL") == (1_000_000_000, 0)
    h.rejected(h.run(Deposit(7, "SOL", Decimal("0.000000001"), h.tick())), -1111)
    h.rejected(h.run(Deposit(7, "SOL", Decimal("-1"), h.tick())), -1102)


def test_order_list_queries(h):
    from minance.engine import NewOco, OrderLeg

    h.placed(3, "SELL", price="50000", quantity="0.01")
    h.placed(2, "BUY", price="50000", quantity="0.01")
    cmd = NewOco(1, "BTCUSDT", "SELL", Decimal("0.1"), above=OrderLeg("LIMIT_MAKER", price=Decimal("52000")),
                 below=OrderLeg("STOP_LOSS", stop_price=Decimal("48000")), ts_ms=h.tick(), list_client_order_id="L")
    lid = h.run(cmd).reply.order_list.order_list_id
    assert h.ex.order_list(1, lid).list_client_order_id == "L"
    assert h.ex.order_list(1, orig_client_order_id="L").order_list_id == lid
    assert [x.order_list_id for x in h.ex.open_order_lists(1)] == [lid]
    assert [x.order_list_id for x in h.ex.all_order_lists(1)] == [lid]
    assert len(h.ex.list_orders(1, lid)) == 2
    with pytest.raises(BinanceError):
        h.ex.order_list(2, lid)


def test_average_price_window_is_a_pure_read(h):
    h.placed(2, "SELL", price="50000", quantity="1")
    h.placed(1, "BUY", price="50000", quantity="0.1")
    before = h.ex.snapshot()
    far_future = h.ts + 3_600_000
    assert h.ex.avg_price("BTCUSDT", far_future) == Decimal("50000")  # last price, nothing in the window
    h.rejected(h.order(1, "BUY", price="1", quantity="0.1"), -1013)  # filters read the average
    assert h.ex.snapshot() == before


def test_vwap_window_slides_and_compacts():
    from minance.engine.state import VwapWindow

    window = VwapWindow()
    for i in range(5000):
        window.record(i * 1000, 100 * 10**8 * (i % 7 + 1), 10**8)  # one trade a second, prices 100..700
    assert window.start > 0 and len(window.times) < 5000
    expected_prices = [(i % 7 + 1) * 100 for i in range(4700, 5000)]  # the last 300 seconds
    assert window.average(4999 * 1000) == sum(expected_prices) * 10**8 // len(expected_prices)
    assert window.average(10**9) == 0


def test_every_time_window_query_takes_start_and_end(h):
    """Issue 9: allOrderList with startTime answered 500 (bisect was handed a list as its key)."""
    from minance.engine import NewOco, OrderLeg

    h.placed(3, "SELL", price="50000", quantity="0.01")
    h.placed(1, "BUY", price="50000", quantity="0.01")
    cmd = NewOco(1, "BTCUSDT", "SELL", Decimal("0.001"), above=OrderLeg("LIMIT_MAKER", price=Decimal("52000")),
                 below=OrderLeg("STOP_LOSS", stop_price=Decimal("48000")), ts_ms=h.tick())
    lid = h.run(cmd).reply.order_list.order_list_id
    windows = [(0, None), (None, 2**63), (0, 2**63), (2**63, None), (None, 0), (2**63 + 1, 2**64)]
    for start, end in windows:
        everything = start in (0, None) and end in (2**63, None)
        lists = [x.order_list_id for x in h.ex.all_order_lists(1, start_ms=start, end_ms=end)]
        assert lists == ([lid] if everything else [])
        assert bool(h.ex.all_orders(1, "BTCUSDT", start_ms=start, end_ms=end)) is everything
        assert bool(h.ex.my_trades(1, "BTCUSDT", start_ms=start, end_ms=end)) is everything
        assert bool(h.ex.agg_trades("BTCUSDT", start_ms=start, end_ms=end)) is everything


def test_order_list_windows_follow_transaction_time_not_id_order(h):
    """A list's transaction time moves when it finishes: an older list can be the newer one in time."""
    from minance.engine import CancelOrderList, NewOco, OrderLeg

    def oco() -> int:
        cmd = NewOco(1, "BTCUSDT", "SELL", Decimal("0.001"), above=OrderLeg("LIMIT_MAKER", price=Decimal("52000")),
                     below=OrderLeg("STOP_LOSS", stop_price=Decimal("48000")), ts_ms=h.tick(100))
        return h.run(cmd).reply.order_list.order_list_id

    first = oco()
    second = oco()
    created_second = h.ts
    assert h.run(CancelOrderList(1, "BTCUSDT", h.tick(100), order_list_id=first)).ok
    ids = lambda **kw: [x.order_list_id for x in h.ex.all_order_lists(1, **kw)]  # noqa: E731
    assert ids(start_ms=h.ts) == [first]
    assert ids(end_ms=created_second) == [second]
    assert ids(start_ms=0, limit=1) == [first]
    assert ids() == [first, second] and ids(limit=0) == []
