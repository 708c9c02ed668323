"""``minance backtest run`` as a user types it: a strategy file on cached bars, the report files, and the bad input
(a range the cache lacks, a strategy that raises on bar N) as one-line errors with exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from minance.history.cache import Bars, write_bars

T0 = 1_704_067_200_000

STRATEGY = '''
from decimal import Decimal
from minance.bots import Param, Strategy

class Cross(Strategy):
    symbol = Param(str, default="BTCUSDT")
    fast = Param(int, default=5)
    slow = Param(int, default=20)

    def on_bar(self, ctx, bar):
        closes = ctx.closes(self.slow)
        if len(closes) < self.slow:
            return
        up = sum(closes[-self.fast:]) / self.fast > sum(closes) / self.slow
        held = ctx.balance("BTC").free
        if up and held < Decimal("0.001"):
            ctx.buy(ctx.round_qty(ctx.balance("USDT").free / bar.close * Decimal("0.99")))
        elif not up and held >= Decimal("0.001"):
            ctx.sell(ctx.round_qty(held))
'''

BOOM = '''
from minance.bots import Param, Strategy

class Boom(Strategy):
    symbol = Param(str, default="BTCUSDT")

    def on_bar(self, ctx, bar):
        if bar.open_time >= 1704067200000 + 7 * 60000:
            helper(bar)

def helper(bar):
    raise RuntimeError("no luck at " + str(bar.close))
'''


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("history")
    n = 3 * 1440
    rng = np.random.default_rng(3)
    close = np.round(30000 * np.exp(np.cumsum(rng.normal(0, 0.001, n))), 2)
    open_ = np.concatenate([[30000.0], close[:-1]])
    u = 100_000_000
    o, c = (open_ * 100).round().astype(np.int64) * (u // 100), (close * 100).round().astype(np.int64) * (u // 100)
    write_bars("BTCUSDT", "1m", Bars.from_arrays("BTCUSDT", "1m", open_time=T0 + np.arange(n) * 60_000, open=o,
                                                 high=np.maximum(o, c) + u, low=np.minimum(o, c) - u, close=c,
                                                 volume=np.full(n, 3 * u)), root=root)
    return root


def minance(history: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "minance", "backtest", "run", *args, "--history", str(history)],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "120"})


def test_run_with_report_and_json(history, tmp_path):
    strategy = tmp_path / "cross.py"
    strategy.write_text(STRATEGY)
    report = tmp_path / "report"
    proc = minance(history, str(strategy), "--symbol", "BTCUSDT", "--interval", "1m", "--start", "2024-01-01",
                   "--end", "2024-01-03", "--param", "fast=4", "--balance", "USDT=5000", "--report", str(report),
                   "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["bars"] == 3 * 1440 and out["params"] == {"symbol": "BTCUSDT", "fast": "4", "slow": "20"}
    assert out["fills"] > 10 and out["metrics"]["trades"] > 5 and out["rejections"] == 0
    assert out["metrics"]["sharpe"] is None  # three days: not annualised
    assert len(out["fingerprint"]) == 64
    for name in ("summary.json", "fills.csv", "orders.csv", "equity.csv", "equity.parquet", "equity.png",
                 "report.html"):
        assert (report / name).stat().st_size > 0, name
    page = (report / "report.html").read_text()
    assert "<svg" in page and "Monthly returns" in page and "√365" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in page
    assert "<script" not in page  # self-contained, offline
    fills = (report / "fills.csv").read_text().splitlines()
    assert len(fills) == out["fills"] + 1

    human = minance(history, str(strategy), "--start", "2024-01-01", "--end", "2024-01-03", "--fill-model",
                    "pessimistic")
    assert human.returncode == 0, human.stderr
    assert "buy & hold" in human.stdout and "Sharpe" in human.stdout


def test_a_range_the_cache_lacks_names_the_gap_and_the_download(history, tmp_path):
    strategy = tmp_path / "cross.py"
    strategy.write_text(STRATEGY)
    proc = minance(history, str(strategy), "--start", "2024-01-02", "--end", "2024-01-05")
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("minance: the history cache lacks BTCUSDT 1m bars from 2024-01-04")
    assert "minance data download BTCUSDT --interval 1m --start 2024-01-04 --end 2024-01-05" in line


def test_a_strategy_that_raises_names_the_bar_and_shows_the_users_traceback(history, tmp_path):
    strategy = tmp_path / "boom.py"
    strategy.write_text(BOOM)
    proc = minance(history, str(strategy), "--start", "2024-01-01", "--end", "2024-01-01")
    assert proc.returncode == 2
    err = proc.stderr
    assert "on bar 7 (BTCUSDT 1m opening 2024-01-01 00:07 UTC)" in err.splitlines()[-1]
    assert str(strategy) in err and 'raise RuntimeError("no luck at "' in err
    assert "minance/backtest" not in err  # only the user's frames


@pytest.mark.parametrize("args, needle", [
    (["dca", "--param", "quote=10", "--start", "2024-01-01", "--end", "2023-12-01"], "not after the start"),
    (["dca", "--param", "quote=10", "--start", "yesterday", "--end", "2024-01-02"], "is not a date"),
    (["./nope.py", "--start", "2024-01-01", "--end", "2024-01-02"], "nope.py"),
    (["dca", "--symbol", "DOGEUSDT", "--param", "quote=10", "--start", "2024-01-01", "--end", "2024-01-02"],
     "DOGEUSDT"),
])
def test_bad_input_is_one_line_and_exit_2(history, args, needle):
    proc = minance(history, *args)
    assert proc.returncode == 2, proc.stdout
    assert proc.stderr.startswith("minance: ") and needle in proc.stderr
    assert "Traceback" not in proc.stderr


def _flat(symbol: str, price: int, n: int, dislocate: dict[int, int] | None = None) -> Bars:
    """``n`` quiet minutes at ``price`` (in 1e-8 units), high/low 0.00001 either side; ``dislocate`` sets whole bars."""
    o = np.full(n, price, dtype=np.int64)
    hi, lo = o + 1000, o - 1000
    for i, value in (dislocate or {}).items():
        o[i] = hi[i] = lo[i] = value
    return Bars.from_arrays(symbol, "1m", open_time=T0 + np.arange(n) * 60_000, open=o, high=hi, low=lo, close=o,
                            volume=np.full(n, 10 ** 10))


@pytest.fixture(scope="module")
def triangle_history(tmp_path_factory) -> Path:
    # ETHBTC 0.06667 ≈ 2000.10 / 30000, but 1% cheap on bar 30: USDT→BTC→ETH→USDT clears three taker fees
    root = tmp_path_factory.mktemp("triangle")
    n = 1440
    for bars in (_flat("BTCUSDT", 30000 * 10 ** 8, n), _flat("ETHUSDT", 200010 * 10 ** 6, n),
                 _flat("ETHBTC", 6_667_000, n, dislocate={30: 6_600_000})):
        write_bars(bars.symbol, "1m", bars, root=root)
    return root


@pytest.mark.parametrize("symbols", [["--symbol", "BTCUSDT,ETHUSDT,ETHBTC"],
                                     ["--symbol", "BTCUSDT", "--symbol", "ETHUSDT", "--symbol", "ethbtc"]])
def test_triarb_backtests_on_three_symbols(triangle_history, symbols):
    proc = minance(triangle_history, "triarb", *symbols, "--param", "amount=100", "--start", "2024-01-01",
                   "--end", "2024-01-01", "--balance", "USDT=1000", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["fills"] == 3 and out["rejections"] == 0 and out["bars"] == 1440
    assert out["metrics"]["end_equity"] > 1000  # the cycle's edge, in USDT


def test_a_secondary_symbol_the_cache_lacks_names_the_gap(triangle_history):
    proc = minance(triangle_history, "triarb", "--symbol", "BTCUSDT,ETHUSDT,ETHBTC", "--start", "2024-01-01",
                   "--end", "2024-01-02")
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("minance: the history cache lacks BTCUSDT 1m bars from 2024-01-02")
    # the first symbol is whole here, a later one is not: the same error, naming that symbol
    (triangle_history / "gap").mkdir(exist_ok=True)
    for sym, price in (("BTCUSDT", 30000 * 10 ** 8), ("ETHUSDT", 200010 * 10 ** 6)):
        write_bars(sym, "1m", _flat(sym, price, 1440), root=triangle_history / "gap")
    write_bars("ETHBTC", "1m", _flat("ETHBTC", 6_667_000, 600), root=triangle_history / "gap")
    proc = minance(triangle_history / "gap", "triarb", "--symbol", "BTCUSDT,ETHUSDT,ETHBTC", "--start",
                   "2024-01-01", "--end", "2024-01-01")
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("minance: the history cache lacks ETHBTC 1m bars from 2024-01-01")
    assert "minance data download ETHBTC --interval 1m" in line
