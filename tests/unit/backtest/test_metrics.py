"""Golden tests of every metric on hand-computed equity curves and fills."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from minance.backtest.metrics import DAY_MS, compute_metrics, daily_equity, drawdown, round_trips
from minance.bots.records import Fill
from minance.domain.orders import Side

T0 = 1_704_067_200_000


def days(n: int) -> list[int]:
    return [T0 + i * DAY_MS for i in range(n)]


def test_short_span_is_not_annualised_but_returns_and_drawdown_are_exact():
    eq = [100.0, 110.0, 99.0, 108.9, 119.79]
    m = compute_metrics(days(5), eq)
    assert m.total_return == pytest.approx(0.1979)
    assert m.max_drawdown == pytest.approx(0.1)  # 110 → 99
    assert m.max_drawdown_days == pytest.approx(2.0)  # below the peak of day 1 until day 3; day 4 is a new high
    assert m.cagr is None and m.sharpe is None and m.sortino is None and m.calmar is None
    assert not m.annualised and "not annualised" in m.note


def test_annualised_metrics_by_their_formulas():
    eq = [1000.0]
    for i in range(40):
        eq.append(eq[-1] * (1.01 if i % 2 == 0 else 0.995))
    m = compute_metrics(days(41), eq)
    growth = (1.01 * 0.995) ** 20
    assert m.days == 40
    assert m.total_return == pytest.approx(growth - 1)
    assert m.cagr == pytest.approx(growth ** (365 / 40) - 1)
    mean, dev = 0.0025, 0.0075  # returns alternate +1 % / −0.5 %: mean 0.25 %, each 0.75 % from it
    assert m.sharpe == pytest.approx(mean / (dev * math.sqrt(40 / 39)) * math.sqrt(365))
    assert m.sortino == pytest.approx(mean / math.sqrt(20 * 0.005 ** 2 / 40) * math.sqrt(365))
    assert m.max_drawdown == pytest.approx(0.005)
    assert m.calmar == pytest.approx(m.cagr / 0.005)
    assert m.annualised


def test_drawdown_and_daily_resampling():
    assert drawdown([1.0, 2.0, 1.0, 3.0]) == [0.0, 0.0, 0.5, 0.0]
    t = [T0 + 60_000 * k for k in (0, 1, 1440, 1441, 2 * 1440 + 5)]
    dt, de = daily_equity(t, [1.0, 2.0, 3.0, 4.0, 5.0], T0 - 60_000, 1.0)
    assert de == [1.0, 2.0, 4.0, 5.0] and dt[1:] == [t[1], t[3], t[4]]


def test_daily_resampling_of_arrays_keeps_each_days_last_point():
    """The backtest passes numpy columns: the same points as a plain walk over the sequence, as Python numbers."""
    import numpy as np

    rng = np.random.default_rng(7)
    t = T0 + np.cumsum(rng.integers(1, 3 * 3_600_000, 2_000))
    e = rng.normal(100.0, 5.0, len(t))
    expect_t, expect_e, last_day = [T0], [1.0], None
    for ti, ei in zip(t.tolist(), e.tolist(), strict=True):
        if ti // DAY_MS == last_day:
            expect_t[-1], expect_e[-1] = ti, ei
        else:
            expect_t.append(ti)
            expect_e.append(ei)
            last_day = ti // DAY_MS
    dt, de = daily_equity(t, e, T0, 1.0)
    assert (dt, de) == (expect_t, expect_e)
    assert all(type(x) is int for x in dt) and all(type(x) is float for x in de)
    assert daily_equity([], [], T0, 1.0) == ([T0], [1.0])
    with pytest.raises(ValueError):
        daily_equity([T0], [], T0, 1.0)


def _fill(side, price, qty, fee, asset, time):
    return Fill("BTCUSDT", 1, "c", 1, side, Decimal(price), Decimal(qty), Decimal(fee), asset, time)


def test_round_trips_win_rate_profit_factor_expectancy():
    fills = [
        _fill(Side.BUY, "100", "1", "0.001", "BTC", 1),  # receives 0.999 BTC, fee worth 0.1 USDT
        _fill(Side.SELL, "110", "0.999", "0.10989", "USDT", 2),  # +9.68011
        _fill(Side.BUY, "100", "2", "0", "USDT", 3),
        _fill(Side.SELL, "95", "1", "0", "USDT", 4),
        _fill(Side.SELL, "96", "1", "0", "USDT", 5),  # −9
    ]
    trips = round_trips(fills)
    assert [t.pnl for t in trips] == [Decimal("9.68011"), Decimal("-9")]
    m = compute_metrics(days(41), [100.0] * 41, trips=trips, exposure=0.25, fees=1.5, fills=5)
    assert m.trades == 2 and m.win_rate == 0.5
    assert m.profit_factor == pytest.approx(9.68011 / 9)
    assert m.expectancy == pytest.approx((9.68011 - 9) / 2)
    assert (m.exposure, m.fees, m.fills) == (0.25, 1.5, 5)
    assert m.sharpe is None  # a flat curve has no volatility: no ratio rather than a division by zero
