"""Trading through unmodified peer clients and raw HTTP: orders, cancels, order lists, queries, myTrades, fees and
balances, stop orders triggered by the replayed market, withdrawals, and Binance's rejections (REFERENCE §1.7,
§4, §5.4-§5.6, §5.10).

Most tests use the shared live server (its market moves every second, so orders are placed far from it or are
MARKET orders whose fills are read back); the stop-order test starts a server with a manual market clock and
steps the deterministic synthetic feed across the stop.
"""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, Decimal

import httpx
import pytest

from tests.e2e.test_market_data import ccxt_default
from tests.e2e.test_peers_auth import python_binance, sdk_spot, sdk_wallet
from tests.support import (
    Credentials,
    admin_token,
    assert_error,
    assert_ok,
    create_account,
    issue_key,
    running_server,
    signed_request,
)

ORDER = "/api/v3/order"
TICK = Decimal("0.01")
HEX32 = re.compile(r"^[0-9a-f]{32}$")
TRON = "TXYZ123456789abcdefghijkmnopqrstuv"  # a well-formed TRC20 address


@pytest.fixture
def trader(make_creds) -> Credentials:
    return make_creds("--permissions", "reading,spot")


def balances(http, creds: Credentials) -> dict[str, tuple[Decimal, Decimal]]:
    rows = assert_ok(signed_request(http, "GET", "/api/v3/account", creds))["balances"]
    return {b["asset"]: (Decimal(b["free"]), Decimal(b["locked"])) for b in rows}


def last_price(http, symbol: str = "BTCUSDT") -> Decimal:
    return Decimal(assert_ok(http.get(f"/api/v3/ticker/price?symbol={symbol}"))["price"])


def px(value: Decimal) -> str:
    return str(value.quantize(TICK, rounding=ROUND_DOWN))


def place(http, creds, **params) -> httpx.Response:
    return signed_request(http, "POST", ORDER, creds, body={"symbol": "BTCUSDT", **params})


# -- LIMIT away from the market: open, queried, cancelled -------------------------------------------------------


def test_limit_open_then_cancel_with_python_binance(server, http, trader):
    client = python_binance(server.url, trader)
    price = px(last_price(http) * Decimal("0.7"))
    order = client.order_limit_buy(symbol="BTCUSDT", quantity="0.001", price=price, newClientOrderId="my-limit-1")
    assert order["status"] == "NEW" and order["clientOrderId"] == "my-limit-1" and order["fills"] == []
    assert balances(http, trader)["USDT"][1] == Decimal(price) * Decimal("0.001")  # the cost is locked
    assert [o["orderId"] for o in client.get_open_orders(symbol="BTCUSDT")] == [order["orderId"]]
    got = client.get_order(symbol="BTCUSDT", origClientOrderId="my-limit-1")
    assert got["orderId"] == order["orderId"] and got["isWorking"] is True and got["price"] == f"{price}000000"
    in_us = assert_ok(signed_request(http, "GET", ORDER, trader, {"symbol": "BTCUSDT", "orderId": order["orderId"]},
                                     headers={"X-MBX-TIME-UNIT": "MICROSECOND"}))
    assert in_us["time"] == got["time"] * 1000 and in_us["workingTime"] == got["workingTime"] * 1000
    cancel = client.cancel_order(symbol="BTCUSDT", orderId=order["orderId"])  # DELETE with a form body
    assert cancel["status"] == "CANCELED" and cancel["origClientOrderId"] == "my-limit-1"
    assert client.get_open_orders(symbol="BTCUSDT") == []
    assert balances(http, trader)["USDT"] == (Decimal(10000), Decimal(0))
    assert client.get_all_orders(symbol="BTCUSDT")[-1]["status"] == "CANCELED"


def test_limit_open_then_cancel_with_ccxt(server, http, trader):
    exchange = ccxt_default(server.url, trader)
    price = float(px(last_price(http) * Decimal("1.3")))
    order = exchange.create_order("BTC/USDT", "limit", "sell", 0.002, price)
    assert order["status"] == "open" and order["amount"] == 0.002
    assert [o["id"] for o in exchange.fetch_open_orders("BTC/USDT")] == [order["id"]]
    assert exchange.fetch_balance()["BTC"]["used"] == 0.002
    exchange.cancel_order(order["id"], "BTC/USDT")  # DELETE with a query string
    assert exchange.fetch_order(order["id"], "BTC/USDT")["status"] == "canceled"
    assert exchange.fetch_open_orders("BTC/USDT") == []
    assert [o["id"] for o in exchange.fetch_orders("BTC/USDT")] == [order["id"]]


def test_limit_open_then_cancel_with_the_sdk(server, http, trader):
    spot = sdk_spot(server.url, trader)
    price = float(px(last_price(http, "ETHUSDT") * Decimal("0.8")))
    placed = spot.new_order(symbol="ETHUSDT", side="BUY", type="LIMIT", time_in_force="GTC", quantity=0.01,
                            price=price).data()  # the SDK sends str(float): price=...0, quantity=0.01
    assert placed.status == "NEW"
    assert [o.order_id for o in spot.get_open_orders(symbol="ETHUSDT").data()] == [placed.order_id]
    assert spot.get_order(symbol="ETHUSDT", order_id=placed.order_id).data().status == "NEW"
    cancelled = spot.delete_order(symbol="ETHUSDT", order_id=placed.order_id).data()
    assert cancelled.status == "CANCELED"
    assert spot.get_open_orders(symbol="ETHUSDT").data() == []


# -- MARKET orders: fills, fees and balances ------------------------------------------------------------------


def test_market_buy_by_quote_and_sell_by_quantity_move_balances_by_fills_and_fees(server, http, trader):
    client = python_binance(server.url, trader)
    before = balances(http, trader)
    buy = client.order_market_buy(symbol="BTCUSDT", quoteOrderQty="100")
    assert buy["status"] == "FILLED" and buy["type"] == "MARKET" and buy["fills"]
    assert buy["origQuoteOrderQty"] == "100.00000000"
    bought = Decimal(buy["executedQty"])
    spent = Decimal(buy["cummulativeQuoteQty"])
    assert bought == sum(Decimal(f["qty"]) for f in buy["fills"])
    assert spent == sum(Decimal(f["qty"]) * Decimal(f["price"]) for f in buy["fills"]) <= 100
    assert {f["commissionAsset"] for f in buy["fills"]} == {"BTC"}
    fee_btc = sum(Decimal(f["commission"]) for f in buy["fills"])
    assert fee_btc == (bought * Decimal("0.001")).quantize(Decimal("1e-8"))  # 10 bps taker
    middle = balances(http, trader)
    assert middle["USDT"][0] == before["USDT"][0] - spent
    assert middle["BTC"][0] == before["BTC"][0] + bought - fee_btc

    sell = client.order_market_sell(symbol="BTCUSDT", quantity="0.0005")
    assert sell["status"] == "FILLED" and sell["executedQty"] == "0.00050000"
    received = Decimal(sell["cummulativeQuoteQty"])
    fee_usdt = sum(Decimal(f["commission"]) for f in sell["fills"])
    assert {f["commissionAsset"] for f in sell["fills"]} == {"USDT"} and fee_usdt > 0
    after = balances(http, trader)
    assert after["BTC"][0] == middle["BTC"][0] - Decimal("0.0005")
    assert after["USDT"][0] == middle["USDT"][0] + received - fee_usdt
    assert all(locked == 0 for _, locked in after.values())

    trades = client.get_my_trades(symbol="BTCUSDT")
    assert [t["id"] for t in trades] == [f["tradeId"] for f in buy["fills"] + sell["fills"]]
    assert {t["orderId"] for t in trades} == {buy["orderId"], sell["orderId"]}
    assert sum(Decimal(t["commission"]) for t in trades if t["isBuyer"]) == fee_btc
    only_sell = client.get_my_trades(symbol="BTCUSDT", orderId=sell["orderId"])
    assert {t["orderId"] for t in only_sell} == {sell["orderId"]} and not any(t["isBuyer"] for t in only_sell)
    assert client.get_my_trades(symbol="BTCUSDT", fromId=trades[-1]["id"]) == trades[-1:]
    assert client.get_my_trades(symbol="ETHUSDT") == []


def test_market_orders_with_ccxt_and_the_sdk(server, http, trader):
    exchange = ccxt_default(server.url, trader)
    bought = exchange.create_market_buy_order_with_cost("ETH/USDT", 50)
    assert bought["status"] == "closed" and bought["filled"] > 0 and bought["fee"]["currency"] == "ETH"
    spot = sdk_spot(server.url, trader)
    sold = spot.new_order(symbol="ETHUSDT", side="SELL", type="MARKET", quantity=0.005).data()
    assert sold.status == "FILLED" and sold.fills and sold.fills[0].commission_asset == "USDT"
    mine = exchange.fetch_my_trades("ETH/USDT")
    assert {t["order"] for t in mine} == {bought["id"], str(sold.order_id)}
    assert [t.id for t in spot.my_trades(symbol="ETHUSDT").data()] == [int(t["id"]) for t in mine]
    eth = balances(http, trader)["ETH"][0]
    assert eth == Decimal(str(bought["filled"])) - Decimal(str(bought["fee"]["cost"])) - Decimal("0.005")


def test_commission_endpoints(server, http, trader):
    rates = assert_ok(signed_request(http, "GET", "/api/v3/account/commission", trader, {"symbol": "BTCUSDT"}))
    assert rates["standardCommission"] == {"maker": "0.00100000", "taker": "0.00100000", "buyer": "0.00000000",
                                           "seller": "0.00000000"}
    assert set(rates) == {"symbol", "standardCommission", "specialCommission", "taxCommission", "discount"}
    fees = python_binance(server.url, trader).get_trade_fee(symbol="ETHBTC")
    assert fees == [{"symbol": "ETHBTC", "makerCommission": "0.001", "takerCommission": "0.001"}]


# -- order/test runs POST /order's checks and changes nothing ----------------------------------------------------


def test_order_test_validates_like_order_but_places_nothing(http, trader):
    assert assert_ok(signed_request(http, "POST", "/api/v3/order/test", trader,
                                    body={"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET",
                                          "quoteOrderQty": "20"})) == {}
    assert_error(signed_request(http, "POST", "/api/v3/order/test", trader,
                                body={"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
                                      "quantity": "0.000001", "price": "50000"}), -1013, 400,
                 "Filter failure: LOT_SIZE")
    # a test order costs no balance check: far more than the account holds is fine
    assert assert_ok(signed_request(http, "POST", "/api/v3/order/test", trader,
                                    body={"symbol": "BTCUSDT", "side": "SELL", "type": "MARKET",
                                          "quantity": "50"})) == {}
    assert assert_ok(signed_request(http, "GET", "/api/v3/openOrders", trader, {"symbol": "BTCUSDT"})) == []
    assert assert_ok(signed_request(http, "GET", "/api/v3/allOrders", trader, {"symbol": "BTCUSDT"})) == []


# -- order lists ---------------------------------------------------------------------------------------------


def test_oco_both_forms_and_list_management(server, http, trader):
    last = last_price(http)
    client = python_binance(server.url, trader)
    new = client.create_oco_order(symbol="BTCUSDT", side="SELL", quantity="0.001", aboveType="LIMIT_MAKER",
                                  abovePrice=px(last * Decimal("1.2")), belowType="STOP_LOSS_LIMIT",
                                  belowStopPrice=px(last * Decimal("0.8")), belowPrice=px(last * Decimal("0.79")),
                                  belowTimeInForce="GTC", listClientOrderId="my-oco")
    assert new["contingencyType"] == "OCO" and new["listStatusType"] == "EXEC_STARTED"
    assert new["listClientOrderId"] == "my-oco" and len(new["orders"]) == 2
    assert {r["type"] for r in new["orderReports"]} == {"LIMIT_MAKER", "STOP_LOSS_LIMIT"}
    assert balances(http, trader)["BTC"] == (Decimal("0.999"), Decimal("0.001"))  # one lock for both legs

    # the deprecated form through ccxt's implicit API: a BUY with its limit leg below and stop above
    legacy = ccxt_default(server.url, trader).private_post_order_oco({
        "symbol": "BTCUSDT", "side": "BUY", "quantity": "0.001", "price": px(last * Decimal("0.8")),
        "stopPrice": px(last * Decimal("1.2")), "stopLimitPrice": px(last * Decimal("1.21")),
        "stopLimitTimeInForce": "GTC"})
    assert legacy["contingencyType"] == "OCO"
    assert {r["type"] for r in legacy["orderReports"]} == {"LIMIT_MAKER", "STOP_LOSS_LIMIT"}

    open_lists = assert_ok(signed_request(http, "GET", "/api/v3/openOrderList", trader))
    assert [x["orderListId"] for x in open_lists] == [new["orderListId"], legacy["orderListId"]]
    assert len(assert_ok(signed_request(http, "GET", "/api/v3/openOrders", trader, {"symbol": "BTCUSDT"}))) == 4
    one = assert_ok(signed_request(http, "GET", "/api/v3/orderList", trader, {"origClientOrderId": "my-oco"}))
    assert one["orderListId"] == new["orderListId"] and "orderReports" not in one
    done = assert_ok(signed_request(http, "DELETE", "/api/v3/orderList", trader,
                                    {"symbol": "BTCUSDT", "orderListId": new["orderListId"],
                                     "newClientOrderId": "my-cancel"}))
    assert done["listOrderStatus"] == "ALL_DONE" and {r["status"] for r in done["orderReports"]} == {"CANCELED"}
    assert {r["clientOrderId"] for r in done["orderReports"]} == {"my-cancel"}
    assert {r["origClientOrderId"] for r in done["orderReports"]} == {o["clientOrderId"] for o in new["orders"]}
    # cancelling one leg of the other list cancels the whole list
    leg = legacy["orders"][0]["orderId"]
    assert_ok(signed_request(http, "DELETE", ORDER, trader, {"symbol": "BTCUSDT", "orderId": leg}))
    assert assert_ok(signed_request(http, "GET", "/api/v3/openOrderList", trader)) == []
    everything = assert_ok(signed_request(http, "GET", "/api/v3/allOrderList", trader))
    assert [x["listOrderStatus"] for x in everything] == ["ALL_DONE", "ALL_DONE"]
    # time windows (issue 9: startTime answered 500 once the account had a list)
    for window in ({"startTime": 0}, {"endTime": 2**63 - 1}):
        assert assert_ok(signed_request(http, "GET", "/api/v3/allOrderList", trader, window)) == everything
    assert assert_ok(signed_request(http, "GET", "/api/v3/allOrderList", trader, {"startTime": 2**63 - 1})) == []
    assert balances(http, trader) == {"BTC": (Decimal(1), Decimal(0)), "USDT": (Decimal(10000), Decimal(0))}


def test_order_lists_count_against_orders_limits(http, trader):
    last = last_price(http)
    oco = {"symbol": "BTCUSDT", "side": "SELL", "quantity": "0.001", "aboveType": "LIMIT_MAKER",
           "abovePrice": px(last * Decimal("1.3")), "belowType": "STOP_LOSS",
           "belowStopPrice": px(last * Decimal("0.7"))}
    for _ in range(3):  # retried when the 10 s window rolls over between the two lists
        first = signed_request(http, "POST", "/api/v3/orderList/oco", trader, body=oco)
        second = signed_request(http, "POST", "/api/v3/orderList/oco", trader, body=oco)
        counts = [int(assert_ok(r) and r.headers["x-mbx-order-count-10s"]) for r in (first, second)]
        assert "x-mbx-order-count-1d" in second.headers
        if counts[1] > counts[0]:
            break
        assert_ok(signed_request(http, "DELETE", "/api/v3/openOrders", trader, {"symbol": "BTCUSDT"}))
    assert counts[1] - counts[0] == 2  # an OCO counts 2 orders
    limits = assert_ok(signed_request(http, "GET", "/api/v3/rateLimit/order", trader))
    assert {x["interval"] for x in limits} == {"SECOND", "DAY"}
    day = next(x for x in limits if x["interval"] == "DAY")
    assert day["count"] >= 4 and day["count"] % 2 == 0  # resting legs: no fill has released them
    cancelled = assert_ok(signed_request(http, "DELETE", "/api/v3/openOrders", trader, {"symbol": "BTCUSDT"}))
    assert len(cancelled) == 2 and all(x["contingencyType"] == "OCO" for x in cancelled)
    assert all(r["clientOrderId"] and r["status"] == "CANCELED" for x in cancelled for r in x["orderReports"])


def test_oto_and_otoco(http, trader):
    last = last_price(http)
    oto = assert_ok(signed_request(http, "POST", "/api/v3/orderList/oto", trader, body={
        "symbol": "BTCUSDT", "workingType": "LIMIT", "workingSide": "BUY", "workingQuantity": "0.001",
        "workingPrice": px(last * Decimal("0.7")), "workingTimeInForce": "GTC", "pendingType": "LIMIT_MAKER",
        "pendingSide": "SELL", "pendingQuantity": "0.001", "pendingPrice": px(last * Decimal("1.3"))}))
    assert oto["contingencyType"] == "OTO"
    assert [r["status"] for r in oto["orderReports"]] == ["NEW", "PENDING_NEW"]
    otoco = assert_ok(signed_request(http, "POST", "/api/v3/orderList/otoco", trader, body={
        "symbol": "BTCUSDT", "workingType": "LIMIT", "workingSide": "BUY", "workingQuantity": "0.001",
        "workingPrice": px(last * Decimal("0.7")), "workingTimeInForce": "GTC", "pendingSide": "SELL",
        "pendingQuantity": "0.001", "pendingAboveType": "LIMIT_MAKER", "pendingAbovePrice": px(last * Decimal("1.3")),
        "pendingBelowType": "STOP_LOSS", "pendingBelowStopPrice": px(last * Decimal("0.6"))}))
    assert len(otoco["orderReports"]) == 3 and otoco["orderReports"][0]["status"] == "NEW"
    cancelled = assert_ok(signed_request(http, "DELETE", "/api/v3/openOrders", trader, {"symbol": "BTCUSDT"}))
    assert {x["orderListId"] for x in cancelled} == {oto["orderListId"], otoco["orderListId"]}


def test_oco_leg_errors(http, trader):
    last = last_price(http)
    base = {"symbol": "BTCUSDT", "side": "SELL", "quantity": "0.001"}
    wrong_side = {**base, "aboveType": "STOP_LOSS", "aboveStopPrice": px(last * Decimal("1.1")),
                  "belowType": "LIMIT_MAKER", "belowPrice": px(last * Decimal("0.9"))}
    assert_error(signed_request(http, "POST", "/api/v3/orderList/oco", trader, body=wrong_side), -1197, 400,
                 "A stop loss order in a sell OCO must be below.")
    market_leg = {**base, "aboveType": "MARKET", "belowType": "STOP_LOSS",
                  "belowStopPrice": px(last * Decimal("0.9"))}
    assert_error(signed_request(http, "POST", "/api/v3/orderList/oco", trader, body=market_leg), -1158, 400,
                 "Order type not supported in OCO.")
    prices = {**base, "price": px(last * Decimal("0.9")), "stopPrice": px(last * Decimal("0.8"))}  # limit below last
    assert_error(signed_request(http, "POST", "/api/v3/order/oco", trader, body=prices), -2010, 400,
                 "The relationship of the prices for the orders is not correct.")
    assert_error(signed_request(http, "POST", "/api/v3/order/oco", trader,
                                body={**prices, "stopLimitPrice": px(last * Decimal("0.79"))}), -1102, 400,
                 "Mandatory parameter 'stopLimitTimeInForce' was not sent, was empty/null, or malformed.")


# -- cancelReplace ---------------------------------------------------------------------------------------------


def test_cancel_replace_success_partial_and_failure(http, trader):
    low = px(last_price(http) * Decimal("0.7"))
    first = assert_ok(place(http, trader, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.001", price=low))
    new = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.002",
           "price": low}
    ok = assert_ok(signed_request(http, "POST", "/api/v3/order/cancelReplace", trader,
                                  body={**new, "cancelReplaceMode": "STOP_ON_FAILURE",
                                        "cancelOrderId": first["orderId"]}))
    assert (ok["cancelResult"], ok["newOrderResult"]) == ("SUCCESS", "SUCCESS")
    assert ok["cancelResponse"]["status"] == "CANCELED" and ok["newOrderResponse"]["origQty"] == "0.00200000"

    failed = signed_request(http, "POST", "/api/v3/order/cancelReplace", trader,
                            body={**new, "cancelReplaceMode": "STOP_ON_FAILURE", "cancelOrderId": first["orderId"]})
    assert failed.status_code == 400
    body = failed.json()
    assert (body["code"], body["msg"]) == (-2022, "Order cancel-replace failed.")
    assert body["data"] == {"cancelResult": "FAILURE", "newOrderResult": "NOT_ATTEMPTED",
                            "cancelResponse": {"code": -2011, "msg": "Unknown order sent."},
                            "newOrderResponse": None}

    partial = signed_request(http, "POST", "/api/v3/order/cancelReplace", trader,
                             body={**new, "cancelReplaceMode": "ALLOW_FAILURE", "quantity": "0.0000001",
                                   "cancelOrderId": ok["newOrderResponse"]["orderId"]})
    assert partial.status_code == 409
    body = partial.json()
    assert (body["code"], body["msg"]) == (-2021, "Order cancel-replace partially failed.")
    assert (body["data"]["cancelResult"], body["data"]["newOrderResult"]) == ("SUCCESS", "FAILURE")
    assert body["data"]["newOrderResponse"] == {"code": -1013, "msg": "Filter failure: LOT_SIZE"}
    assert assert_ok(signed_request(http, "GET", "/api/v3/openOrders", trader, {"symbol": "BTCUSDT"})) == []
    assert_error(signed_request(http, "POST", "/api/v3/order/cancelReplace", trader,
                                body={**new, "cancelReplaceMode": "STOP_ON_FAILURE"}), -1102, 400,
                 "Param 'cancelOrigClientOrderId' or 'cancelOrderId' must be sent, but both were empty/null!")


# -- Binance's rejections, as Binance sends them ---------------------------------------------------------------

LIMIT = {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.001", "price": "50000"}
ILLEGAL_DECIMAL = "Illegal characters found in parameter '{}'; legal range is '^([0-9]{{1,20}})(\\.[0-9]{{1,20}})?$'."


REJECTIONS = [
    ({"symbol": "NOSUCH"}, -1121, "Invalid symbol."),
    ({"side": "HOLD"}, -1117, "Invalid side."),
    ({"type": "LIMITT"}, -1116, "Invalid orderType."),
    ({"timeInForce": "GTX"}, -1115, "Invalid timeInForce."),
    ({"quantity": "0.000001"}, -1013, "Filter failure: LOT_SIZE"),
    ({"quantity": "0.000015"}, -1013, "Filter failure: LOT_SIZE"),
    ({"price": "50000.005"}, -1013, "Filter failure: PRICE_FILTER"),
    ({"quantity": "0.00001"}, -1013, "Filter failure: NOTIONAL"),
    ({"price": "5000"}, -1013, "Filter failure: PERCENT_PRICE_BY_SIDE"),
    ({"quantity": "0.000000001"}, -1111, "Parameter 'quantity' has too much precision."),
    ({"price": "50000.000000001"}, -1111, "Parameter 'price' has too much precision."),
    ({"quantity": "1e-05"}, -1100, ILLEGAL_DECIMAL.format("quantity")),
    ({"price": "-1"}, -1100, ILLEGAL_DECIMAL.format("price")),
    ({"quantity": "1"}, -2010, "Account has insufficient balance for requested action."),
    ({"price": None}, -1102, "Mandatory parameter 'price' was not sent, was empty/null, or malformed."),
    ({"timeInForce": None}, -1102, "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed."),
    ({"side": None}, -1102, "Mandatory parameter 'side' was not sent, was empty/null, or malformed."),
    ({"type": "MARKET", "timeInForce": None, "price": None, "quoteOrderQty": "10"}, -1128,
     "Combination of optional parameters invalid."),
    ({"type": "MARKET", "timeInForce": None}, -1106, "Parameter 'price' sent when not required."),
    ({"type": "LIMIT_MAKER", "timeInForce": None, "price": "ABOVE"}, -2010,
     "Order would immediately match and take."),
    ({"type": "STOP_LOSS", "timeInForce": None, "price": None, "stopPrice": "BELOW"}, -2010,
     "Order would trigger immediately."),
    ({"selfTradePreventionMode": "SOMETIMES"}, -1130,
     "Data sent for parameter 'selfTradePreventionMode' is not valid."),
    ({"newOrderRespType": "EVERYTHING"}, -1130, "Data sent for parameter 'newOrderRespType' is not valid."),
    ({"strategyType": "5"}, -1134, "strategyType was less than 1000000."),
    ({"newClientOrderId": "bad id!"}, -1100,
     "Illegal characters found in parameter 'newClientOrderId'; legal range is '^[a-zA-Z0-9-_]{1,36}$'."),
    ({"icebergQty": "0.0001"}, -2010, "Iceberg orders are not supported for this symbol."),
]


def test_new_order_rejections(http, trader):
    near = {"ABOVE": Decimal("1.1"), "BELOW": Decimal("0.9")}  # relative to the moving market
    for change, code, msg in REJECTIONS:
        params = {"symbol": "BTCUSDT", **LIMIT, **change}
        body = {k: px(last_price(http) * near[v]) if v in near else v for k, v in params.items() if v is not None}
        assert_error(signed_request(http, "POST", ORDER, trader, body=body), code, 400, msg)
        if code != -2010 or "Iceberg" in msg:  # order/test answers the same up to the matching engine
            assert_error(signed_request(http, "POST", "/api/v3/order/test", trader, body=body), code, 400, msg)
    assert assert_ok(signed_request(http, "GET", "/api/v3/allOrders", trader, {"symbol": "BTCUSDT"})) == []


def test_rejections_of_queries_and_cancels(http, trader):
    assert_error(signed_request(http, "GET", ORDER, trader, {"symbol": "BTCUSDT", "orderId": 999999999}), -2013, 400,
                 "Order does not exist.")
    assert_error(signed_request(http, "GET", ORDER, trader, {"symbol": "BTCUSDT", "origClientOrderId": "nope"}),
                 -2013, 400, "Order does not exist.")
    assert_error(signed_request(http, "DELETE", ORDER, trader, {"symbol": "BTCUSDT", "orderId": 999999999}), -2011,
                 400, "Unknown order sent.")
    assert_error(signed_request(http, "DELETE", ORDER, trader, {"symbol": "BTCUSDT"}), -1102, 400,
                 "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!")
    assert_error(signed_request(http, "DELETE", "/api/v3/openOrders", trader, {"symbol": "BTCUSDT"}), -2011, 400,
                 "Unknown order sent.")
    assert_error(signed_request(http, "DELETE", ORDER, trader, {"symbol": "BTCUSDT", "orderId": 1,
                                                                "cancelRestrictions": "ONLY_OLD"}), -1145, 400)
    assert_error(signed_request(http, "GET", "/api/v3/orderList", trader, {"orderListId": 999999}), -2011, 400)
    assert_error(signed_request(http, "GET", ORDER, trader, {"symbol": "NOPE", "orderId": 1}), -1121, 400)
    day = 24 * 3600 * 1000
    assert_error(signed_request(http, "GET", "/api/v3/myTrades", trader,
                                {"symbol": "BTCUSDT", "startTime": 0, "endTime": day + 1}), -1127, 400,
                 "More than 24 hours between startTime and endTime.")
    assert_error(signed_request(http, "GET", "/api/v3/allOrders", trader,
                                {"symbol": "BTCUSDT", "startTime": 0, "endTime": day + 1}), -1127, 400)
    assert_error(signed_request(http, "GET", "/api/v3/myTrades", trader,
                                {"symbol": "BTCUSDT", "fromId": 1, "startTime": 1}), -1128, 400,
                 "Combination of optional parameters invalid.")
    assert_error(signed_request(http, "GET", "/api/v3/allOrderList", trader, {"fromId": 1, "endTime": 5}), -1128, 400)
    # above the maximum Binance Spot answers a full page, no error (tests/e2e/test_limits.py)
    assert isinstance(assert_ok(signed_request(http, "GET", "/api/v3/myTrades", trader,
                                               {"symbol": "BTCUSDT", "limit": 1001})), list)
    assert assert_ok(signed_request(http, "GET", "/api/v3/myTrades", trader,
                                    {"symbol": "BTCUSDT", "startTime": 0, "endTime": day})) == []


def test_trading_needs_the_spot_permission(http, make_creds):
    reader = make_creds()  # reading only
    assert_error(place(http, reader, **LIMIT), -2015, 401, "Invalid API-key, IP, or permissions for action.")
    assert assert_ok(signed_request(http, "GET", "/api/v3/openOrders", reader)) == []


# -- STOP_LOSS_LIMIT triggered by the replayed market -----------------------------------------------------------


def test_stop_loss_limit_triggers_when_the_replay_crosses_it(tmp_path):
    from binance.client import Client

    from minance.market.feed import SyntheticFeed

    data = tmp_path / "data"
    with running_server(data, "--market-clock", "manual") as srv, httpx.Client(base_url=srv.url) as http:
        create_account(data, "stopper", "BTC=1")
        creds = issue_key(data, "stopper", "--permissions", "reading,spot")
        admin = {"Authorization": f"Bearer {admin_token(data)}"}
        market_ms = http.post("/admin/market/step", json={"ms": 0}, headers=admin).json()["marketTime"]
        last = last_price(http)
        stop = (last * Decimal("0.998")).quantize(TICK)
        feed = SyntheticFeed(0)  # the server's feed (seed 0): the future is known
        target = next(t for t in range(market_ms, market_ms + 30 * 86_400_000, 60_000)
                      if feed.price_at("BTCUSDT", t) < stop * Decimal("0.999"))

        client: Client = python_binance(srv.url, creds)
        order = client.create_order(symbol="BTCUSDT", side="SELL", type="STOP_LOSS_LIMIT", timeInForce="GTC",
                                    quantity="0.01", stopPrice=str(stop), price=px(stop * Decimal("0.99")))
        assert set(order) == {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"}  # ACK default
        waiting = client.get_order(symbol="BTCUSDT", orderId=order["orderId"])
        assert waiting["status"] == "NEW" and waiting["isWorking"] is False and waiting["stopPrice"] == f"{stop}000000"
        assert balances(http, creds)["BTC"] == (Decimal("0.99"), Decimal("0.01"))

        stepped = http.post("/admin/market/step", json={"ms": target - market_ms}, headers=admin).json()
        assert stepped["marketTime"] == target
        done = client.get_order(symbol="BTCUSDT", orderId=order["orderId"])
        assert done["status"] == "FILLED" and done["isWorking"] is True and done["executedQty"] == "0.01000000"
        trades = client.get_my_trades(symbol="BTCUSDT")
        assert trades and all(Decimal(t["price"]) <= stop for t in trades)
        received = sum(Decimal(t["quoteQty"]) - Decimal(t["commission"]) for t in trades)
        assert balances(http, creds) == {"BTC": (Decimal("0.99"), Decimal(0)), "USDT": (received, Decimal(0))}


# -- withdrawals and the wallet ---------------------------------------------------------------------------------


def test_withdraw_needs_the_withdrawals_permission(server, trader):
    from binance.exceptions import BinanceAPIException

    with pytest.raises(BinanceAPIException) as denied:
        python_binance(server.url, trader).withdraw(coin="USDT", address=TRON, amount="10", network="TRX")
    assert (denied.value.status_code, denied.value.code) == (401, -1002)
    assert denied.value.message == "You are not authorized to execute this request."


def test_withdraw_debits_the_ledger_and_is_in_the_history(server, http, account, make_creds):
    creds = make_creds("--permissions", "reading,withdrawals", "--ip", "127.0.0.1")
    client = python_binance(server.url, creds)
    result = client.withdraw(coin="USDT", address=TRON, amount="25", network="TRX", withdrawOrderId="w-1")
    assert HEX32.match(result["id"])
    assert balances(http, creds)["USDT"] == (Decimal(9975), Decimal(0))
    second = sdk_wallet(server.url, creds).withdraw(coin="BTC", address="bc1q" + "a" * 38, amount=0.01).data()
    assert HEX32.match(second.id) and balances(http, creds)["BTC"] == (Decimal("0.99"), Decimal(0))

    history = client.get_withdraw_history()
    assert [w["id"] for w in history] == [second.id, result["id"]]  # newest first
    usdt = history[1]
    assert (usdt["coin"], usdt["network"], usdt["amount"], usdt["address"], usdt["withdrawOrderId"]) == \
        ("USDT", "TRX", "25.00000000", TRON, "w-1")
    assert usdt["status"] == 6 and re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", usdt["applyTime"])
    assert usdt["transactionFee"] == "1.00000000"
    assert [w["id"] for w in client.get_withdraw_history(coin="BTC")] == [second.id]
    deposits = client.get_deposit_history()
    assert sorted((d["coin"], d["amount"], d["status"]) for d in deposits) == [("BTC", "1.00000000", 1),
                                                                               ("USDT", "10000.00000000", 1)]
    coins = {c["coin"]: c for c in assert_ok(signed_request(http, "GET", "/sapi/v1/capital/config/getall", creds))}
    assert set(coins) >= {"USDT", "BTC", "ETH", "BNB", "SOL"}
    assert coins["USDT"]["free"] == "9975.00000000"
    assert sum(n["isDefault"] for n in coins["USDT"]["networkList"]) == 1

    exchange = ccxt_default(server.url, creds)
    sent = exchange.withdraw("USDT", 30, TRON, params={"network": "TRC20"})
    assert HEX32.match(sent["id"])
    assert sent["id"] in [w["id"] for w in exchange.fetch_withdrawals("USDT")]
    assert exchange.fetch_balance()["USDT"]["free"] == 9945.0


def test_withdraw_rejections(http, account, make_creds):
    creds = make_creds("--permissions", "reading,withdrawals", "--ip", "127.0.0.1")

    def withdraw(**body):
        return signed_request(http, "POST", "/sapi/v1/capital/withdraw/apply", creds, body=body)

    assert_error(withdraw(coin="USDT", address=TRON, amount="20000", network="TRX"), -4026, 400,
                 "You have insufficient balance.")
    assert_error(withdraw(coin="DOGE", address=TRON, amount="10"), -4018, 400, "We don't have this asset.")
    assert_error(withdraw(coin="USDT", address="not-an-address", amount="10", network="TRX"), -4007, 400,
                 "Address validation is not passed.")
    assert_error(withdraw(coin="USDT", address=TRON, amount="1.5", network="TRX"), -4022, 400,
                 "Not less than the minimum pick-up quantity 2.")
    assert_error(withdraw(coin="USDT", address=TRON, amount="10", network="MARS"), -1130, 400,
                 "Data sent for parameter 'network' is not valid.")
    assert_error(withdraw(coin="USDT", amount="10"), -1102, 400,
                 "Mandatory parameter 'address' was not sent, was empty/null, or malformed.")
    assert_error(withdraw(coin="USDT", address=TRON, amount="10.123456789", network="TRX"), -1111, 400,
                 "Parameter 'amount' has too much precision.")
    assert_error(signed_request(http, "GET", "/sapi/v1/capital/deposit/hisrec", creds,
                                {"startTime": 0, "endTime": 91 * 86_400_000}), -4047, 400,
                 "Time interval must be within 0-90 days")
    # integers past 2^63-1 are -1100 with the legal range (issue 9: SQLite overflow answered 500)
    long_range = "0 - 9223372036854775807"
    for path in ("/sapi/v1/capital/deposit/hisrec", "/sapi/v1/capital/withdraw/history"):
        for name in ("startTime", "endTime", "status", "offset"):
            assert_error(signed_request(http, "GET", path, creds, {name: 2**63}), -1100, 400,
                         f"Illegal characters found in parameter '{name}'; legal range is '{long_range}'.")
        late = 2**63 - 1000  # its default 90-day window would end past 2^63-1
        assert assert_ok(signed_request(http, "GET", path, creds, {"startTime": late})) == []
        assert assert_ok(signed_request(http, "GET", path, creds, {"status": 2**63 - 1, "offset": 2**63 - 1})) == []
    assert_error(withdraw(coin="USDT", address=TRON, amount="10", network="TRX", walletType=2**64), -1100, 400,
                 f"Illegal characters found in parameter 'walletType'; legal range is '{long_range}'.")
    assert balances(http, creds)["USDT"] == (Decimal(10000), Decimal(0))
