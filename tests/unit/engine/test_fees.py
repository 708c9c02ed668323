"""Commissions: per account maker/taker basis points, charged in the received asset, to the fee account."""

from decimal import Decimal

from minance.engine import FEE_ACCOUNT_ID, SetCommission


def test_taker_and_maker_commissions_in_the_received_asset(h):
    h.run(SetCommission(1, 0, 20, h.tick()))  # taker 0.20%
    h.run(SetCommission(2, 5, 10, h.tick()))  # maker 0.05%
    h.placed(2, "SELL", price="40000", quantity="0.5")  # maker sells 0.5 BTC
    reply = h.placed(1, "BUY", price="40000", quantity="0.5")  # taker buys it
    fill = reply.fills[0]
    assert fill.commission == Decimal("0.001") and fill.commission_asset == "BTC"  # 0.5 * 0.002
    assert h.free(1, "BTC") == Decimal("100.499")
    assert h.free(2, "USDT") == Decimal("1000000") + Decimal("20000") - Decimal("10")  # 0.05% of 20000
    assert h.free(FEE_ACCOUNT_ID, "BTC") == Decimal("0.001")
    assert h.free(FEE_ACCOUNT_ID, "USDT") == Decimal("10")
    mine = h.ex.my_trades(2, "BTCUSDT")[0]
    assert mine.is_maker and not mine.is_buyer and mine.commission == Decimal("10")
    assert mine.commission_asset == "USDT"


def test_quote_and_commission_round_down_to_eight_decimals(h):
    h.placed(2, "SELL", price="0.05123", quantity="0.0037", symbol="ETHBTC")
    reply = h.placed(1, "BUY", price="0.05123", quantity="0.0037", symbol="ETHBTC")
    # quote 0.05123 * 0.0037 = 0.000189551 → 0.00018955; buyer pays 0.1% of 0.0037 ETH
    assert reply.order.cummulative_quote_qty == Decimal("0.00018955")
    assert reply.fills[0].commission == Decimal("0.0000037")
    # seller: 0.1% of 0.00018955 BTC = 0.00000018955 → 0.00000018
    assert h.ex.my_trades(2, "ETHBTC")[0].commission == Decimal("0.00000018")
    assert h.free(2, "BTC") == Decimal("100") + Decimal("0.00018955") - Decimal("0.00000018")


def test_zero_commission_account(h):
    h.run(SetCommission(1, 0, 0, h.tick()))
    h.placed(2, "SELL", price="100", quantity="1", symbol="ETHUSDT")
    reply = h.placed(1, "BUY", price="100", quantity="1", symbol="ETHUSDT")
    assert reply.fills[0].commission == 0 and h.free(1, "ETH") == Decimal("1001")


def test_commission_rates_are_validated(h):
    h.rejected(h.run(SetCommission(1, -1, 10, h.tick())), -1130)
    assert h.ex.commission_bps(1) == (10, 10)
