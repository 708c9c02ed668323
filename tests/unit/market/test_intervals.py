from datetime import UTC, datetime

import pytest

from minance.market.intervals import (
    DAY_MS,
    INTERVALS,
    bucket_open,
    close_time,
    interval_ms,
    is_interval,
    next_open,
    parse_time_zone,
    prev_open,
)


def ms(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp() * 1000)


def test_sixteen_case_sensitive_intervals():
    assert list(INTERVALS) == ["1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d",
                               "1w", "1M"]
    assert is_interval("1M") and is_interval("1m")
    for bad in ("1H", "1D", "2d", "1W", "60m", "", "1mo"):
        assert not is_interval(bad)
    with pytest.raises(ValueError):
        interval_ms("1M")


@pytest.mark.parametrize(("raw", "offset_min"), [
    (None, 0), ("", 0), ("0", 0), ("8", 480), ("+8", 480), ("-5", -300), ("05:45", 345), ("-1:00", -60),
    ("+14:00", 840), ("-12:00", -720), ("14", 840), ("-12", -720),
])
def test_parse_time_zone(raw, offset_min):
    assert parse_time_zone(raw) == offset_min * 60_000


@pytest.mark.parametrize("raw", ["15", "-13", "+14:01", "-12:30", "5:60", "UTC", "8h", "1.5", "08:5"])
def test_parse_time_zone_rejects(raw):
    with pytest.raises(ValueError):
        parse_time_zone(raw)


def test_fixed_buckets_align_to_epoch_multiples():
    ts = ms(2024, 3, 5, 13, 47, 31) + 250
    assert bucket_open("1s", ts) == ms(2024, 3, 5, 13, 47, 31)
    assert bucket_open("1m", ts) == ms(2024, 3, 5, 13, 47)
    assert bucket_open("15m", ts) == ms(2024, 3, 5, 13, 45)
    assert bucket_open("4h", ts) == ms(2024, 3, 5, 12)
    assert bucket_open("1d", ts) == ms(2024, 3, 5)
    assert bucket_open("3d", ts) % (3 * DAY_MS) == 0
    assert close_time("1h", ms(2024, 3, 5, 13)) == ms(2024, 3, 5, 14) - 1


def test_week_starts_monday_and_month_is_calendar():
    assert bucket_open("1w", ms(2024, 3, 7, 5)) == ms(2024, 3, 4)  # Thursday → Monday 4 March
    assert bucket_open("1w", ms(2024, 3, 4)) == ms(2024, 3, 4)
    assert bucket_open("1w", ms(2024, 3, 3, 23, 59)) == ms(2024, 2, 26)  # Sunday → previous Monday
    assert bucket_open("1M", ms(2024, 2, 29, 23, 59)) == ms(2024, 2, 1)
    assert next_open("1M", ms(2024, 2, 1)) == ms(2024, 3, 1)
    assert next_open("1M", ms(2023, 12, 1)) == ms(2024, 1, 1)
    assert prev_open("1M", ms(2024, 1, 1)) == ms(2023, 12, 1)
    assert close_time("1M", ms(2024, 2, 1)) == ms(2024, 3, 1) - 1


def test_time_zone_shifts_boundaries_not_timestamps():
    tz8 = parse_time_zone("8")
    # 1d in UTC+8 opens at 16:00 UTC the day before.
    assert bucket_open("1d", ms(2024, 3, 5, 10), tz8) == ms(2024, 3, 4, 16)
    assert bucket_open("1d", ms(2024, 3, 5, 17), tz8) == ms(2024, 3, 5, 16)
    # 1h with +05:45 opens at :15 UTC; 1m is unaffected.
    tz = parse_time_zone("05:45")
    assert bucket_open("1h", ms(2024, 3, 5, 10, 20), tz) == ms(2024, 3, 5, 10, 15)
    assert bucket_open("1m", ms(2024, 3, 5, 10, 20, 5), tz) == ms(2024, 3, 5, 10, 20)
    # Weeks and months follow local midnight.
    assert bucket_open("1w", ms(2024, 3, 3, 17), tz8) == ms(2024, 3, 3, 16)  # Monday 00:00 +08 = Sunday 16:00 UTC
    assert bucket_open("1M", ms(2024, 2, 29, 17), tz8) == ms(2024, 2, 29, 16)  # 1 March +08
    assert next_open("1M", ms(2024, 2, 29, 16), tz8) == ms(2024, 3, 31, 16)
    tzm5 = parse_time_zone("-5")
    assert bucket_open("1d", ms(2024, 3, 5, 3), tzm5) == ms(2024, 3, 4, 5)


@pytest.mark.parametrize("interval", [i for i in INTERVALS if i != "1s"])
@pytest.mark.parametrize("tz", ["0", "8", "-3:30", "14"])
def test_buckets_tile_time(interval, tz):
    off = parse_time_zone(tz)
    t = ms(2023, 12, 30, 7, 13)
    o = bucket_open(interval, t, off)
    for _ in range(5):
        n = next_open(interval, o, off)
        assert n > o
        assert bucket_open(interval, n - 1, off) == o
        assert bucket_open(interval, n, off) == n
        assert prev_open(interval, n, off) == o
        o = n
