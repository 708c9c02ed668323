"""Cost basis, realised PnL, fees and cash flows from trades and transfers; time-weighted return."""

from __future__ import annotations

from decimal import Decimal

from minance.portfolio.ledger import CashFlow, CostMethod, Fill, Ledger, Transfer
from minance.portfolio.returns import time_weighted_return

D = Decimal


def fill(symbol: str, buyer: bool, price: str, qty: str, fee: str, fee_asset: str, t: int, tid: int,
         base: str = "BTC", quote: str = "USDT") -> Fill:
    return Fill(symbol, base, quote, tid, t, buyer, D(price), D(qty), D(price) * D(qty), D(fee), fee_asset)


BTC_TRADES = [fill("BTCUSDT", True, "100", "1", "0.001", "BTC", 10, 1),
              fill("BTCUSDT", True, "200", "1", "0.001", "BTC", 20, 2),
              fill("BTCUSDT", False, "300", "1", "0.3", "USDT", 30, 3)]
DEPOSIT = [Transfer("USDT", D(10000), 1)]


def test_average_cost():
    ledger = Ledger("USDT", CostMethod.AVERAGE)
    ledger.replay(BTC_TRADES, DEPOSIT)
    btc = ledger.positions["BTC"]
    assert btc.qty == D("0.998") and btc.fees == D("0.002")
    assert btc.realised == D("299.7") - D(300) * 1 / D("1.998")
    assert btc.cost == D(300) - D(300) * 1 / D("1.998")
    assert ledger.positions["USDT"].qty == D(10000) - 300 + D("299.7")
    assert ledger.positions["USDT"].fees == D("0.3")


def test_fifo():
    ledger = Ledger("USDT", CostMethod.FIFO)
    ledger.replay(BTC_TRADES, DEPOSIT)
    btc = ledger.positions["BTC"]
    assert btc.realised == D("299.7") - 100 - D(200) * D("0.001") / D("0.999")
    assert btc.cost == D(200) - D(200) * D("0.001") / D("0.999")
    assert btc.qty == D("0.998")


def test_bnb_fee_is_valued_at_fill_time_and_disposes_of_bnb():
    prices = {("BNB", 5): D(250), ("BNB", 10): D(300)}
    ledger = Ledger("USDT", price_at=lambda asset, t: prices.get((asset, t)))
    ledger.replay([fill("BTCUSDT", True, "100", "1", "0.01", "BNB", 10, 1)],
                  [Transfer("USDT", D(1000), 1), Transfer("BNB", D(1), 5)])
    assert ledger.positions["BTC"].cost == D(103) and ledger.positions["BTC"].qty == D(1)
    bnb = ledger.positions["BNB"]
    assert bnb.qty == D("0.99") and bnb.realised == D(3) - D("2.5") and bnb.fees_value == D(3)


def test_a_cross_pair_trade_disposes_of_the_quote_at_its_value_then():
    prices = {("BTC", 5): D(30000), ("BTC", 10): D(40000)}
    ledger = Ledger("USDT", price_at=lambda asset, t: prices.get((asset, t)))
    ledger.replay([fill("ETHBTC", True, "0.05", "1", "0.001", "ETH", 10, 1, base="ETH", quote="BTC")],
                  [Transfer("BTC", D(1), 5)])
    eth = ledger.positions["ETH"]
    assert eth.qty == D("0.999") and eth.cost == D(2000)
    btc = ledger.positions["BTC"]
    assert btc.qty == D("0.95") and btc.realised == D(2000) - D(1500) and btc.cost == D(28500)


def test_withdrawal_leaves_at_cost_and_flows_are_recorded():
    prices = {("BTC", 50): D(500)}
    ledger = Ledger("USDT", price_at=lambda asset, t: prices.get((asset, t)))
    ledger.replay(BTC_TRADES[:1], [*DEPOSIT, Transfer("BTC", D("-0.5"), 50)])
    btc = ledger.positions["BTC"]
    assert btc.qty == D("0.499") and btc.realised == 0 and btc.cost == D(100) * D("0.499") / D("0.999")
    assert [(f.asset, f.amount, f.value) for f in ledger.flows] == [("USDT", D(10000), D(10000)),
                                                                    ("BTC", D("-0.5"), D(-250))]
    assert ledger.flows[1].equity_before == D(9900) + D("0.999") * 500


def test_selling_more_than_the_history_explains_is_flagged():
    ledger = Ledger("USDT")
    ledger.replay([fill("BTCUSDT", False, "100", "1", "0.1", "USDT", 10, 1)], [])
    assert ledger.positions["BTC"].unknown_cost and ledger.positions["BTC"].qty == D(-1)


def test_checkpoints_keep_holdings_and_realised():
    ledger = Ledger("USDT")
    ledger.replay(BTC_TRADES, DEPOSIT, checkpoints=[25])
    assert ledger.checkpoints[25] == {"USDT": D(9700), "BTC": D("1.998")}
    assert ledger.realised_at[25]["BTC"] == 0


def test_time_weighted_return_ignores_deposits():
    flows = [CashFlow(1, "USDT", D(1000), D(1000), D(0)), CashFlow(2, "USDT", D(1000), D(1000), D(1100))]
    assert time_weighted_return(None, flows, D(2310)) == D("0.21")
    assert time_weighted_return(D(1100), flows, D(2310), start_ms=2) == D("0.1")
    assert time_weighted_return(None, [], D(0)) is None
    assert time_weighted_return(None, [CashFlow(1, "X", D(1), None, None)], D(5)) is None
