"""LIMIT / LIMIT_MAKER orders, time in force, price-time priority, locks."""

from decimal import Decimal

from minance.domain.orders import ExecutionType, OrderStatus
from minance.engine import OrderUpdate


def test_resting_limit_buy_locks_price_times_quantity(h):
    reply = h.placed(1, "BUY", price="50000", quantity="0.1")
    assert reply.order.status is OrderStatus.NEW
    assert h.locked(1, "USDT") == Decimal("5000")
    assert h.free(1, "USDT") == Decimal("995000")
    depth = h.ex.depth("BTCUSDT")
    assert depth.bids == [(Decimal("50000"), Decimal("0.1"))] and depth.asks == []


def test_resting_limit_sell_locks_quantity(h):
    h.placed(1, "SELL", price="51000", quantity="0.25")
    assert h.locked(1, "BTC") == Decimal("0.25")


def test_crossing_limit_trades_at_maker_price_and_releases_the_improvement(h):
    h.placed(2, "SELL", price="50000", quantity="0.1")
    reply = h.placed(1, "BUY", price="51000", quantity="0.1")
    assert reply.order.status is OrderStatus.FILLED
    assert [(f.price, f.qty) for f in reply.fills] == [(Decimal("50000"), Decimal("0.1"))]
    assert h.locked(1, "USDT") == 0
    # paid 5000 for 0.1 BTC, commission 0.1% of the BTC received
    assert h.free(1, "USDT") == Decimal("995000")
    assert h.free(1, "BTC") == Decimal("100.0999")


def test_partial_fill_rests_the_rest_with_a_trimmed_lock(h):
    h.placed(2, "SELL", price="50000", quantity="0.04")
    reply = h.placed(1, "BUY", price="50100", quantity="0.1")
    assert reply.order.status is OrderStatus.PARTIALLY_FILLED
    assert reply.order.executed_qty == Decimal("0.04")
    assert h.locked(1, "USDT") == Decimal("0.06") * 50100
    assert h.ex.depth("BTCUSDT").bids == [(Decimal("50100"), Decimal("0.06"))]


def test_price_time_priority(h):
    first = h.placed(2, "SELL", price="50000", quantity="0.1").order.order_id
    second = h.placed(3, "SELL", price="50000", quantity="0.1").order.order_id
    better = h.placed(3, "SELL", price="49999", quantity="0.05").order.order_id
    h.placed(1, "BUY", price="50000", quantity="0.2")
    assert h.status(better, 3) == "FILLED"
    assert h.status(first, 2) == "FILLED"
    assert h.ex.get_order(3, "BTCUSDT", second).executed_qty == Decimal("0.05")


def test_sweep_through_several_levels(h):
    for price in ("50000", "50001", "50002"):
        h.placed(2, "SELL", price=price, quantity="0.1")
    reply = h.placed(1, "BUY", price="50001", quantity="0.3")
    assert [f.price for f in reply.fills] == [Decimal("50000"), Decimal("50001")]
    assert reply.order.status is OrderStatus.PARTIALLY_FILLED
    assert h.ex.depth("BTCUSDT").bids == [(Decimal("50001"), Decimal("0.1"))]
    assert h.ex.depth("BTCUSDT").asks == [(Decimal("50002"), Decimal("0.1"))]


def test_ioc_expires_the_unfilled_rest(h):
    h.placed(2, "SELL", price="50000", quantity="0.1")
    result = h.order(1, "BUY", price="50000", quantity="0.3", time_in_force="IOC")
    order = result.reply.order
    assert order.status is OrderStatus.EXPIRED and order.executed_qty == Decimal("0.1")
    assert h.locked(1, "USDT") == 0
    assert [u.execution_type for u in h.events(result, OrderUpdate) if u.order.order_id == order.order_id] == [
        ExecutionType.NEW, ExecutionType.TRADE, ExecutionType.EXPIRED]
    assert h.ex.depth("BTCUSDT").bids == []


def test_fok_fills_entirely_or_expires_without_trading(h):
    h.placed(2, "SELL", price="50000", quantity="0.1")
    h.placed(2, "SELL", price="50010", quantity="0.1")
    miss = h.order(1, "BUY", price="50005", quantity="0.15", time_in_force="FOK")
    assert miss.reply.order.status is OrderStatus.EXPIRED and miss.reply.fills == []
    assert miss.reply.order.expiry_reason.value == "UNFILLED_FOK_ORDER_EXPIRED"
    hit = h.order(1, "BUY", price="50010", quantity="0.15", time_in_force="FOK")
    assert hit.reply.order.status is OrderStatus.FILLED and len(hit.reply.fills) == 2


def test_limit_maker_rests_or_is_rejected_when_it_would_take(h):
    h.placed(2, "SELL", price="50000", quantity="0.1")
    h.rejected(h.order(1, "BUY", "LIMIT_MAKER", price="50000", quantity="0.1"), -2010,
               "Order would immediately match and take.")
    reply = h.placed(1, "BUY", "LIMIT_MAKER", price="49999", quantity="0.1")
    assert reply.order.status is OrderStatus.NEW and reply.order.is_working


def test_insufficient_balance(h):
    h.rejected(h.order(1, "BUY", price="50000", quantity="100"), -2010,
               "Account has insufficient balance for requested action.")
    h.rejected(h.order(1, "SELL", price="50000", quantity="100.1"), -2010)
    h.rejected(h.order(9, "SELL", price="50000", quantity="1"), -2010)


def test_duplicate_client_order_id_among_open_orders(h):
    h.placed(1, "BUY", price="50000", quantity="0.1", client_order_id="mine-1")
    h.rejected(h.order(1, "BUY", price="49000", quantity="0.1", client_order_id="mine-1"), -2010,
               "Duplicate order sent.")
    h.placed(2, "BUY", price="49000", quantity="0.1", client_order_id="mine-1")  # other account: fine
    assert h.cancel(1, orig_client_order_id="mine-1").ok
    h.placed(1, "BUY", price="49000", quantity="0.1", client_order_id="mine-1")  # closed now: reusable


def test_generated_client_order_ids_look_like_binance(h):
    ids = {h.placed(1, "BUY", price="50000", quantity="0.001").order.client_order_id for _ in range(50)}
    assert len(ids) == 50
    assert all(len(i) == 22 and i.isalnum() for i in ids)


def test_self_trade_allowed_with_stp_none(h):
    h.placed(1, "SELL", price="50000", quantity="0.1")
    reply = h.placed(1, "BUY", price="50000", quantity="0.1", stp_mode="NONE")
    assert reply.order.status is OrderStatus.FILLED
    trades = h.ex.my_trades(1, "BTCUSDT")
    assert sorted(t.is_buyer for t in trades) == [False, True]


def test_working_time_and_update_time(h):
    reply = h.placed(1, "BUY", price="50000", quantity="0.1")
    assert reply.order.working_ms == reply.order.time_ms == reply.transact_ms
    h.placed(2, "SELL", price="50000", quantity="0.05")
    view = h.ex.get_order(1, "BTCUSDT", reply.order.order_id)
    assert view.update_ms > view.time_ms
