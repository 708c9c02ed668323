"""Integer parameters are Binance's longs: past 2^63-1 (or below a documented minimum) they are -1100 with the
legal range, so no command carries a number the journal cannot hold."""

from __future__ import annotations

import pytest

from minance.domain.errors import BinanceError
from minance.server.api.params import LONG_MAX, long_int, time_window
from minance.server.request import Request


def _req(**params: str) -> Request:
    return Request("GET", "/api/v3/allOrders", "127.0.0.1", {}, b"", b"", params)


def test_a_long_is_accepted_up_to_its_maximum():
    assert long_int(_req(orderId=str(LONG_MAX)), "orderId") == LONG_MAX
    assert long_int(_req(orderId="0"), "orderId") == 0
    assert long_int(_req(), "orderId") is None


@pytest.mark.parametrize("value", [str(2**63), str(2**64), "99999999999999999999"])
def test_past_a_long_is_illegal_with_the_range(value):
    with pytest.raises(BinanceError) as refused:
        long_int(_req(strategyId=value), "strategyId")
    assert (refused.value.code, refused.value.http_status) == (-1100, 400)
    assert refused.value.msg == ("Illegal characters found in parameter 'strategyId'; "
                                 "legal range is '0 - 9223372036854775807'.")


def test_the_minimum_is_named_and_time_windows_are_longs():
    with pytest.raises(BinanceError) as refused:
        long_int(_req(strategyType=str(2**63)), "strategyType", minimum=1_000_000)
    assert "legal range is '1000000 - 9223372036854775807'" in refused.value.msg
    with pytest.raises(BinanceError) as refused:
        time_window(_req(startTime=str(2**63)))
    assert refused.value.code == -1100
