"""Every built-in bot backtests on the exchange's engine (the same strategy files that trade live)."""

from __future__ import annotations

import numpy as np
import pytest

from minance.backtest import BacktestError, run
from minance.history.cache import Bars

T0 = 1_704_067_200_000


def walk(n: int = 2 * 1440, seed: int = 11) -> Bars:
    rng = np.random.default_rng(seed)
    close = np.round(30000 * np.exp(np.cumsum(rng.normal(0, 0.0015, n))), 2)
    open_ = np.concatenate([[30000.0], close[:-1]])
    u = 1_000_000
    o, c = np.round(open_ * 100).astype(np.int64) * u, np.round(close * 100).astype(np.int64) * u
    return Bars.from_arrays("BTCUSDT", "1m", open_time=T0 + np.arange(n) * 60_000, open=o,
                            high=np.maximum(o, c) + 500 * u, low=np.minimum(o, c) - 500 * u, close=c,
                            volume=np.full(n, 10 ** 9))


@pytest.mark.parametrize("name, params", [
    ("dca", {"quote": "50", "every": "1h"}),
    ("safety-dca", {"base": "100", "safety": "50", "deviation_pct": "0.5"}),
    ("guard", {"stop_pct": "1", "take_pct": "1"}),
    ("grid", {"lower": "29000", "upper": "31000", "levels": "8", "qty": "0.01"}),
])
def test_builtin_backtests(name, params):
    res = run(name, params=params, bars=walk(), balance={"USDT": 20_000, "BTC": "0.2"})
    assert res.fills, f"{name} never traded"
    assert not res.rejections, res.rejections[:3]
    assert res.metrics.end_equity > 0 and len(res.equity) == len(res.times)


def test_triarb_needs_three_markets():
    with pytest.raises(BacktestError):
        run("triarb", bars=walk(10))
