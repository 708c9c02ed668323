"""Self-trade prevention, following Binance's STP FAQ scenarios (the taker's mode decides)."""

from decimal import Decimal

from minance.domain.orders import ExecutionType, OrderStatus
from minance.engine import OrderUpdate, Trade


def _makers(h):
    return [h.placed(1, "BUY", price=p, quantity=q, stp_mode="NONE", symbol="ETHUSDT").order.order_id
            for p, q in (("12", "1.2"), ("11", "1.3"), ("10", "8.1"))]


def test_expire_maker_expires_each_own_maker_and_rests(h):
    makers = _makers(h)
    result = h.order(1, "SELL", price="10", quantity="3", symbol="ETHUSDT", stp_mode="EXPIRE_MAKER")
    taker = result.reply
    assert taker.order.status is OrderStatus.NEW and taker.fills == []
    assert [p.maker_order_id for p in taker.prevented_matches] == makers
    assert [p.prevented_match_id for p in taker.prevented_matches] == [0, 1, 2]
    for oid, qty in zip(makers, ("1.2", "1.3", "8.1")):
        view = h.ex.get_order(1, "ETHUSDT", oid)
        assert view.status is OrderStatus.EXPIRED_IN_MATCH and view.prevented_qty == Decimal(qty)
    prevention = [u for u in h.events(result, OrderUpdate) if u.execution_type is ExecutionType.TRADE_PREVENTION]
    assert [u.order.order_id for u in prevention] == makers
    assert h.locked(1, "USDT") == 0


def test_expire_taker_keeps_the_makers(h):
    makers = _makers(h)
    taker = h.placed(1, "SELL", price="10", quantity="3", stp_mode="EXPIRE_TAKER", symbol="ETHUSDT")
    assert taker.order.status is OrderStatus.EXPIRED_IN_MATCH
    assert taker.order.prevented_qty == Decimal("3") and taker.order.prevented_match_id == 0
    assert taker.prevented_matches[0].taker_prevented_qty == Decimal("3")
    assert all(h.status(i, 1, "ETHUSDT") == "NEW" for i in makers)
    assert h.locked(1, "ETH") == 0


def test_expire_both(h):
    maker = h.placed(1, "BUY", price="10", quantity="1", symbol="ETHUSDT", stp_mode="NONE").order.order_id
    taker = h.placed(1, "SELL", price="10", quantity="3", symbol="ETHUSDT", stp_mode="EXPIRE_BOTH")
    assert taker.order.status is OrderStatus.EXPIRED_IN_MATCH
    assert h.status(maker, 1, "ETHUSDT") == "EXPIRED_IN_MATCH"
    assert h.ex.depth("ETHUSDT").bids == []


def test_decrement_expires_the_smaller_and_reduces_the_larger(h):
    maker = h.placed(1, "BUY", price="20", quantity="6", symbol="ETHUSDT", stp_mode="NONE").order.order_id
    taker = h.placed(1, "SELL", price="20", quantity="2", symbol="ETHUSDT", stp_mode="DECREMENT")
    assert taker.order.status is OrderStatus.EXPIRED_IN_MATCH and taker.order.prevented_qty == Decimal("2")
    view = h.ex.get_order(1, "ETHUSDT", maker)
    assert view.status is OrderStatus.NEW and view.prevented_qty == Decimal("2")
    assert h.ex.depth("ETHUSDT").bids == [(Decimal("20"), Decimal("4"))]
    assert h.locked(1, "USDT") == Decimal("80")


def test_stp_only_between_the_same_account_then_trades_others(h):
    h.placed(2, "BUY", price="10.1", quantity="1", symbol="ETHUSDT")
    own = h.placed(1, "BUY", price="10.2", quantity="1", symbol="ETHUSDT", stp_mode="NONE").order.order_id
    result = h.order(1, "SELL", "MARKET", quantity="1.5", symbol="ETHUSDT", stp_mode="EXPIRE_MAKER")
    assert h.status(own, 1, "ETHUSDT") == "EXPIRED_IN_MATCH"
    assert [t.price for t in h.events(result, Trade)] == [Decimal("10.1")]
    assert result.reply.order.status is OrderStatus.EXPIRED  # market remainder: no more liquidity


def test_default_mode_is_the_symbol_default(h):
    h.placed(1, "BUY", price="10", quantity="1", symbol="ETHUSDT")
    taker = h.placed(1, "SELL", price="10", quantity="1", symbol="ETHUSDT")
    assert taker.order.stp_mode.value == "EXPIRE_MAKER" and taker.fills == []


def test_fok_with_stp_counts_only_other_accounts_liquidity(h):
    h.placed(1, "SELL", price="10", quantity="1", symbol="ETHUSDT", stp_mode="NONE")
    h.placed(2, "SELL", price="10", quantity="1", symbol="ETHUSDT")
    miss = h.placed(1, "BUY", price="10", quantity="1.5", symbol="ETHUSDT", time_in_force="FOK",
                    stp_mode="EXPIRE_MAKER")
    assert miss.order.status is OrderStatus.EXPIRED and miss.fills == []
    assert h.ex.depth("ETHUSDT").asks == [(Decimal("10"), Decimal("2"))]  # nothing touched
    hit = h.placed(1, "BUY", price="10", quantity="1", symbol="ETHUSDT", time_in_force="FOK",
                   stp_mode="EXPIRE_MAKER")
    assert hit.order.status is OrderStatus.FILLED
    assert [p.maker_prevented_qty for p in hit.prevented_matches] == [Decimal("1")]
    h.placed(1, "SELL", price="10", quantity="1", symbol="ETHUSDT", stp_mode="NONE")
    h.placed(2, "SELL", price="10", quantity="1", symbol="ETHUSDT")
    taker_side = h.placed(1, "BUY", price="10", quantity="1", symbol="ETHUSDT", time_in_force="FOK",
                          stp_mode="EXPIRE_TAKER")
    assert taker_side.order.status is OrderStatus.EXPIRED and taker_side.fills == []
