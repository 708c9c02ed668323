"""Binance's documented JSON shapes parse into typed results with Decimal amounts (REFERENCE §3, §5)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

import minance.client as client_pkg
from minance.client import models as m
from minance.client.errors import ResponseFormatError


def parse(text: str):
    return json.loads(text, parse_float=Decimal)


def test_full_order_response():
    order = m.Order.from_json(parse("""{"symbol":"BTCUSDT","orderId":28,"orderListId":-1,
        "clientOrderId":"6gCrw2kRUAF9CvJDGP16IP","transactTime":1507725176595,"price":"0.00000000",
        "origQty":"10.00000000","executedQty":"10.00000000","origQuoteOrderQty":"0.000000",
        "cummulativeQuoteQty":"10.00000000","status":"FILLED","timeInForce":"GTC","type":"MARKET","side":"SELL",
        "workingTime":1507725176595,"selfTradePreventionMode":"NONE","fills":[
        {"price":"4000.00000000","qty":"1.00000000","commission":"4.00000000","commissionAsset":"USDT","tradeId":56},
        {"price":"3999.00000000","qty":"9.00000000","commission":"19.99500000","commissionAsset":"USDT","tradeId":57}]}
        """))
    assert order.executed_qty == Decimal("10") and order.status == "FILLED"
    assert [f.trade_id for f in order.fills] == [56, 57] and order.fills[1].commission == Decimal("19.995")
    assert order.avg_price == Decimal("1") and order.raw["workingTime"] == 1507725176595
    ack = m.Order.from_json({"symbol": "BTCUSDT", "orderId": 1, "orderListId": -1, "clientOrderId": "a",
                             "transactTime": 1})
    assert ack.status is None and ack.avg_price is None and ack.fills == ()


def test_market_data_shapes():
    kline = m.Kline.from_json([1499040000000, "0.01634790", "0.80000000", "0.01575800", "0.01577100",
                               "148976.11427815", 1499644799999, "2434.19055334", 308, "1756.87402397",
                               "28.46694368", "0"])
    assert kline.high == Decimal("0.8") and kline.trades == 308 and kline.close_time == 1499644799999
    book = m.OrderBook.from_json({"lastUpdateId": 1027024, "bids": [["4.00000000", "431.00000000"]],
                                  "asks": [["4.00000200", "12.00000000"]]})
    assert book.asks[0] == m.PriceLevel(Decimal("4.000002"), Decimal("12"))
    agg = m.AggTrade.from_json({"a": 26129, "p": "0.01633102", "q": "4.70443515", "f": 27781, "l": 27781,
                                "T": 1498793709153, "m": True, "M": True})
    assert agg.price == Decimal("0.01633102") and agg.is_buyer_maker
    mini = m.Ticker.from_json({"symbol": "BNBBTC", "openPrice": "1", "highPrice": "2", "lowPrice": "0.5",
                               "lastPrice": "1.5", "volume": "10", "quoteVolume": "15", "openTime": 0,
                               "closeTime": 1, "firstId": 0, "lastId": 9, "count": 10})
    assert mini.bid_price is None and mini.last_price == Decimal("1.5")


def test_account_and_restrictions():
    account = m.Account.from_json({"makerCommission": 15, "takerCommission": 15, "buyerCommission": 0,
                                   "sellerCommission": 0, "commissionRates": {"maker": "0.00150000",
                                   "taker": "0.00150000", "buyer": "0.00000000", "seller": "0.00000000"},
                                   "canTrade": True, "canWithdraw": True, "canDeposit": True, "brokered": False,
                                   "requireSelfTradePrevention": False, "preventSor": False,
                                   "updateTime": 123456789, "accountType": "SPOT",
                                   "balances": [{"asset": "BTC", "free": "4723846.89208129",
                                                 "locked": "0.00000000"}], "permissions": ["SPOT"], "uid": 354937868})
    assert account.balance("BTC").total == Decimal("4723846.89208129")
    assert account.balance("ETH").free == 0 and account.commission_rates.maker == Decimal("0.0015")
    restrictions = m.ApiRestrictions.from_json({"ipRestrict": False, "createTime": 1623840271000,
                                                "enableReading": True, "enableSpotAndMarginTrading": False,
                                                "enableWithdrawals": False})
    assert restrictions.trading_authority_expiration_time is None and restrictions.enable_margin is False


def test_symbol_rounding():
    info = m.SymbolInfo.from_json({"symbol": "BTCUSDT", "status": "TRADING", "baseAsset": "BTC",
                                   "quoteAsset": "USDT", "filters": [
                                       {"filterType": "PRICE_FILTER", "tickSize": "0.01000000"},
                                       {"filterType": "LOT_SIZE", "minQty": "0.00001000", "stepSize": "0.00001000"},
                                       {"filterType": "NOTIONAL", "minNotional": "5.00000000"}]})
    assert info.round_price(Decimal("50000.129")) == Decimal("50000.12")
    assert info.round_qty(Decimal("0.0012345")) == Decimal("0.00123")
    assert info.min_notional == Decimal("5")


def test_malformed_answers_raise_response_format_error():
    with pytest.raises(ResponseFormatError, match="orderId"):
        m.Order.from_json({"symbol": "BTCUSDT", "clientOrderId": "x"})
    with pytest.raises(ResponseFormatError):
        m.Balance.from_json({"asset": "BTC", "free": "lots", "locked": "0"})
    with pytest.raises(ResponseFormatError):
        m.Kline.from_json([1, 2])


def test_public_api_is_pinned():
    assert sorted(client_pkg.__all__) == sorted([
        "ApiError", "AsyncClient", "AuthError", "BusinessError", "CancelRejected", "Client", "ClientError",
        "CredentialsError", "IpBannedError", "KeyKind", "KeyRejectedError", "OrderNotFound", "OrderRejected",
        "RateLimitError", "ReadOnlyError", "RequestError", "ResponseFormatError", "RetryPolicy", "RetryableError",
        "Signer", "SignatureError", "StopError", "Target", "TimestampError", "TransportError", "UnknownStatusError",
        "make_signer", "resolve_target", "AsyncStreams", "Backoff", "StreamError", "Streams"])
    for name in client_pkg.__all__:
        assert hasattr(client_pkg, name)
    for name in m.__all__:
        assert hasattr(m, name)
