"""Binance's timing rule: timestamp < serverTime + 1000 and serverTime - timestamp <= recvWindow."""

from __future__ import annotations

import pytest

from minance.domain.errors import BinanceError
from minance.keys.verify import check_timing, parse_recv_window_us, parse_timestamp_us

NOW_MS = 1_700_000_000_000
NOW_US = NOW_MS * 1000


def code_of(fn, *args) -> tuple[int, str]:
    with pytest.raises(BinanceError) as info:
        fn(*args)
    return info.value.code, info.value.msg


def test_accepts_within_window_and_up_to_just_under_one_second_ahead():
    check_timing(str(NOW_MS), None, NOW_US)
    check_timing(str(NOW_MS - 5000), None, NOW_US)
    check_timing(str(NOW_MS + 999), None, NOW_US)


def test_rejects_exactly_one_second_ahead():
    assert code_of(check_timing, str(NOW_MS + 1000), None, NOW_US) == (
        -1021, "Timestamp for this request was 1000ms ahead of the server's time.")


def test_rejects_older_than_recv_window():
    assert code_of(check_timing, str(NOW_MS - 5001), None, NOW_US) == (
        -1021, "Timestamp for this request is outside of the recvWindow.")
    check_timing(str(NOW_MS - 9000), "10000", NOW_US)


def test_microsecond_timestamps():
    assert parse_timestamp_us(str(NOW_US)) == NOW_US
    assert parse_timestamp_us(str(NOW_MS)) == NOW_US
    check_timing(str(NOW_US - 4_999_999), None, NOW_US)
    assert code_of(check_timing, str(NOW_US - 5_000_001), None, NOW_US)[0] == -1021


def test_recv_window_decimals_and_maximum():
    assert parse_recv_window_us("6000.346") == 6_000_346
    assert parse_recv_window_us("60000") == 60_000_000
    assert code_of(parse_recv_window_us, "60001") == (-1131, "'recvWindow' must be less than 60000.")
    assert code_of(parse_recv_window_us, "60000.001")[0] == -1131
    assert code_of(parse_recv_window_us, "5000.1234")[0] == -1111
    assert code_of(parse_recv_window_us, "abc")[0] == -1100


def test_timestamp_errors():
    assert code_of(parse_timestamp_us, None) == (
        -1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.")
    assert code_of(parse_timestamp_us, "12a") == (
        -1100, "Illegal characters found in parameter 'timestamp'; legal range is '^[0-9]{1,20}$'.")
    assert code_of(parse_timestamp_us, "1" * 21)[0] == -1100
