"""Enum fields given as strings that name no member (or as no string at all) are declined with Binance's error
before anything changes, cancelReplace's new order included (it is judged before the cancel)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from minance.engine import (
    CancelOrder,
    CancelReplace,
    Exchange,
    NewOco,
    NewOrder,
    NewOto,
    OrderLeg,
)
from minance.store.codec import decode, encode

D = Decimal
GOOD = {"side": "BUY", "type": "LIMIT", "time_in_force": "GTC", "stp_mode": None, "response_type": None,
        "price": D("49000")}
BAD = [
    ("side", "SIDEWAYS", -1117, "Invalid side."),
    ("side", ["BUY"], -1117, "Invalid side."),
    ("type", "BOGUS", -1116, "Invalid orderType."),
    ("type", {"LIMIT": 1}, -1116, "Invalid orderType."),
    ("time_in_force", "FOREVER", -1115, "Invalid timeInForce."),
    ("time_in_force", 3, -1115, "Invalid timeInForce."),
    ("stp_mode", "SOMETIMES", -1130, "Data sent for parameter 'selfTradePreventionMode' is not valid."),
    ("response_type", "ALL", -1130, "Data sent for parameter 'newOrderRespType' is not valid."),
]


def _new(h, **change) -> NewOrder:
    fields = {**GOOD, **change}
    return NewOrder(1, "BTCUSDT", fields.pop("side"), fields.pop("type"), h.tick(), quantity=D("0.1"), **fields)


@pytest.mark.parametrize(("field", "value", "code", "msg"), BAD)
def test_new_order(h, field, value, code, msg):
    before = h.ex.snapshot()
    h.rejected(h.run(_new(h, **{field: value})), code, msg)
    assert h.ex.snapshot() == before


@pytest.mark.parametrize("mode", ["ALLOW_FAILURE", "STOP_ON_FAILURE"])
@pytest.mark.parametrize(("field", "value", "code", "msg"), BAD)
def test_cancel_replace_judges_its_new_order_before_cancelling(h, mode, field, value, code, msg):
    oid = h.placed(1, "BUY", price="50000", quantity="0.1").order.order_id
    before = h.ex.snapshot()
    result = h.run(CancelReplace(1, "BTCUSDT", h.tick(), mode, _new(h, **{field: value}), cancel_order_id=oid))
    h.rejected(result, code, msg)
    assert result.reply is None and h.ex.snapshot() == before and h.status(oid, 1) == "NEW"


def test_cancel_restrictions_are_judged_first(h):
    oid = h.placed(1, "BUY", price="50000", quantity="0.1").order.order_id
    msg = "cancelRestrictions has to be either ONLY_NEW or ONLY_PARTIALLY_FILLED."
    h.rejected(h.cancel(1, order_id=oid, cancel_restrictions="SOMETIMES"), -1145, msg)
    h.rejected(h.cancel(1, order_id=99999, cancel_restrictions="SOMETIMES"), -1145, msg)  # before the lookup
    h.rejected(h.cancel(1, order_id=oid, cancel_restrictions=["ONLY_NEW"]), -1145, msg)
    result = h.run(CancelReplace(1, "BTCUSDT", h.tick(), "ALLOW_FAILURE", _new(h), cancel_order_id=oid,
                                 cancel_restrictions="SOMETIMES"))
    h.rejected(result, -1145, msg)
    assert h.status(oid, 1) == "NEW" and len(h.ex.open_orders(1)) == 1
    h.rejected(h.run(CancelReplace(1, "BTCUSDT", h.tick(), "MAYBE", _new(h), cancel_order_id=oid)), -1130)
    h.rejected(h.run(CancelReplace(1, "BTCUSDT", h.tick(), ["ALLOW_FAILURE"], _new(h), cancel_order_id=oid)), -1130)


def test_order_lists(h):
    h.placed(3, "SELL", price="50000", quantity="0.01")
    h.placed(2, "BUY", price="50000", quantity="0.01")
    above, below = OrderLeg("LIMIT_MAKER", price=D("52000")), OrderLeg("STOP_LOSS", stop_price=D("48000"))
    cases = [
        (NewOco(1, "BTCUSDT", "UP", D("0.1"), above, below, h.tick()), -1117),
        (NewOco(1, "BTCUSDT", "SELL", D("0.1"), OrderLeg("MAKER", price=D("52000")), below, h.tick()), -1116),
        (NewOco(1, "BTCUSDT", "SELL", D("0.1"), above, below, h.tick(), stp_mode="X"), -1130),
        (NewOco(1, "BTCUSDT", "SELL", D("0.1"), above, below, h.tick(), response_type=["FULL"]), -1130),
        (NewOto(1, "BTCUSDT", OrderLeg("LIMIT", side="BUY", quantity=D("0.1"), price=D("49000"),
                                       time_in_force="GTD"),
                OrderLeg("LIMIT", side="SELL", quantity=D("0.1"), price=D("51000"), time_in_force="GTC"),
                h.tick()), -1115),
    ]
    before = h.ex.snapshot()
    for cmd, code in cases:
        h.rejected(h.run(cmd), code)
    assert h.ex.snapshot() == before


def test_a_journal_of_what_was_accepted_replays_to_the_same_state(h):
    """The venue journals accepted commands (and partial cancelReplaces) through the codec; replaying them
    must rebuild the same state, whatever malformed commands came in between."""
    oid = h.placed(1, "BUY", price="50000", quantity="0.1").order.order_id
    h.run(CancelReplace(1, "BTCUSDT", h.tick(), "ALLOW_FAILURE", _new(h, type="BOGUS"), cancel_order_id=oid))
    h.run(CancelReplace(1, "BTCUSDT", h.tick(), "ALLOW_FAILURE", _new(h, time_in_force="X"), cancel_order_id=oid))
    h.run(CancelReplace(1, "BTCUSDT", h.tick(), "ALLOW_FAILURE", _new(h, stp_mode="X"), cancel_order_id=oid))
    partial = h.run(CancelReplace(1, "BTCUSDT", h.tick(), "ALLOW_FAILURE", _new(h, price=D("1")),
                                  cancel_order_id=oid))
    assert partial.error.code == -2021 and partial.events  # cancelled, the new order failed its filter
    h.run(CancelOrder(1, "BTCUSDT", h.tick(), order_id=oid))
    journalled = Exchange()
    live = Exchange()
    for cmd in h.log:
        result = live.handle(cmd)
        if result.error is None or result.events:
            journalled.handle(decode(encode(cmd)))
    assert journalled.state_hash() == live.state_hash() == h.ex.state_hash()
