"""Every built-in bot backtests on the exchange's engine (the same strategy files that trade live)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from minance.backtest import BacktestError, run
from minance.bots.errors import ParamError
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


def flat(symbol: str, price: str, n: int = 60, dislocate: dict[int, str] | None = None) -> Bars:
    """``n`` quiet minutes of ``symbol`` at ``price`` (high/low one tick either side); ``dislocate`` sets whole
    bars elsewhere (open = high = low = close)."""
    u = 10 ** 8
    p = int(Decimal(price) * u)
    o = np.full(n, p, dtype=np.int64)
    hi, lo = o + u // 100_000, o - u // 100_000
    for i, value in (dislocate or {}).items():
        o[i] = hi[i] = lo[i] = int(Decimal(value) * u)
    return Bars.from_arrays(symbol, "1m", open_time=T0 + np.arange(n) * 60_000, open=o, high=hi, low=lo, close=o,
                            volume=np.full(n, 10 ** 10))


def triangle(n: int = 60) -> list[Bars]:
    # ETHBTC 0.06667 ≈ 2000.10 / 30000; on bar 30 it trades 1% cheap: USDT→BTC→ETH→USDT earns ≈ +1%, far more
    # than three taker fees (3 × 10 bps) and the ladder's spreads
    return [flat("BTCUSDT", "30000", n), flat("ETHUSDT", "2000.10", n),
            flat("ETHBTC", "0.06667", n, dislocate={30: "0.06600"})]


def test_triarb_backtests_on_three_markets():
    from minance.backtest import Backtest, BacktestConfig
    from minance.backtest.result import summarise
    from minance.bots.runner import prepare

    bt = Backtest(prepare("triarb", {"amount": "100"}), triangle(),
                  BacktestConfig(balance={"USDT": Decimal(1000)}), name="triarb")
    bt.run()
    # the tick after bar 29 sees ETHBTC open bar 30 dislocated: one cycle, three IOC legs, all filled
    assert [(f.symbol, f.side.value) for f in bt.fills] == [("BTCUSDT", "BUY"), ("ETHBTC", "BUY"),
                                                            ("ETHUSDT", "SELL")]
    assert all(f.time == T0 + 30 * 60_000 for f in bt.fills)
    (cycle,) = bt.ctx.state["cycles"]
    assert [leg["symbol"] for leg in cycle["legs"]] == ["BTCUSDT", "ETHBTC", "ETHUSDT"]
    assert Decimal(cycle["expected_bps"]) > 30 and Decimal(cycle["realised_bps"]) > 30
    totals = bt.ctx.state["totals"]
    assert totals["attempts"] == totals["complete"] == 1 and totals["unhedged"] == 0
    assert Decimal(totals["realised"]) > Decimal("0.3")  # USDT, on 100
    assert bt.ctx.balance("USDT").free > Decimal(1000)
    res = summarise(bt, "TriArb")
    assert len(res.fills) == 3 and not res.rejections and len(res.equity) == 60

    again = run("triarb", params={"amount": "100"}, bars=triangle(), balance={"USDT": 1000})
    assert [(f.symbol, f.price, f.qty) for f in again.fills] == [(f.symbol, f.price, f.qty) for f in bt.fills]
    assert again.fingerprint == res.fingerprint


def test_triarb_quiet_markets_never_fire():
    res = run("triarb", params={"amount": "100"}, bars=[flat("BTCUSDT", "30000"), flat("ETHUSDT", "2000.10"),
                                                        flat("ETHBTC", "0.06667")], balance={"USDT": 1000})
    assert not res.fills


def test_several_symbols_need_the_same_open_times():
    btc, eth, _ = triangle()
    short = flat("ETHBTC", "0.06667", 59)
    with pytest.raises(BacktestError, match="ETHBTC 1m bars do not line up with BTCUSDT's"):
        run("triarb", bars=[btc, eth, short])
    with pytest.raises(BacktestError, match="given twice"):
        run("triarb", bars=[btc, eth, btc])


def test_triarb_needs_three_markets():
    with pytest.raises(ParamError, match="no listed pair"):
        run("triarb", bars=walk(10))
