"""Every engine command survives the journal's encoding exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest

from minance.engine import (
    CancelOpenOrders,
    CancelOrder,
    CancelOrderList,
    CancelReplace,
    Deposit,
    NewOco,
    NewOrder,
    NewOto,
    OrderLeg,
    SetCommission,
    Withdraw,
)
from minance.store.codec import decode, encode

ORDER = NewOrder(7, "BTCUSDT", "BUY", "LIMIT", 1_700_000_000_123, quantity=Decimal("0.00100000"),
                 price=Decimal("95000.01"), time_in_force="GTC", client_order_id="abc", stp_mode="EXPIRE_MAKER",
                 avg_price=Decimal("94999.5"))

COMMANDS = [
    Deposit(1, "USDT", Decimal("10000.12345678"), 5),
    Withdraw(1, "BTC", Decimal("0.5"), 6),
    SetCommission(1, 5, 7, 8),
    ORDER,
    NewOrder(7, "ETHBTC", "SELL", "MARKET", 9, quote_order_qty=Decimal("0.01"), response_type="ACK"),
    CancelOrder(7, "BTCUSDT", 10, order_id=3, new_client_order_id="x"),
    CancelOpenOrders(7, "BTCUSDT", 11),
    CancelReplace(7, "BTCUSDT", 12, "STOP_ON_FAILURE", ORDER, cancel_order_id=3),
    NewOco(7, "BTCUSDT", "SELL", Decimal("0.01"), OrderLeg("LIMIT_MAKER", price=Decimal("99000")),
           OrderLeg("STOP_LOSS_LIMIT", price=Decimal("90000"), stop_price=Decimal("90100"), time_in_force="GTC"),
           13, list_client_order_id="L1"),
    NewOto(7, "BTCUSDT", OrderLeg("LIMIT", price=Decimal("90000"), time_in_force="GTC", side="BUY",
                                  quantity=Decimal("0.01")),
           OrderLeg("LIMIT_MAKER", price=Decimal("99000"), side="SELL", quantity=Decimal("0.01")), 14),
    CancelOrderList(7, "BTCUSDT", 15, order_list_id=2),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: type(c).__name__)
def test_round_trip(command):
    back = decode(encode(command))
    assert type(back) is type(command)
    assert encode(back) == encode(command)
    for name in ("quantity", "price", "amount", "avg_price"):
        if hasattr(command, name) and getattr(command, name) is not None:
            assert getattr(back, name) == getattr(command, name)
            assert str(getattr(back, name)) == str(getattr(command, name))  # exact, scale included
