"""timeUnit=MICROSECOND rendering of stream events: which keys are times depends on the event."""

import orjson

from minance.server.ws.timeunit import TIME_UNITS, micros


def render(event: dict) -> dict:
    return orjson.loads(micros(orjson.dumps(event)))


def test_trade_times_scale_ids_do_not():
    out = render({"e": "trade", "E": 1700000000123, "s": "BTCUSDT", "t": 42, "p": "1", "q": "1", "T": 1700000000120,
                  "m": True, "M": True})
    assert (out["E"], out["T"], out["t"]) == (1700000000123000, 1700000000120000, 42)


def test_kline_start_and_close():
    out = render({"e": "kline", "E": 1700000000123, "k": {"t": 1699999980000, "T": 1700000039999, "f": 7, "L": 9}})
    assert out["k"] == {"t": 1699999980000000, "T": 1700000039999999, "f": 7, "L": 9}


def test_depth_update_ids_stay_and_account_position_update_time_scales():
    depth = render({"e": "depthUpdate", "E": 1700000000000, "U": 5, "u": 9, "b": [], "a": []})
    assert (depth["E"], depth["U"], depth["u"]) == (1700000000000000, 5, 9)
    position = render({"e": "outboundAccountPosition", "E": 1700000000001, "u": 1700000000000, "B": []})
    assert (position["E"], position["u"]) == (1700000000001000, 1700000000000000)


def test_execution_report_client_ids_and_unset_times_stay():
    out = render({"e": "executionReport", "E": 1, "C": "old-id", "O": 1700000000000, "W": -1, "T": 1700000000001,
                  "t": -1, "I": 12})
    assert (out["C"], out["W"], out["t"], out["I"]) == ("old-id", -1, -1, 12)
    assert (out["E"], out["O"], out["T"]) == (1000, 1700000000000000, 1700000000001000)


def test_time_unit_values():
    assert TIME_UNITS["MICROSECOND"] and TIME_UNITS["microsecond"]
    assert not TIME_UNITS["MILLISECOND"] and "SECOND" not in TIME_UNITS
