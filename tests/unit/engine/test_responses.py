"""Binance JSON shapes rendered from engine values."""

from decimal import Decimal

from minance.domain.orders import ResponseType
from minance.engine import BalanceUpdate, BookDelta, NewOco, OrderLeg, OrderUpdate, Trade
from minance.engine import responses as R

ACK_KEYS = ["symbol", "orderId", "orderListId", "clientOrderId", "transactTime"]
RESULT_KEYS = [*ACK_KEYS, "price", "origQty", "executedQty", "origQuoteOrderQty", "cummulativeQuoteQty", "status",
               "timeInForce", "type", "side", "workingTime", "selfTradePreventionMode"]


def test_ack_result_full(h):
    h.placed(2, "SELL", price="50000", quantity="0.1")
    full = h.placed(1, "BUY", price="50000", quantity="0.04")
    assert full.response_type is ResponseType.FULL
    body = R.order_response(full)
    assert list(body) == [*RESULT_KEYS, "fills"]
    assert body["fills"] == [{"price": "50000.00000000", "qty": "0.04000000", "commission": "0.00004000",
                              "commissionAsset": "BTC", "tradeId": 1}]
    assert body["status"] == "FILLED" and body["cummulativeQuoteQty"] == "2000.00000000"
    assert list(R.order_response(full, ResponseType.RESULT)) == RESULT_KEYS
    assert R.order_response(full, ResponseType.ACK) == {
        "symbol": "BTCUSDT", "orderId": 2, "orderListId": -1, "clientOrderId": full.order.client_order_id,
        "transactTime": full.transact_ms}
    market = h.placed(1, "BUY", "MARKET", quantity="0.01")
    assert market.response_type is ResponseType.FULL
    maker = h.placed(1, "BUY", "LIMIT_MAKER", price="40000", quantity="0.01")
    assert maker.response_type is ResponseType.ACK
    explicit = h.placed(1, "BUY", price="40000", quantity="0.01", response_type="RESULT")
    assert list(R.order_response(explicit)) == RESULT_KEYS


def test_stop_fields_and_query_shape(h):
    h.placed(3, "SELL", price="50000", quantity="0.01")
    h.placed(2, "BUY", price="50000", quantity="0.01")
    reply = h.placed(1, "SELL", "STOP_LOSS_LIMIT", price="48000", stop_price="49000", quantity="0.1",
                     trailing_delta=100, strategy_id=7, strategy_type=1000000, response_type="RESULT")
    body = R.order_response(reply)
    assert body["stopPrice"] == "49000.00000000" and body["trailingDelta"] == 100
    assert body["workingTime"] == -1 and body["strategyId"] == 7 and body["strategyType"] == 1000000
    query = R.order_query(h.ex.get_order(1, "BTCUSDT", reply.order.order_id))
    assert list(query)[:20] == ["symbol", "orderId", "orderListId", "clientOrderId", "price", "origQty",
                                "executedQty", "cummulativeQuoteQty", "status", "timeInForce", "type", "side",
                                "stopPrice", "icebergQty", "time", "updateTime", "isWorking", "workingTime",
                                "origQuoteOrderQty", "selfTradePreventionMode"]
    assert query["isWorking"] is False


def test_cancel_and_list_shapes(h):
    oid = h.placed(1, "BUY", price="50000", quantity="0.1", client_order_id="c1").order.order_id
    body = R.cancel_response(h.cancel(1, order_id=oid, new_client_order_id="c2").reply)
    assert body["origClientOrderId"] == "c1" and body["clientOrderId"] == "c2" and body["status"] == "CANCELED"
    oco = h.run(NewOco(1, "BTCUSDT", "SELL", Decimal("0.1"), above=OrderLeg("LIMIT_MAKER", price=Decimal("52000")),
                       below=OrderLeg("STOP_LOSS", stop_price=Decimal("48000")), ts_ms=h.tick()))
    body = R.list_response(oco.reply)
    assert body["contingencyType"] == "OCO" and body["listStatusType"] == "EXEC_STARTED"
    assert body["listOrderStatus"] == "EXECUTING" and len(body["orders"]) == 2
    assert body["orderReports"][0]["workingTime"] == -1
    reply = h.cancel(1, order_id=body["orders"][0]["orderId"]).reply
    assert R.cancel_response(reply)["status"] == "CANCELED"
    assert R.cancel_response(reply)["orderListId"] == body["orderListId"]
    listed = R.list_response(reply.order_list, cancel_client_order_id=reply.client_order_id)
    assert listed["listOrderStatus"] == "ALL_DONE"
    assert [r["status"] for r in listed["orderReports"]] == ["CANCELED", "CANCELED"]


def test_stream_events(h):
    h.placed(2, "SELL", price="50000", quantity="0.1")
    result = h.order(1, "BUY", price="50000", quantity="0.04", client_order_id="x1")
    updates = h.events(result, OrderUpdate)
    report = R.execution_report(updates[1])
    assert report["e"] == "executionReport" and report["x"] == "TRADE" and report["X"] == "FILLED"
    assert report["c"] == "x1" and report["l"] == "0.04000000" and report["L"] == "50000.00000000"
    assert report["n"] == "0.00004000" and report["N"] == "BTC" and report["t"] == 1 and report["m"] is False
    assert set("izZYOTIwWVQgCrfqpPF") <= set(report)
    trade = R.trade_event(h.events(result, Trade)[0])
    assert trade["e"] == "trade" and trade["m"] is False and trade["p"] == "50000.00000000"
    mine = [u for u in h.events(result, BalanceUpdate) if u.account_id == 1]
    position = R.account_position(mine)
    assert position["e"] == "outboundAccountPosition" and {b["a"] for b in position["B"]} == {"BTC", "USDT"}
    depth = R.depth_update(h.events(result, BookDelta)[0])
    assert depth["e"] == "depthUpdate" and depth["a"] == [["50000.00000000", "0.06000000"]]


def test_trades_rows(h):
    h.placed(2, "SELL", price="50000", quantity="0.1")
    h.placed(1, "BUY", price="50000", quantity="0.1")
    assert R.public_trade(h.ex.recent_trades("BTCUSDT")[0]) == {
        "id": 1, "price": "50000.00000000", "qty": "0.10000000", "quoteQty": "5000.00000000",
        "time": h.ts, "isBuyerMaker": False, "isBestMatch": True}
    row = R.my_trade(h.ex.my_trades(2, "BTCUSDT")[0])
    assert list(row) == ["symbol", "id", "orderId", "orderListId", "price", "qty", "quoteQty", "commission",
                         "commissionAsset", "time", "isBuyer", "isMaker", "isBestMatch"]
    assert R.depth_response(h.ex.depth("BTCUSDT")) == {"lastUpdateId": h.ex.depth("BTCUSDT").last_update_id,
                                                        "bids": [], "asks": []}
