"""Per-command outputs: event order, rate-limit hooks, balance updates, diff-depth ids."""

from decimal import Decimal

from minance.domain.orders import ExecutionType
from minance.engine import BalanceDelta, BalanceUpdate, BookDelta, Deposit, NewOco, OrderLeg, OrderUpdate, Trade


def test_event_order_of_a_crossing_order(h):
    h.placed(2, "SELL", price="50000", quantity="0.1")
    result = h.order(1, "BUY", price="50000", quantity="0.25")
    kinds = [type(e).__name__ for e in result.events]
    assert kinds[:4] == ["OrderUpdate", "Trade", "OrderUpdate", "OrderUpdate"]
    assert kinds[-1] == "BookDelta" and set(kinds[4:-1]) == {"BalanceUpdate"}
    taker, maker = h.events(result, OrderUpdate)[1:]
    assert (taker.is_maker, maker.is_maker) == (False, True)
    assert taker.execution_id + 1 == maker.execution_id
    assert taker.trade_id == maker.trade_id == h.events(result, Trade)[0].trade_id


def test_rate_limit_hooks(h):
    result = h.order(2, "SELL", price="50000", quantity="0.3")
    assert (result.new_orders, result.first_fills) == (1, [])
    maker = result.reply.order.order_id
    taker = h.order(1, "BUY", price="50000", quantity="0.1")
    assert taker.new_orders == 1
    assert taker.first_fills == [(1, taker.reply.order.order_id), (2, maker)]
    again = h.order(1, "BUY", price="50000", quantity="0.1")
    assert again.first_fills == [(1, again.reply.order.order_id)]  # the maker's first fill was earlier
    assert h.order(1, "BUY", price="50000", quantity="1000").new_orders == 0  # rejected
    h.placed(3, "SELL", price="50000", quantity="0.01")
    h.placed(2, "BUY", price="50000", quantity="0.01")
    oco = h.run(NewOco(1, "BTCUSDT", "SELL", Decimal("0.1"), above=OrderLeg("LIMIT_MAKER", price=Decimal("52000")),
                       below=OrderLeg("STOP_LOSS", stop_price=Decimal("48000")), ts_ms=h.tick()))
    assert oco.new_orders == 2


def test_balance_updates_carry_closing_balances_once_per_cell(h):
    h.placed(2, "SELL", price="50000", quantity="0.1")
    result = h.order(1, "BUY", price="50000", quantity="0.1")
    updates = h.events(result, BalanceUpdate)
    assert len({(u.account_id, u.asset) for u in updates}) == len(updates)
    for u in updates:
        assert (u.free, u.locked) == (h.free(u.account_id, u.asset), h.locked(u.account_id, u.asset))
    deposit = h.run(Deposit(9, "BNB", Decimal("3"), h.tick()))
    assert [type(e) for e in deposit.events] == [BalanceDelta, BalanceUpdate]


def test_book_deltas_are_contiguous_and_match_the_book(h):
    mirror = {"bids": {}, "asks": {}}
    last_u = h.ex.depth("BTCUSDT").last_update_id

    def apply(result):
        nonlocal last_u
        for delta in h.events(result, BookDelta):
            assert delta.first_update_id == last_u + 1 and delta.last_update_id >= delta.first_update_id
            last_u = delta.last_update_id
            for side, levels in (("bids", delta.bids), ("asks", delta.asks)):
                for price, qty in levels:
                    if qty:
                        mirror[side][price] = qty
                    else:
                        mirror[side].pop(price, None)

    apply(h.order(2, "SELL", price="50010", quantity="0.1"))
    apply(h.order(2, "SELL", price="50020", quantity="0.1"))
    apply(h.order(3, "BUY", price="49990", quantity="0.2"))
    apply(h.order(1, "BUY", price="50015", quantity="0.15"))
    oid = h.placed(3, "BUY", price="49980", quantity="0.2").order.order_id
    last_u = h.ex.depth("BTCUSDT").last_update_id
    apply(h.cancel(3, order_id=oid))
    depth = h.ex.depth("BTCUSDT", 100)
    assert depth.last_update_id == last_u
    assert sorted(mirror["bids"].items(), reverse=True) == depth.bids_u
    assert sorted(mirror["asks"].items()) == depth.asks_u


def test_trade_prevention_update_fields(h):
    h.placed(1, "BUY", price="10", quantity="1", symbol="ETHUSDT", stp_mode="NONE")
    result = h.order(1, "SELL", price="10", quantity="1", symbol="ETHUSDT", stp_mode="EXPIRE_TAKER")
    prevention = [u for u in h.events(result, OrderUpdate) if u.execution_type is ExecutionType.TRADE_PREVENTION]
    assert len(prevention) == 1
    u = prevention[0]
    assert u.last_prevented_qty == Decimal("1") and u.prevented_price == Decimal("10")
    assert u.counter_order_id == 1 and u.order.status.value == "EXPIRED_IN_MATCH"
