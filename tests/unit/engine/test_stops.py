"""STOP_LOSS / TAKE_PROFIT (+ _LIMIT) triggering on the last trade price, and trailing stops."""

from decimal import Decimal

from minance.domain.orders import ExecutionType, OrderStatus
from minance.engine import OrderUpdate


def trade_at(h, price, qty="0.01", symbol="BTCUSDT"):
    """Make the last price ``price`` with a trade between accounts 2 and 3."""
    h.placed(3, "SELL", price=price, quantity=qty, symbol=symbol, stp_mode="NONE")
    h.placed(2, "BUY", price=price, quantity=qty, symbol=symbol, stp_mode="NONE")
    assert h.ex.last_price(symbol) == Decimal(price)


def test_stop_direction_rules(h):
    trade_at(h, "50000")
    msg = "Order would trigger immediately."
    h.rejected(h.order(1, "SELL", "STOP_LOSS", quantity="0.1", stop_price="50000"), -2010, msg)
    h.rejected(h.order(1, "SELL", "STOP_LOSS", quantity="0.1", stop_price="51000"), -2010, msg)
    h.rejected(h.order(1, "BUY", "STOP_LOSS", quantity="0.1", stop_price="49000"), -2010, msg)
    h.rejected(h.order(1, "SELL", "TAKE_PROFIT", quantity="0.1", stop_price="49000"), -2010, msg)
    h.rejected(h.order(1, "BUY", "TAKE_PROFIT_LIMIT", quantity="0.1", price="52000", stop_price="51000"), -2010,
               msg)
    for args in (("SELL", "STOP_LOSS", "49000"), ("BUY", "STOP_LOSS", "51000"), ("SELL", "TAKE_PROFIT", "51000"),
                 ("BUY", "TAKE_PROFIT", "49000")):
        reply = h.placed(1, args[0], args[1], quantity="0.01", stop_price=args[2])
        assert reply.order.status is OrderStatus.NEW and not reply.order.is_working
        assert reply.order.working_ms == -1


def test_stop_loss_sell_fires_as_market_when_price_falls(h):
    trade_at(h, "50000")
    h.placed(2, "BUY", price="48000", quantity="1")
    stop = h.placed(1, "SELL", "STOP_LOSS", quantity="0.2", stop_price="49000").order.order_id
    assert h.locked(1, "BTC") == Decimal("0.2")
    h.placed(2, "BUY", price="49000", quantity="0.01")
    result = h.order(3, "SELL", price="49000", quantity="0.01")  # trade at 49000 fires it
    updates = [u for u in h.events(result, OrderUpdate) if u.order.order_id == stop]
    assert [u.execution_type for u in updates] == [ExecutionType.NEW, ExecutionType.TRADE]
    assert updates[0].order.is_working and updates[-1].order.status is OrderStatus.FILLED
    assert updates[-1].last_price == Decimal("48000")
    assert h.locked(1, "BTC") == 0


def test_stop_loss_limit_buy_rests_at_its_limit_after_firing(h):
    trade_at(h, "50000")
    stop = h.placed(1, "BUY", "STOP_LOSS_LIMIT", quantity="0.1", price="51500", stop_price="51000").order
    assert h.locked(1, "USDT") == Decimal("5150")
    h.placed(3, "SELL", price="51000", quantity="0.01")
    h.placed(2, "BUY", price="51000", quantity="0.01")  # fires; no ask left at or below 51500
    view = h.ex.get_order(1, "BTCUSDT", stop.order_id)
    assert view.status is OrderStatus.NEW and view.is_working and view.working_ms > 0
    assert h.ex.depth("BTCUSDT").bids[0] == (Decimal("51500"), Decimal("0.1"))


def test_take_profit_sell_fires_on_rise(h):
    trade_at(h, "50000")
    h.placed(2, "BUY", price="50500", quantity="1")  # the bid it will sell into
    tp = h.placed(1, "SELL", "TAKE_PROFIT", quantity="0.1", stop_price="50500").order.order_id
    h.placed(3, "SELL", price="50500", quantity="0.01")  # trades at 50500 with the bid: fires
    view = h.ex.get_order(1, "BTCUSDT", tp)
    assert view.status is OrderStatus.FILLED and view.cummulative_quote_qty == Decimal("5050")


def test_stop_sees_every_level_of_a_sweep(h):
    """A buy sweep starting below a SELL stop fires it even though the sweep ends above."""
    trade_at(h, "50000")
    stop = h.placed(1, "SELL", "STOP_LOSS", quantity="0.01", stop_price="49500").order.order_id
    h.placed(3, "SELL", price="49400", quantity="0.01")
    h.placed(3, "SELL", price="50100", quantity="0.01")
    h.placed(2, "BUY", price="45000", quantity="1")  # liquidity for the fired stop
    h.placed(2, "BUY", price="50100", quantity="0.02")  # trades 49400 then 50100
    assert h.status(stop, 1) == "FILLED"


def test_stops_cascade(h):
    trade_at(h, "50000")
    h.placed(2, "BUY", price="48000", quantity="0.01")
    h.placed(2, "BUY", price="47000", quantity="1")
    first = h.placed(1, "SELL", "STOP_LOSS", quantity="0.01", stop_price="49000").order.order_id
    second = h.placed(1, "SELL", "STOP_LOSS", quantity="0.01", stop_price="47500").order.order_id
    h.placed(2, "BUY", price="49000", quantity="0.01")
    h.placed(3, "SELL", price="49000", quantity="0.01")  # 49000 fires the first, its 48000 trade...
    assert h.status(first, 1) == "FILLED"
    # ...does not reach 47500; the second waits
    assert h.status(second, 1) == "NEW"
    h.placed(3, "SELL", price="47000", quantity="0.01")
    assert h.status(second, 1) == "FILLED"


def test_stop_market_buy_pays_a_dearer_fill_from_free_funds(h):
    trade_at(h, "50000")
    stop = h.placed(1, "BUY", "STOP_LOSS", quantity="0.1", stop_price="50500").order.order_id
    assert h.locked(1, "USDT") == Decimal("5050")
    h.placed(3, "SELL", price="52000", quantity="1")
    h.placed(3, "SELL", price="50500", quantity="0.01")
    h.placed(2, "BUY", price="50500", quantity="0.01")  # fires: fills at 52000
    view = h.ex.get_order(1, "BTCUSDT", stop)
    assert view.status is OrderStatus.FILLED and view.cummulative_quote_qty == Decimal("5200")
    assert h.locked(1, "USDT") == 0


def test_trailing_stop_without_stop_price_scenario_e(h):
    """SELL trailing 7%: tracks the high since placement, fires after a 7% fall from it."""
    trade_at(h, "40000")
    h.placed(2, "BUY", price="30000", quantity="1")
    order = h.placed(1, "SELL", "STOP_LOSS_LIMIT", quantity="0.01", price="39000", trailing_delta=700).order
    assert order.trailing_ms > 0
    trade_at(h, "42000")
    trade_at(h, "39500")  # -5.95% from 42000
    assert h.status(order.order_id, 1) == "NEW"
    trade_at(h, "45500")
    trade_at(h, "42316")  # just above 45500 * 0.93
    assert h.status(order.order_id, 1) == "NEW"
    trade_at(h, "42315")  # 45500 * 0.93: fires, rests at 39000 (no bid at or above)... and takes the 30000? no
    view = h.ex.get_order(1, "BTCUSDT", order.order_id)
    assert view.is_working and view.status is OrderStatus.NEW
    assert h.ex.depth("BTCUSDT").asks[0] == (Decimal("39000"), Decimal("0.01"))


def test_trailing_stop_with_activation_price_scenario_a(h):
    """BUY STOP_LOSS_LIMIT, stop 44000, trailing 5%: starts at the first trade >= 44000."""
    trade_at(h, "40000")
    order = h.placed(1, "BUY", "STOP_LOSS_LIMIT", quantity="0.01", price="45000", stop_price="44000",
                     trailing_delta=500).order
    trade_at(h, "37000")  # falls 7.5%: ignored, not tracking yet
    assert h.ex.get_order(1, "BTCUSDT", order.order_id).trailing_ms == -1
    trade_at(h, "44000")  # activation: lowest = 44000
    trade_at(h, "46000")  # +4.5%: not enough
    trade_at(h, "42000")  # new lowest
    assert h.status(order.order_id, 1) == "NEW" and not h.ex.get_order(1, "BTCUSDT", order.order_id).is_working
    trade_at(h, "44100")  # 42000 * 1.05: fires; asks empty → rests as a bid at 45000
    view = h.ex.get_order(1, "BTCUSDT", order.order_id)
    assert view.is_working and view.trailing_ms > 0
    assert h.ex.depth("BTCUSDT").bids[0] == (Decimal("45000"), Decimal("0.01"))


def test_cancel_a_waiting_stop_releases_its_lock(h):
    trade_at(h, "50000")
    oid = h.placed(1, "SELL", "STOP_LOSS_LIMIT", quantity="0.5", price="48000", stop_price="49000").order.order_id
    assert h.locked(1, "BTC") == Decimal("0.5")
    assert h.cancel(1, order_id=oid).ok
    assert h.locked(1, "BTC") == 0 and h.status(oid, 1) == "CANCELED"


def test_default_response_type_of_stops_is_ack(h):
    trade_at(h, "50000")
    reply = h.placed(1, "SELL", "STOP_LOSS", quantity="0.01", stop_price="49000")
    assert reply.response_type.value == "ACK"
