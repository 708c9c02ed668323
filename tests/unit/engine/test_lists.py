"""Order lists: OCO (new and legacy forms), OTO, OTOCO."""

from decimal import Decimal

from minance.domain.orders import ContingencyType, ListOrderStatus, OrderStatus, OrderType
from minance.engine import CancelOrderList, ListStatus, NewOco, NewOto, NewOtoco, OrderLeg, legacy_oco

D = Decimal


def trade_at(h, price, qty="0.01"):
    h.placed(3, "SELL", price=price, quantity=qty, stp_mode="NONE")
    h.placed(2, "BUY", price=price, quantity=qty, stp_mode="NONE")


def sell_oco(h, account=1, qty="0.5", limit="52000", stop="48000", stop_limit="47900"):
    return h.run(NewOco(account, "BTCUSDT", "SELL", D(qty),
                        above=OrderLeg(OrderType.LIMIT_MAKER, price=D(limit)),
                        below=OrderLeg(OrderType.STOP_LOSS_LIMIT, price=D(stop_limit), stop_price=D(stop),
                                       time_in_force="GTC"),
                        ts_ms=h.tick()))


def test_oco_places_two_legs_sharing_one_lock(h):
    trade_at(h, "50000")
    result = sell_oco(h)
    assert result.ok and result.new_orders == 2
    lst = result.reply.order_list
    assert lst.contingency_type is ContingencyType.OCO and lst.list_order_status is ListOrderStatus.EXECUTING
    below, above = result.reply.reports
    assert below.type is OrderType.STOP_LOSS_LIMIT and below.working_ms == -1
    assert below.order_list_id == lst.order_list_id
    assert above.type is OrderType.LIMIT_MAKER and above.is_working
    assert h.locked(1, "BTC") == D("0.5")
    assert len(h.events(result, ListStatus)) == 1
    assert [v.order_id for v in h.ex.open_orders(1)] == [below.order_id, above.order_id]


def test_fill_of_the_limit_leg_expires_the_stop_leg(h):
    trade_at(h, "50000")
    below, above = sell_oco(h).reply.reports
    result = h.order(2, "BUY", price="52000", quantity="0.2")
    assert h.status(above.order_id, 1) == "PARTIALLY_FILLED"
    stop_leg = h.ex.get_order(1, "BTCUSDT", below.order_id)
    assert stop_leg.status is OrderStatus.EXPIRED and stop_leg.expiry_reason.value == "OCO_TRIGGER"
    assert h.locked(1, "BTC") == D("0.3")
    h.order(2, "BUY", price="52000", quantity="0.3")
    assert h.status(above.order_id, 1) == "FILLED" and h.locked(1, "BTC") == 0
    done = h.ex.order_list(1, order_list_id=above.order_list_id)
    assert done.list_order_status is ListOrderStatus.ALL_DONE
    assert result.ok


def test_trigger_of_the_stop_leg_expires_the_limit_leg(h):
    trade_at(h, "50000")
    below, above = sell_oco(h).reply.reports
    h.placed(2, "BUY", price="47950", quantity="1")
    trade_at(h, "48000")
    assert h.status(above.order_id, 1) == "EXPIRED"
    assert h.status(below.order_id, 1) == "FILLED"
    assert h.ex.open_order_lists(1) == [] and h.locked(1, "BTC") == 0


def test_cancel_one_leg_cancels_the_list(h):
    trade_at(h, "50000")
    below, above = sell_oco(h).reply.reports
    result = h.cancel(1, order_id=above.order_id)
    assert result.ok and result.reply.order_list is not None
    assert h.status(below.order_id, 1) == "CANCELED" and h.status(above.order_id, 1) == "CANCELED"
    assert h.locked(1, "BTC") == 0
    assert h.events(result, ListStatus)[-1].order_list.list_order_status is ListOrderStatus.ALL_DONE


def test_cancel_order_list(h):
    trade_at(h, "50000")
    lst = sell_oco(h).reply.order_list
    result = h.run(CancelOrderList(1, "BTCUSDT", h.tick(), order_list_id=lst.order_list_id))
    assert result.ok and all(v.status is OrderStatus.CANCELED for v in result.reply.reports)
    h.rejected(h.run(CancelOrderList(1, "BTCUSDT", h.tick(), order_list_id=lst.order_list_id)), -2011)


def test_oco_leg_checks(h):
    trade_at(h, "50000")
    h.placed(2, "BUY", price="49500", quantity="0.1")
    h.rejected(sell_oco(h, limit="49500"), -2010, "Order would immediately match and take.")
    h.rejected(sell_oco(h, stop="50000"), -2010, "Order would trigger immediately.")
    h.rejected(sell_oco(h, qty="150"), -2010, "Account has insufficient balance for requested action.")
    wrong = NewOco(1, "BTCUSDT", "SELL", D("0.1"), above=OrderLeg(OrderType.STOP_LOSS, stop_price=D("52000")),
                   below=OrderLeg(OrderType.LIMIT_MAKER, price=D("48000")), ts_ms=h.tick())
    h.rejected(h.run(wrong), -1128)


def test_buy_oco_locks_the_dearer_leg(h):
    trade_at(h, "50000")
    result = h.run(NewOco(1, "BTCUSDT", "BUY", D("0.1"),
                          above=OrderLeg(OrderType.STOP_LOSS_LIMIT, price=D("51500"), stop_price=D("51000"),
                                         time_in_force="GTC"),
                          below=OrderLeg(OrderType.LIMIT_MAKER, price=D("48000")), ts_ms=h.tick()))
    assert result.ok and h.locked(1, "USDT") == D("5150")


def test_legacy_oco_price_relationship(h):
    trade_at(h, "50000")
    bad = legacy_oco(1, "BTCUSDT", "SELL", D("0.1"), price=D("49000"), stop_price=D("48000"), ts_ms=h.tick(),
                     stop_limit_price=D("47900"), stop_limit_time_in_force="GTC")
    h.rejected(h.run(bad), -2010, "The relationship of the prices for the orders is not correct.")
    good = legacy_oco(1, "BTCUSDT", "SELL", D("0.1"), price=D("52000"), stop_price=D("48000"), ts_ms=h.tick(),
                      stop_limit_price=D("47900"), stop_limit_time_in_force="GTC", list_client_order_id="my-list")
    result = h.run(good)
    assert result.ok and result.reply.order_list.list_client_order_id == "my-list"
    first, second = result.reply.reports
    assert first.type is OrderType.STOP_LOSS_LIMIT and second.type is OrderType.LIMIT_MAKER
    buy = legacy_oco(1, "BTCUSDT", "BUY", D("0.1"), price=D("48000"), stop_price=D("52000"), ts_ms=h.tick())
    result = h.run(buy)
    assert result.ok and [v.type for v in result.reply.reports] == [OrderType.STOP_LOSS, OrderType.LIMIT_MAKER]


def test_duplicate_list_client_id(h):
    trade_at(h, "50000")
    leg = {"above": OrderLeg(OrderType.LIMIT_MAKER, price=D("52000")),
           "below": OrderLeg(OrderType.STOP_LOSS, stop_price=D("48000"))}
    assert h.run(NewOco(1, "BTCUSDT", "SELL", D("0.1"), ts_ms=h.tick(), list_client_order_id="L1", **leg)).ok
    h.rejected(h.run(NewOco(1, "BTCUSDT", "SELL", D("0.1"), ts_ms=h.tick(), list_client_order_id="L1", **leg)),
               -2010, "Duplicate order sent.")


def test_oto_places_the_pending_order_once_the_working_order_fills(h):
    trade_at(h, "50000")
    cmd = NewOto(1, "BTCUSDT", working=OrderLeg(OrderType.LIMIT, side="BUY", quantity=D("0.1"), price=D("49000"),
                                                time_in_force="GTC"),
                 pending=OrderLeg(OrderType.LIMIT_MAKER, side="SELL", quantity=D("0.1"), price=D("55000")),
                 ts_ms=h.tick())
    result = h.run(cmd)
    assert result.ok and result.new_orders == 2
    working, pending = result.reply.reports
    assert pending.status is OrderStatus.PENDING_NEW and h.locked(1, "BTC") == 0
    h.order(3, "SELL", price="49000", quantity="0.1")
    assert h.status(working.order_id, 1) == "FILLED"
    assert h.status(pending.order_id, 1) == "NEW"
    assert h.ex.depth("BTCUSDT").asks[0] == (D("55000"), D("0.1"))
    assert h.locked(1, "BTC") == D("0.1")


def test_oto_cancel_of_the_working_order_cancels_the_pending_one(h):
    cmd = NewOto(1, "BTCUSDT", working=OrderLeg(OrderType.LIMIT, side="BUY", quantity=D("0.1"), price=D("49000"),
                                                time_in_force="GTC"),
                 pending=OrderLeg(OrderType.LIMIT_MAKER, side="SELL", quantity=D("0.1"), price=D("55000")),
                 ts_ms=h.tick())
    working, pending = h.run(cmd).reply.reports
    h.cancel(1, order_id=working.order_id)
    assert h.status(pending.order_id, 1) == "CANCELED"


def test_otoco(h):
    trade_at(h, "50000")
    cmd = NewOtoco(1, "BTCUSDT",
                   working=OrderLeg(OrderType.LIMIT, side="BUY", quantity=D("0.2"), price=D("49000"),
                                    time_in_force="GTC"),
                   pending_side="SELL", pending_quantity=D("0.2"),
                   pending_above=OrderLeg(OrderType.LIMIT_MAKER, price=D("55000")),
                   pending_below=OrderLeg(OrderType.STOP_LOSS, stop_price=D("45000")), ts_ms=h.tick())
    result = h.run(cmd)
    assert result.ok and result.new_orders == 3
    working, below, above = result.reply.reports
    h.order(3, "SELL", price="49000", quantity="0.2")
    assert h.status(above.order_id, 1) == "NEW" and h.status(below.order_id, 1) == "NEW"
    assert h.locked(1, "BTC") == D("0.2")
    h.placed(2, "BUY", price="44000", quantity="1")
    trade_at(h, "45000")
    assert h.status(below.order_id, 1) == "FILLED" and h.status(above.order_id, 1) == "EXPIRED"
    assert h.ex.order_list(1, working.order_list_id).list_order_status is ListOrderStatus.ALL_DONE
    assert h.locked(1, "BTC") == 0
