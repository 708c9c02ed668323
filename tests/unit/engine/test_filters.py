"""Binance filters (-1013), precision (-1111) and parameter rules, as the engine applies them."""

from decimal import Decimal

import pytest

from minance.engine import precision_error

FILTER = "Filter failure: %s"


@pytest.mark.parametrize(("kw", "name"), [
    ({"price": "50000.001", "quantity": "0.1"}, "PRICE_FILTER"),  # off the 0.01 tick
    ({"price": "2000000", "quantity": "0.001"}, "PRICE_FILTER"),  # above maxPrice
    ({"price": "0", "quantity": "0.1"}, "PRICE_FILTER"),
    ({"price": "50000", "quantity": "0.000015"}, "LOT_SIZE"),  # off the 0.00001 step
    ({"price": "50000", "quantity": "0"}, "LOT_SIZE"),
    ({"price": "0.01", "quantity": "9001"}, "LOT_SIZE"),  # above maxQty
    ({"price": "50000", "quantity": "0.00005"}, "NOTIONAL"),  # 2.5 USDT < 5
    ({"price": "1000000", "quantity": "10"}, "NOTIONAL"),  # above maxNotional 9,000,000
])
def test_limit_filters(h, kw, name):
    h.rejected(h.order(1, "BUY", **kw), -1013, FILTER % name)


def test_market_lot_size(h):
    h.rejected(h.order(1, "BUY", "MARKET", quantity="80"), -1013, FILTER % "MARKET_LOT_SIZE")


def test_stop_price_must_pass_price_filter(h):
    h.rejected(h.order(1, "SELL", "STOP_LOSS", quantity="0.1", stop_price="49000.005"), -1013,
               FILTER % "PRICE_FILTER")


def test_market_notional_uses_the_average_price(h):
    h.placed(2, "SELL", price="50000", quantity="1")
    h.placed(1, "BUY", price="50000", quantity="0.01")  # a trade makes the average 50000
    h.rejected(h.order(1, "BUY", "MARKET", quantity="0.00005"), -1013, FILTER % "NOTIONAL")
    h.rejected(h.order(1, "BUY", "MARKET", quote_order_qty="4"), -1013, FILTER % "NOTIONAL")


def test_percent_price_by_side(h):
    h.placed(2, "SELL", price="50000", quantity="1")
    h.placed(1, "BUY", price="50000", quantity="0.01")
    # bids within [0.2, 5] × 50000
    h.rejected(h.order(1, "BUY", price="9999.99", quantity="0.01"), -1013, FILTER % "PERCENT_PRICE_BY_SIDE")
    h.rejected(h.order(2, "SELL", price="250000.01", quantity="0.01"), -1013, FILTER % "PERCENT_PRICE_BY_SIDE")
    assert h.order(1, "BUY", price="10000", quantity="0.01").ok
    # the caller may supply the average instead
    h.rejected(h.order(1, "BUY", price="20000", quantity="0.01", avg_price="200000"), -1013,
               FILTER % "PERCENT_PRICE_BY_SIDE")


def test_max_num_orders(h):
    for i in range(200):
        assert h.order(1, "BUY", price=str(10000 + i), quantity="0.001").ok
    h.rejected(h.order(1, "BUY", price="9000", quantity="0.001"), -1013, FILTER % "MAX_NUM_ORDERS")
    assert h.order(2, "BUY", price="9000", quantity="0.001").ok  # per account


def test_max_num_algo_orders(h):
    for i in range(5):
        assert h.order(1, "SELL", "STOP_LOSS", quantity="0.001", stop_price=str(40000 + i)).ok
    h.rejected(h.order(1, "SELL", "STOP_LOSS", quantity="0.001", stop_price="39000"), -1013,
               FILTER % "MAX_NUM_ALGO_ORDERS")


def test_trailing_delta_bounds(h):
    h.rejected(h.order(1, "SELL", "STOP_LOSS", quantity="0.1", trailing_delta=5), -1013, FILTER % "TRAILING_DELTA")
    h.rejected(h.order(1, "SELL", "STOP_LOSS", quantity="0.1", trailing_delta=2001), -1013,
               FILTER % "TRAILING_DELTA")
    assert h.order(1, "SELL", "STOP_LOSS", quantity="0.1", trailing_delta=10).ok


def test_too_much_precision(h):
    h.rejected(h.order(1, "BUY", price="50000", quantity="0.000000001"), -1111,
               "Parameter 'quantity' has too much precision.")
    h.rejected(h.order(1, "BUY", price="50000.000000001", quantity="0.1"), -1111,
               "Parameter 'price' has too much precision.")
    assert precision_error("quantity", Decimal("1.00000001")) is None
    assert precision_error("stopPrice", Decimal("1.000000001")).msg == "Parameter 'stopPrice' has too much precision."


def test_parameter_rules(h):
    h.rejected(h.order(1, "BUY", "LIMIT", quantity="1", time_in_force=None), -1102,
               "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.")
    h.rejected(h.order(1, "BUY", "LIMIT", price="1", time_in_force="GTC"), -1102)
    h.rejected(h.order(1, "BUY", "LIMIT", quantity="1", time_in_force="GTC"), -1102,
               "Mandatory parameter 'price' was not sent, was empty/null, or malformed.")
    h.rejected(h.order(1, "BUY", "LIMIT_MAKER", price="1", quantity="1", time_in_force="GTC"), -1114)
    h.rejected(h.order(1, "SELL", "STOP_LOSS", quantity="1"), -1102,
               "Param 'stopPrice' or 'trailingDelta' must be sent, but both were empty/null!")
    h.rejected(h.order(1, "BUY", "LIMIT", price="1", quantity="1", stop_price="2"), -1106)
    h.rejected(h.order(1, "UP", "LIMIT", price="1", quantity="1"), -1117)
    h.rejected(h.order(1, "BUY", "ICEBERG", price="1", quantity="1"), -1116)
    h.rejected(h.order(1, "BUY", "LIMIT", price="1", quantity="1", time_in_force="GTX"), -1115)
    h.rejected(h.order(1, "BUY", "LIMIT", symbol="DOGEUSDT", price="1", quantity="1"), -1121)
    h.rejected(h.order(1, "BUY", price="50000", quantity="0.1", client_order_id="bad id!"), -1100)
    h.rejected(h.order(1, "BUY", price="50000", quantity="0.1", stp_mode="TRANSFER"), -1130)


def test_exchange_info_and_engine_agree(h):
    rules = h.ex.rules("BTCUSDT")
    assert (rules.tick, rules.step, rules.min_notional) == (1_000_000, 1_000, 500_000_000)
    assert (rules.max_orders, rules.max_algo_orders) == (200, 5)
