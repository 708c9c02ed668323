"""Exchange.check_order: POST /order/test's read-only checks agree with POST /order's and change nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from minance.engine import CancelOrder, NewOrder

D = Decimal


def _cmd(h, side="BUY", order_type="LIMIT", symbol="BTCUSDT", account=1, **kw) -> NewOrder:
    kw.setdefault("quantity", D("0.1"))
    if order_type == "LIMIT":
        kw.setdefault("price", D("50000"))
        kw.setdefault("time_in_force", "GTC")
    return NewOrder(account, symbol, side, order_type, h.ts + 1, **kw)


@pytest.fixture
def traded(h):
    h.placed(2, "SELL", price="50000", quantity="0.1")
    h.placed(1, "BUY", price="50000", quantity="0.1")  # a trade: the average price is 50000
    return h


BAD = [
    ({"side": "SIDEWAYS"}, -1117),
    ({"order_type": "NOPE"}, -1116),
    ({"time_in_force": "FOREVER"}, -1115),
    ({"symbol": "NOPEUSDT"}, -1121),
    ({"quantity": D("0.000000001")}, -1111),
    ({"price": None}, -1102),
    ({"order_type": "MARKET", "time_in_force": None, "price": D("1")}, -1106),
    ({"price": D("50000.001")}, -1013),  # PRICE_FILTER
    ({"quantity": D("0.0000001")}, -1013),  # LOT_SIZE
    ({"price": D("1000")}, -1013),  # PERCENT_PRICE_BY_SIDE against the average
    ({"stp_mode": "SOMETIMES"}, -1130),
    ({"response_type": "EVERYTHING"}, -1130),
    ({"client_order_id": "no spaces allowed"}, -1100),
]


@pytest.mark.parametrize(("change", "code"), BAD)
def test_check_order_gives_the_error_post_order_gives(traded, change, code):
    h = traded
    cmd = _cmd(h, **change)
    before = h.ex.snapshot()
    error = h.ex.check_order(cmd)
    assert h.ex.snapshot() == before
    assert error is not None and error.code == code
    live = h.ex.handle(cmd).error
    assert (live.code, live.msg) == (error.code, error.msg)


def test_check_order_passes_what_only_the_account_or_the_book_can_decline(traded):
    h = traded
    before = h.ex.snapshot()
    ok = [_cmd(h), _cmd(h, "SELL", "MARKET", quantity=D("0.5")), _cmd(h, account=99),  # no funds at all
          _cmd(h, "BUY", "LIMIT_MAKER", time_in_force=None, price=D("50001")),
          _cmd(h, quantity=D("25"))]  # 1.25M USDT: insufficient balance
    for cmd in ok:
        assert h.ex.check_order(cmd) is None
    assert h.ex.snapshot() == before
    assert h.ex.handle(ok[2]).error.code == -2010 and h.ex.handle(ok[4]).error.code == -2010


def test_check_order_reads_the_average_at_the_command_time_and_moves_nothing(traded):
    h = traded
    before = h.ex.snapshot()
    later = NewOrder(1, "BTCUSDT", "BUY", "LIMIT", h.ts + 3_600_000, quantity=D("0.1"), price=D("1000"),
                     time_in_force="GTC")
    assert h.ex.check_order(later).code == -1013  # an hour later the window is empty: the last price applies
    assert h.ex.snapshot() == before
    assert h.ex.check_order(_cmd(h, price=D("60000"))) is None
    with pytest.raises(TypeError):
        h.ex.check_order(CancelOrder(1, "BTCUSDT", h.ts, order_id=1))
