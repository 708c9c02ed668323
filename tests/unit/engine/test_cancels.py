"""Cancel by id or client id, cancel restrictions, cancel all, cancelReplace."""

from decimal import Decimal

from minance.domain.orders import ExecutionType, OrderStatus
from minance.engine import CancelOpenOrders, CancelReplace, ListReply, NewOco, NewOrder, OrderLeg, OrderUpdate


def test_cancel_by_order_id_reports_both_client_ids(h):
    oid = h.placed(1, "BUY", price="50000", quantity="0.1", client_order_id="orig").order.order_id
    result = h.cancel(1, order_id=oid, new_client_order_id="killer")
    reply = result.reply
    assert reply.order.status is OrderStatus.CANCELED
    assert (reply.orig_client_order_id, reply.client_order_id) == ("orig", "killer")
    update = h.events(result, OrderUpdate)[0]
    assert update.execution_type is ExecutionType.CANCELED
    assert (update.orig_client_order_id, update.cancel_client_order_id) == ("orig", "killer")
    assert h.locked(1, "USDT") == 0 and h.ex.depth("BTCUSDT").bids == []


def test_cancel_by_client_order_id(h):
    h.placed(1, "SELL", price="60000", quantity="0.1", client_order_id="abc")
    assert h.cancel(1, orig_client_order_id="abc").reply.order.status is OrderStatus.CANCELED


def test_cancel_unknown_or_closed_or_foreign(h):
    oid = h.placed(1, "BUY", price="50000", quantity="0.1").order.order_id
    h.rejected(h.cancel(1, order_id=999), -2011, "Unknown order sent.")
    h.rejected(h.cancel(2, order_id=oid), -2011, "Unknown order sent.")
    h.rejected(h.cancel(1, order_id=oid, symbol="ETHUSDT"), -2011)
    h.rejected(h.cancel(1, order_id=oid, orig_client_order_id="other"), -2011)
    h.rejected(h.cancel(1), -1102, "Param 'orderId' or 'origClientOrderId' must be sent, but both were empty/null!")
    assert h.cancel(1, order_id=oid).ok
    h.rejected(h.cancel(1, order_id=oid), -2011, "Unknown order sent.")


def test_cancel_restrictions(h):
    oid = h.placed(1, "BUY", price="50000", quantity="0.1").order.order_id
    h.rejected(h.cancel(1, order_id=oid, cancel_restrictions="ONLY_PARTIALLY_FILLED"), -2011,
               "Order was not canceled due to cancel restrictions.")
    h.placed(2, "SELL", price="50000", quantity="0.05")
    h.rejected(h.cancel(1, order_id=oid, cancel_restrictions="ONLY_NEW"), -2011)
    assert h.cancel(1, order_id=oid, cancel_restrictions="ONLY_PARTIALLY_FILLED").ok


def test_cancel_open_orders_includes_lists(h):
    h.placed(3, "SELL", price="50000", quantity="0.01")
    h.placed(2, "BUY", price="50000", quantity="0.01")
    a = h.placed(1, "BUY", price="49000", quantity="0.1").order.order_id
    oco = h.run(NewOco(1, "BTCUSDT", "SELL", Decimal("0.1"),
                       above=OrderLeg("LIMIT_MAKER", price=Decimal("52000")),
                       below=OrderLeg("STOP_LOSS", stop_price=Decimal("48000")), ts_ms=h.tick()))
    b = h.placed(1, "SELL", price="53000", quantity="0.1").order.order_id
    h.placed(1, "BUY", price="100", quantity="1", symbol="ETHUSDT")  # other symbol: untouched
    result = h.run(CancelOpenOrders(1, "BTCUSDT", h.tick()))
    items = result.reply.items
    assert len(items) == 3 and isinstance(items[1], ListReply)
    assert items[1].order_list.order_list_id == oco.reply.order_list.order_list_id
    assert h.ex.open_orders(1, "BTCUSDT") == [] and len(h.ex.open_orders(1)) == 1
    assert h.status(a, 1) == h.status(b, 1) == "CANCELED"
    assert h.locked(1, "BTC") == 0
    h.rejected(h.run(CancelOpenOrders(1, "BTCUSDT", h.tick())), -2011)


def _replace(h, mode, cancel_id, **new):
    new_order = NewOrder(1, "BTCUSDT", "BUY", "LIMIT", h.tick(), time_in_force="GTC",
                         **{k: Decimal(v) for k, v in new.items()})
    return h.run(CancelReplace(1, "BTCUSDT", h.tick(), mode, new_order, cancel_order_id=cancel_id))


def test_cancel_replace_success(h):
    oid = h.placed(1, "BUY", price="50000", quantity="0.1").order.order_id
    result = _replace(h, "STOP_ON_FAILURE", oid, price="49000", quantity="0.2")
    assert result.ok and result.new_orders == 1
    reply = result.reply
    assert (reply.cancel_result, reply.new_order_result) == ("SUCCESS", "SUCCESS")
    assert reply.cancel.order.status is OrderStatus.CANCELED
    assert reply.new_order.order.status is OrderStatus.NEW
    assert h.locked(1, "USDT") == Decimal("9800")


def test_cancel_replace_stop_on_failure(h):
    result = _replace(h, "STOP_ON_FAILURE", 12345, price="49000", quantity="0.2")
    assert result.error.code == -2022 and result.error.msg == "Order cancel-replace failed."
    assert result.reply.cancel.code == -2011 and result.reply.new_order_result == "NOT_ATTEMPTED"
    assert result.events == [] and h.ex.open_orders(1) == []


def test_cancel_replace_allow_failure_places_the_new_order(h):
    result = _replace(h, "ALLOW_FAILURE", 12345, price="49000", quantity="0.2")
    assert result.error.code == -2021 and result.error.http_status == 409
    assert (result.reply.cancel_result, result.reply.new_order_result) == ("FAILURE", "SUCCESS")
    assert len(h.ex.open_orders(1)) == 1


def test_cancel_replace_new_order_fails_after_the_cancel(h):
    oid = h.placed(1, "BUY", price="50000", quantity="0.1").order.order_id
    result = _replace(h, "STOP_ON_FAILURE", oid, price="49000", quantity="50")
    assert result.error.code == -2021
    assert (result.reply.cancel_result, result.reply.new_order_result) == ("SUCCESS", "FAILURE")
    assert result.reply.new_order.code == -2010
    assert h.status(oid, 1) == "CANCELED" and h.locked(1, "USDT") == 0


def test_cancel_replace_uses_the_released_funds(h):
    h.fund(7, USDT="1000")
    oid = h.placed(7, "BUY", price="100", quantity="9", symbol="ETHUSDT").order.order_id
    new_order = NewOrder(7, "ETHUSDT", "BUY", "LIMIT", h.tick(), quantity=Decimal("9.5"), price=Decimal("100"),
                         time_in_force="GTC")
    result = h.run(CancelReplace(7, "ETHUSDT", h.tick(), "STOP_ON_FAILURE", new_order, cancel_order_id=oid))
    assert result.ok and h.locked(7, "USDT") == Decimal("950")


def _oco_list(h, account=1, cid=None):
    cmd = NewOco(account, "BTCUSDT", "SELL", Decimal("0.1"), above=OrderLeg("LIMIT_MAKER", price=Decimal("52000")),
                 below=OrderLeg("STOP_LOSS", stop_price=Decimal("48000")), ts_ms=h.tick(), list_client_order_id=cid)
    return h.run(cmd).reply.order_list.order_list_id


def test_list_cancel_replies_carry_the_cancel_client_id(h):
    from minance.engine import CancelOrderList
    from minance.engine.responses import cancel_all_response, list_response

    h.placed(3, "SELL", price="50000", quantity="0.01")
    h.placed(2, "BUY", price="50000", quantity="0.01")
    named = h.run(CancelOrderList(1, "BTCUSDT", h.tick(), order_list_id=_oco_list(h), new_client_order_id="bye"))
    assert named.reply.cancel_client_order_id == "bye" and named.reply.response_type is None
    assert {r["clientOrderId"] for r in list_response(named.reply)["orderReports"]} == {"bye"}
    generated = h.run(CancelOrderList(1, "BTCUSDT", h.tick(), order_list_id=_oco_list(h)))
    events = {u.cancel_client_order_id for u in h.events(generated, OrderUpdate)}
    assert events == {generated.reply.cancel_client_order_id} and generated.reply.cancel_client_order_id
    # cancelling one leg cancels the list under the leg's cancel id
    leg = h.ex.list_orders(1, _oco_list(h))[0].order_id
    reply = h.cancel(1, order_id=leg, new_client_order_id="leg-cancel").reply
    assert reply.order_list.cancel_client_order_id == "leg-cancel"
    # cancel-all: each list under its own generated id, the one its executionReports carry
    first, second = _oco_list(h), _oco_list(h)
    result = h.run(CancelOpenOrders(1, "BTCUSDT", h.tick()))
    by_list = {u.order.order_list_id: u.cancel_client_order_id for u in h.events(result, OrderUpdate)}
    assert [(x.order_list.order_list_id, x.cancel_client_order_id) for x in result.reply.items] == [
        (first, by_list[first]), (second, by_list[second])]
    assert by_list[first] != by_list[second]
    body = cancel_all_response(result.reply)
    assert [{r["clientOrderId"] for r in x["orderReports"]} for x in body] == [{by_list[first]}, {by_list[second]}]
