"""The columnar kline cache: exact integers, merge on write, ranges, gaps, verification."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from minance.history import cache

T0 = 1_704_067_200_000  # 2024-01-01
M = 60_000


def row(t: int, close: str = "30000.12345678", volume: str = "1.5") -> tuple:
    return (t, "30000.00", "30010.5", "29990.25", close, volume, t + M - 1, "45000.1", 12, "0.7", "21000.1", "0")


def test_write_load_is_exact_and_merges(tmp_path):
    assert cache.write_bars("BTCUSDT", "1m", [row(T0 + i * M) for i in range(10)], root=tmp_path) == 10
    cache.write_bars("BTCUSDT", "1m", [row(T0 + 3 * M, close="1.00000001"), row(T0 + 10 * M)], root=tmp_path)
    bars = cache.load_bars("BTCUSDT", "1m", T0, T0 + 100 * M, root=tmp_path)
    assert len(bars) == 11 and list(np.diff(bars.open_time)) == [M] * 10
    assert bars.decimal("close", 0) == Decimal("30000.12345678")
    assert bars.decimal("close", 3) == Decimal("1.00000001")  # the later row replaced the earlier one
    assert int(bars.trades[0]) == 12 and bars.high.dtype == np.int64
    part = cache.load_bars("BTCUSDT", "1m", T0 + 2 * M, T0 + 5 * M, root=tmp_path)
    assert part.open_time.tolist() == [T0 + 2 * M, T0 + 3 * M, T0 + 4 * M]
    assert cache.coverage("BTCUSDT", "1m", root=tmp_path) == (T0, T0 + 10 * M, 11)
    assert cache.series(root=tmp_path) == [("BTCUSDT", "1m")]
    (problem,) = cache.verify("BTCUSDT", "1m", root=tmp_path)  # a close of 1.00000001 under a low of 29 990
    assert f"first at open time {T0 + 3 * M}" in problem
    cache.write_bars("BTCUSDT", "1m", [row(T0 + 3 * M)], root=tmp_path)
    assert cache.verify("BTCUSDT", "1m", root=tmp_path) == []


def test_gaps_are_reported_never_filled(tmp_path):
    cache.write_bars("ETHUSDT", "1m", [row(T0 + i * M) for i in (0, 1, 2, 5, 6, 9)], root=tmp_path)
    assert cache.gaps("ETHUSDT", "1m", T0, T0 + 12 * M, root=tmp_path) == [
        (T0 + 3 * M, T0 + 5 * M), (T0 + 7 * M, T0 + 9 * M), (T0 + 10 * M, T0 + 12 * M)]
    assert cache.gaps("ETHUSDT", "1m", T0, T0 + 3 * M, root=tmp_path) == []
    assert len(cache.load_bars("ETHUSDT", "1m", T0, T0 + 12 * M, root=tmp_path)) == 6


def test_years_split_into_files_and_load_across_them(tmp_path):
    new_year = 1_735_689_600_000  # 2025-01-01
    cache.write_bars("BTCUSDT", "1h", [row(new_year + k * 3_600_000) for k in range(-3, 3)], root=tmp_path)
    names = sorted(p.name for p in (tmp_path / "klines" / "BTCUSDT" / "1h").glob("*.parquet"))
    assert names == ["2024.parquet", "2025.parquet"]
    bars = cache.load_bars("BTCUSDT", "1h", new_year - 2 * 3_600_000, new_year + 2 * 3_600_000, root=tmp_path)
    assert len(bars) == 4


def test_bad_input_is_refused(tmp_path):
    with pytest.raises(cache.CacheError):
        cache.write_bars("BTCUSDT", "7m", [row(T0)], root=tmp_path)
    with pytest.raises(cache.CacheError):
        cache.write_bars("BTCUSDT", "1m", [row(T0, close="1.000000001")], root=tmp_path)  # 9 decimals
    assert cache.series(root=tmp_path) == []


def test_history_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MINANCE_HISTORY", str(tmp_path / "h"))
    assert cache.history_dir() == tmp_path / "h"
    monkeypatch.delenv("MINANCE_HISTORY")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert cache.history_dir() == tmp_path / "xdg" / "minance" / "history"
