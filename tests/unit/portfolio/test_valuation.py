"""Valuation through the exchange's pairs: direct, inverse and multi-hop routes, the quote asset's precision,
unpriceable assets listed (never 0), an unknown quote refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from minance.portfolio.valuation import Pair, PairGraph, UnknownAsset, value_balances

D = Decimal
PAIRS = [Pair("BTCUSDT", "BTC", "USDT"), Pair("ETHBTC", "ETH", "BTC"), Pair("BNBUSDT", "BNB", "USDT"),
         Pair("ETHUSDT", "ETH", "USDT"), Pair("XRPBNB", "XRP", "BNB")]
PRICES = {"BTCUSDT": D("40000"), "ETHBTC": D("0.05"), "BNBUSDT": D("250"), "ETHUSDT": D("2001"),
          "XRPBNB": D("0.002")}


def test_btc_values_keep_the_quote_precision():
    v = value_balances({"ETH": D("0.127"), "USDT": D("100")}, PRICES, PAIRS, "BTC")
    assert v.get("ETH").value == D("0.00635000")  # not "0.00"
    assert v.get("ETH").path == "ETH→BTC"
    assert v.get("USDT").value == D("0.00250000") and v.get("USDT").path == "USDT→BTC"  # the inverse of BTCUSDT
    assert v.total == D("0.00885000") and v.precision == 8


def test_two_hops_when_there_is_no_direct_pair():
    v = value_balances({"ETH": D(1)}, PRICES, PAIRS, "BNB")
    eth = v.get("ETH")
    assert eth.path == "ETH→USDT→BNB" and [leg.symbol for leg in eth.route] == ["ETHUSDT", "BNBUSDT"]
    assert eth.price == D("2001") / D("250") and eth.value == D("8.00400000")
    xrp = value_balances({"XRP": D(1000)}, PRICES, PAIRS, "BTC").get("XRP")
    assert xrp.path == "XRP→BNB→USDT→BTC" and xrp.value == D("0.01250000")  # three hops


def test_direct_pair_preferred_and_usdt_bridge_first():
    without_direct = {k: v for k, v in PRICES.items() if k != "ETHUSDT"}
    eth = value_balances({"ETH": D(2)}, without_direct, PAIRS, "USDT").get("ETH")
    assert eth.path == "ETH→BTC→USDT" and eth.value == D("4000.00000000")
    assert value_balances({"ETH": D(2)}, PRICES, PAIRS, "USDT").get("ETH").path == "ETH→USDT"


def test_unpriceable_assets_are_listed_not_zero():
    prices = {k: v for k, v in PRICES.items() if k != "XRPBNB"} | {"XRPBNB": D(0)}  # never traded
    v = value_balances({"XRP": D(5), "FOO": D(1), "BTC": D(1)}, prices, PAIRS, "USDT")
    assert v.unpriced == ("FOO", "XRP")
    assert v.get("FOO").value is None and v.get("FOO").price is None
    assert v.total == D("40000.00000000")


def test_unknown_quote_asset_is_refused():
    with pytest.raises(UnknownAsset):
        value_balances({"BTC": D(1)}, PRICES, PAIRS, "EUR")


def test_precision_comes_from_the_exchange():
    pairs = [Pair("BTCUSDT", "BTC", "USDT", 8, 2)]
    v = value_balances({"BTC": D("0.123456")}, {"BTCUSDT": D("40000.5")}, pairs, "USDT")
    assert v.precision == 2 and v.get("BTC").value == D("4938.30")
    assert PairGraph(pairs).precision("BTC") == 8
