"""Binance public-data archives: names, the monthly/daily plan, checksums, header-less and µs CSVs."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest

from minance.history.dumps import (
    Archive,
    ArchiveError,
    ChecksumError,
    archives_for,
    daily_archives_of,
    parse_checksum,
    parse_kline_csv,
    sha256_hex,
    verify_archive,
)

JAN_2024 = 1704067200000
DAY = 86_400_000


def _zip(name: str, text: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(name, text)
    return buf.getvalue()


def test_archive_paths_follow_binance_layout():
    a = Archive("BTCUSDT", "1m", "2024-11")
    assert a.path == "data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-11.zip"
    assert a.checksum_url("http://h/") == "http://h/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-11.zip.CHECKSUM"
    d = Archive("ETHBTC", "1h", "2024-11-19")
    assert d.path == "data/spot/daily/klines/ETHBTC/1h/ETHBTC-1h-2024-11-19.zip"
    assert Archive("BTCUSDT", "1M", "2024-01").name == "BTCUSDT-1mo-2024-01.zip"  # monthly files say 1mo
    assert a.end_ms - a.start_ms == 30 * DAY
    assert Archive("BTCUSDT", "1m", "2024-12").end_ms == 1735689600000  # 2025-01-01


def test_plan_is_monthly_then_daily_for_the_current_month():
    start = JAN_2024 + (31 + 29) * DAY + 10 * DAY  # 2024-03-11
    end = JAN_2024 + (31 + 29 + 31 + 30) * DAY + 3 * DAY  # 2024-05-04 (exclusive)
    plan = archives_for("BTCUSDT", "1m", start, end, today=date(2024, 5, 10))
    assert [a.period for a in plan] == ["2024-03", "2024-04", "2024-05-01", "2024-05-02", "2024-05-03"]
    # today's archive does not exist yet: the plan stops at yesterday
    plan = archives_for("BTCUSDT", "1m", start, end, today=date(2024, 5, 2))
    assert [a.period for a in plan][-1] == "2024-05-01"
    # intervals longer than a day have only monthly archives
    assert [a.period for a in archives_for("BTCUSDT", "3d", start, end, today=date(2024, 5, 10))] == [
        "2024-03", "2024-04"]
    assert len(daily_archives_of(Archive("BTCUSDT", "1m", "2024-02"))) == 29


def test_checksum_file_forms():
    h = "a" * 64
    assert parse_checksum(f"{h}  BTCUSDT-1m-2024-01.zip\n", "BTCUSDT-1m-2024-01.zip") == h
    assert parse_checksum(f"{h.upper()}  BTCUSDT-1m-2024-01.zip", "BTCUSDT-1m-2024-01.zip") == h  # no newline
    assert parse_checksum(h, "x.zip") == h
    with pytest.raises(ArchiveError):
        parse_checksum("<html>not found</html>", "x.zip")
    with pytest.raises(ArchiveError):
        parse_checksum(f"{h}  OTHER.zip", "x.zip")


def test_checksum_mismatch_is_refused():
    data = b"archive bytes"
    verify_archive(data, sha256_hex(data), "x.zip")
    with pytest.raises(ChecksumError, match="does not match"):
        verify_archive(data + b"!", sha256_hex(data), "x.zip")


def test_csv_without_header_with_header_and_microseconds():
    ms_row = (f"{JAN_2024},42283.58,42298.62,42261.02,42298.61,35.92724,{JAN_2024 + 59999},1519032.46,1327,23.5,"
              "993000.1,0")
    us_row = ("1735689600000000,93576.00,93610.93,93537.50,93610.93,8.21827,1735689659999999,768978.0,"
              "1492,4.6,430000.0,0")
    rows = parse_kline_csv(_zip("a.csv", ms_row + "\n"), "a.zip")
    assert rows[0][0] == JAN_2024 and rows[0][6] == JAN_2024 + 59999 and rows[0][1] == "42283.58"
    header = "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,tbq,ignore\n"
    rows = parse_kline_csv(_zip("b.csv", header + us_row + "\n"), "b.zip")
    assert rows[0][0] == 1735689600000 and rows[0][6] == 1735689659999  # µs → ms
    with pytest.raises(ArchiveError, match="not a zip"):
        parse_kline_csv(b"garbage", "c.zip")
    with pytest.raises(ArchiveError, match="line 2"):
        parse_kline_csv(_zip("d.csv", ms_row + "\nbroken,row\n"), "d.zip")
