"""Kline intervals, the ``timeZone`` parameter and bucket arithmetic, as Binance does them.

Every bucket is identified by its open time (UTC epoch ms). Fixed-length intervals (``1s`` … ``3d``) are aligned
to multiples of their length counted from the Unix epoch *in the requested time zone*; ``1w`` starts on Monday
00:00 and ``1M`` on the first day of a calendar month, also in that time zone. ``startTime``/``endTime`` stay in
UTC whatever the time zone: only the boundaries move. For example ``1d`` with ``timeZone=8`` opens at 16:00 UTC.

Pure functions over integers; no clock, no I/O.
"""

from __future__ import annotations

import re

__all__ = [
    "DAY_MS",
    "HOUR_MS",
    "INTERVALS",
    "MINUTE_MS",
    "SECOND_MS",
    "WEEK_MS",
    "bucket_open",
    "close_time",
    "interval_ms",
    "is_interval",
    "next_open",
    "parse_time_zone",
    "prev_open",
]

SECOND_MS = 1_000
MINUTE_MS = 60 * SECOND_MS
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS
WEEK_MS = 7 * DAY_MS

# Fixed lengths in ms; 1M has none (calendar months). Order = Binance's documented order.
INTERVALS: dict[str, int | None] = {
    "1s": SECOND_MS,
    "1m": MINUTE_MS, "3m": 3 * MINUTE_MS, "5m": 5 * MINUTE_MS, "15m": 15 * MINUTE_MS, "30m": 30 * MINUTE_MS,
    "1h": HOUR_MS, "2h": 2 * HOUR_MS, "4h": 4 * HOUR_MS, "6h": 6 * HOUR_MS, "8h": 8 * HOUR_MS,
    "12h": 12 * HOUR_MS,
    "1d": DAY_MS, "3d": 3 * DAY_MS,
    "1w": WEEK_MS,
    "1M": None,
}

_MONDAY_MS = 4 * DAY_MS  # 1970-01-01 was a Thursday; 1970-01-05 is the first Monday
_TZ_RE = re.compile(r"^([+-]?)(\d{1,2})(?::(\d{2}))?$")


def is_interval(interval: str) -> bool:
    """True for the 16 case-sensitive interval names (anything else → the caller answers -1120)."""
    return interval in INTERVALS


def interval_ms(interval: str) -> int:
    """Length of a fixed interval in ms. ``1M`` has no fixed length: ValueError (use :func:`next_open`)."""
    length = INTERVALS[interval]
    if length is None:
        raise ValueError("1M has no fixed length")
    return length


def parse_time_zone(raw: str | None) -> int:
    """Binance's ``timeZone`` parameter → offset in ms east of UTC.

    Accepts hours (``"8"``, ``"-5"``, ``"+3"``) or hours and minutes (``"05:45"``, ``"-1:00"``, ``"+14:00"``);
    ``None`` or ``""`` means UTC. Range: −12:00 … +14:00 inclusive. Anything else raises ``ValueError``
    (the server answers -1130 "Data sent for parameter 'timeZone' is not valid.").
    """
    if raw is None or raw == "":
        return 0
    m = _TZ_RE.match(raw.strip())
    if not m:
        raise ValueError(f"invalid timeZone {raw!r}")
    sign = -1 if m.group(1) == "-" else 1
    hours, minutes = int(m.group(2)), int(m.group(3) or 0)
    if minutes >= 60:
        raise ValueError(f"invalid timeZone {raw!r}")
    total = sign * (hours * 60 + minutes)
    if not -12 * 60 <= total <= 14 * 60:
        raise ValueError(f"timeZone {raw!r} out of range -12:00..+14:00")
    return total * MINUTE_MS


# --- calendar helpers (proleptic Gregorian, integer only; Howard Hinnant's algorithms) ---

def _civil_from_days(days: int) -> tuple[int, int, int]:
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return (y + 1 if m <= 2 else y), m, d


def _days_from_civil(y: int, m: int, d: int) -> int:
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    mp = m + 9 if m <= 2 else m - 3
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


def _month_start_local(local_ms: int, months_ahead: int = 0) -> int:
    y, m, _ = _civil_from_days(local_ms // DAY_MS)
    total = y * 12 + (m - 1) + months_ahead
    return _days_from_civil(total // 12, total % 12 + 1, 1) * DAY_MS


# --- buckets ---

def bucket_open(interval: str, ts_ms: int, tz_offset_ms: int = 0) -> int:
    """Open time (UTC ms) of the ``interval`` bucket that contains ``ts_ms``."""
    local = ts_ms + tz_offset_ms
    if interval == "1M":
        return _month_start_local(local) - tz_offset_ms
    length = interval_ms(interval)
    if interval == "1w":
        return (local - _MONDAY_MS) // length * length + _MONDAY_MS - tz_offset_ms
    return local // length * length - tz_offset_ms


def next_open(interval: str, open_ms: int, tz_offset_ms: int = 0) -> int:
    """Open time of the bucket after the one opening at ``open_ms`` (which must be a bucket open)."""
    if interval == "1M":
        return _month_start_local(open_ms + tz_offset_ms, 1) - tz_offset_ms
    return open_ms + interval_ms(interval)


def prev_open(interval: str, open_ms: int, tz_offset_ms: int = 0) -> int:
    """Open time of the bucket before the one opening at ``open_ms``."""
    if interval == "1M":
        return _month_start_local(open_ms + tz_offset_ms, -1) - tz_offset_ms
    return open_ms - interval_ms(interval)


def close_time(interval: str, open_ms: int, tz_offset_ms: int = 0) -> int:
    """Binance's ``closeTime``: the last ms of the bucket (next open − 1)."""
    return next_open(interval, open_ms, tz_offset_ms) - 1
