"""MARKET orders by quantity and by quoteOrderQty, and their expiry."""

from decimal import Decimal

from minance.domain.orders import OrderStatus


def _asks(h):
    h.placed(2, "SELL", price="50000", quantity="0.1")
    h.placed(2, "SELL", price="50100", quantity="0.1")
    h.placed(2, "SELL", price="50200", quantity="1")


def _bids(h):
    h.placed(2, "BUY", price="50000", quantity="0.1")
    h.placed(2, "BUY", price="49900", quantity="0.1")
    h.placed(2, "BUY", price="49800", quantity="1")


def test_market_buy_by_quantity_walks_the_book(h):
    _asks(h)
    reply = h.placed(1, "BUY", "MARKET", quantity="0.25")
    assert reply.order.status is OrderStatus.FILLED
    assert [(f.price, f.qty) for f in reply.fills] == [
        (Decimal("50000"), Decimal("0.1")), (Decimal("50100"), Decimal("0.1")), (Decimal("50200"), Decimal("0.05"))]
    assert reply.order.cummulative_quote_qty == Decimal("12520")
    assert h.locked(1, "USDT") == 0 and h.free(1, "USDT") == Decimal("1000000") - Decimal("12520")


def test_market_sell_by_quantity(h):
    _bids(h)
    reply = h.placed(1, "SELL", "MARKET", quantity="0.15")
    assert reply.order.executed_qty == Decimal("0.15")
    assert reply.order.cummulative_quote_qty == Decimal("5000") + Decimal("2495")


def test_market_on_empty_book_expires(h):
    reply = h.placed(1, "BUY", "MARKET", quantity="0.1")
    assert reply.order.status is OrderStatus.EXPIRED and reply.fills == []
    assert h.locked(1, "USDT") == 0


def test_market_larger_than_book_fills_what_there_is_then_expires(h):
    h.placed(2, "SELL", price="50000", quantity="0.1")
    reply = h.placed(1, "BUY", "MARKET", quantity="0.3")
    assert reply.order.status is OrderStatus.EXPIRED and reply.order.executed_qty == Decimal("0.1")


def test_market_buy_needs_the_money_for_what_it_would_take(h):
    _asks(h)
    h.fund(5, USDT="100")
    h.rejected(h.order(5, "BUY", "MARKET", quantity="0.01"), -2010,
               "Account has insufficient balance for requested action.")


def test_quote_order_qty_buy_spends_at_most_the_quote_in_whole_steps(h):
    _asks(h)
    reply = h.placed(1, "BUY", "MARKET", quote_order_qty="7500")
    # 5000 buys 0.1 at 50000; 2500 left at 50100 buys floor(0.0499001.. to 0.00001) = 0.04990
    assert reply.order.executed_qty == Decimal("0.1499")
    assert reply.order.cummulative_quote_qty == Decimal("5000") + Decimal("2499.99")
    assert reply.order.orig_quote_order_qty == Decimal("7500")
    assert reply.order.orig_qty == reply.order.executed_qty
    assert reply.order.status is OrderStatus.FILLED
    assert h.free(1, "USDT") == Decimal("1000000") - Decimal("7499.99")
    assert h.locked(1, "USDT") == 0


def test_quote_order_qty_sell_receives_up_to_the_quote(h):
    _bids(h)
    reply = h.placed(1, "SELL", "MARKET", quote_order_qty="6000")
    # 0.1 at 50000 gives 5000; 1000 more at 49900 needs 0.02004 (floor to step) → 999.996
    assert reply.order.executed_qty == Decimal("0.12004")
    assert reply.order.cummulative_quote_qty == Decimal("5000") + Decimal("999.99600")
    assert reply.order.status is OrderStatus.FILLED
    assert h.locked(1, "BTC") == 0


def test_quote_order_qty_buy_with_insufficient_quote(h):
    _asks(h)
    h.fund(5, USDT="10")
    h.rejected(h.order(5, "BUY", "MARKET", quote_order_qty="20"), -2010)


def test_quote_order_qty_on_empty_book_expires(h):
    reply = h.placed(1, "BUY", "MARKET", quote_order_qty="100")
    assert reply.order.status is OrderStatus.EXPIRED and reply.order.executed_qty == 0


def test_market_order_parameters(h):
    h.rejected(h.order(1, "BUY", "MARKET"), -1102,
               "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!")
    h.rejected(h.order(1, "BUY", "MARKET", quantity="1", quote_order_qty="10"), -1128)
    h.rejected(h.order(1, "BUY", "LIMIT", quantity="1", price="1", quote_order_qty="10"), -1106,
               "Parameter 'quoteOrderQty' sent when not required.")
    h.rejected(h.order(1, "BUY", "MARKET", quantity="1", price="50000"), -1106,
               "Parameter 'price' sent when not required.")
