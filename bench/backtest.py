"""Backtest speed, side by side with backtesting.py and backtrader (issue 11's performance section).

    .venv/bin/python bench/backtest.py [--bars 525600] [--skip-peers] [--replay-days 365] [--json]

Data: 525,600 synthetic 1-minute bars, a geometric random walk from 30,000 with σ = 0.0008 a minute (seed 42),
prices on BTCUSDT's 0.01 tick; highs and lows a little outside open/close. Strategies: a long-only SMA(10)/SMA(30)
cross (all in on the cross up, all out on the cross down, no fees) and buy-and-hold. Reported: bars per CPU-second
of each engine on the same bars, the trade counts (minance's must be within 2 of backtesting.py's), the cold start
(a fresh interpreter running a 1-bar backtest), the cache's load of a year, and the exchange's replay of a year
of minutes for six symbols through ``MarketDriver`` + ``MarketMove`` (engine + command encoding, no HTTP).

Timing is CPU time of this process (``time.process_time``); each engine runs once.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import deque
from decimal import Decimal
from pathlib import Path
from typing import ClassVar

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from minance.backtest import run as backtest_run
from minance.bots.strategy import Strategy
from minance.history.cache import Bars, load_bars, write_bars

T0 = 1_704_067_200_000  # 2024-01-01


def synthetic(n: int, seed: int = 42) -> Bars:
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0, 0.0008, n)
    close = 30_000.0 * np.exp(np.cumsum(steps))
    open_ = np.concatenate([[30_000.0], close[:-1]])
    wick = np.abs(rng.normal(0.0, 0.0003, (2, n)))
    high = np.maximum(open_, close) * (1 + wick[0])
    low = np.minimum(open_, close) * (1 - wick[1])

    def units(a: np.ndarray) -> np.ndarray:  # to the 0.01 tick, in 1e-8 units
        return np.round(a * 100).astype(np.int64) * 1_000_000

    o, h, lo, c = units(open_), units(high), units(low), units(close)
    h, lo = np.maximum(h, np.maximum(o, c)), np.minimum(lo, np.minimum(o, c))
    vol = (np.abs(rng.normal(5, 2, n)) * 1e8).astype(np.int64) // 100_000 * 100_000
    return Bars.from_arrays("BTCUSDT", "1m", open_time=T0 + np.arange(n, dtype=np.int64) * 60_000, open=o, high=h,
                            low=lo, close=c, volume=vol, trades=np.full(n, 100))


class SmaCross(Strategy):
    """Long-only SMA(fast)/SMA(slow) cross: everything in when fast > slow, everything out when below. The averages
    are running sums of floats (an indicator, as backtesting.py's are); quantities and balances stay Decimal."""

    fast, slow = 10, 30

    def symbols(self) -> list[str]:
        return ["BTCUSDT"]

    def on_start(self, ctx) -> None:
        self.window: deque = deque()
        self.sum_fast = self.sum_slow = 0.0
        self.long = False

    def on_bar(self, ctx, bar) -> None:
        close = bar.close
        c = float(close)
        w = self.window
        w.append(c)
        self.sum_fast += c
        self.sum_slow += c
        n = len(w)
        if n > self.fast:
            self.sum_fast -= w[-self.fast - 1]
        if n > self.slow:
            self.sum_slow -= w.popleft()
            n -= 1
        if n < self.slow:
            return
        up = self.sum_fast * self.slow > self.sum_slow * self.fast
        if up and not self.long:
            ctx.buy(ctx.round_qty(ctx.balance("USDT").free / close * Decimal("0.995")))
            self.long = True
        elif not up and self.long:
            ctx.sell(ctx.round_qty(ctx.balance("BTC").free))
            self.long = False


class BuyAndHold(Strategy):
    def symbols(self) -> list[str]:
        return ["BTCUSDT"]

    def on_bar(self, ctx, bar) -> None:
        if not getattr(self, "done", False):
            self.done = True
            ctx.buy(ctx.round_qty(ctx.balance("USDT").free / bar.close * Decimal("0.995")))


def minance_run(bars: Bars, cls) -> tuple[float, int]:
    t = time.process_time()
    res = backtest_run(cls, bars=bars, maker_bps=0, taker_bps=0, balance={"USDT": 10_000})
    still_open = 1 if res.final_balances.get("BTC", 0) > 0 else 0  # counted like backtesting.py's finalize_trades
    return time.process_time() - t, res.metrics.trades + still_open


def frame(bars: Bars):
    import pandas as pd

    idx = pd.to_datetime(bars.open_time, unit="ms")
    return pd.DataFrame({"Open": bars.open / 1e8, "High": bars.high / 1e8, "Low": bars.low / 1e8,
                         "Close": bars.close / 1e8, "Volume": bars.volume / 1e8}, index=idx)


def backtesting_py(bars: Bars, hold: bool) -> tuple[float, int]:
    import warnings

    import pandas as pd
    from backtesting import Backtest
    from backtesting import Strategy as BStrategy
    from backtesting.lib import crossover

    def sma(values, n):
        return pd.Series(values).rolling(n).mean()

    class Sma(BStrategy):
        def init(self):
            self.f = self.I(sma, self.data.Close, 10)
            self.s = self.I(sma, self.data.Close, 30)

        def next(self):
            if crossover(self.f, self.s):
                self.buy()
            elif crossover(self.s, self.f):
                self.position.close()

    class Hold(BStrategy):
        def init(self):
            pass

        def next(self):
            if not self.position:
                self.buy()

    df = frame(bars)
    t = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = Backtest(df, Hold if hold else Sma, cash=1_000_000_000, commission=0, finalize_trades=True).run()
    return time.process_time() - t, int(stats["# Trades"])


def backtrader_run(bars: Bars, hold: bool) -> tuple[float, int]:
    import backtrader as bt

    class Sma(bt.Strategy):
        def __init__(self):
            self.cross = bt.ind.CrossOver(bt.ind.SMA(period=10), bt.ind.SMA(period=30))

        def next(self):
            if self.cross > 0 and not self.position:
                self.buy(size=int(self.broker.getcash() / self.data.close[0] * 0.99))
            elif self.cross < 0 and self.position:
                self.close()

    class Hold(bt.Strategy):
        def next(self):
            if not self.position:
                self.buy(size=int(self.broker.getcash() / self.data.close[0] * 0.99))

    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(bt.feeds.PandasData(dataname=frame(bars)))
    cerebro.addstrategy(Hold if hold else Sma)
    cerebro.broker.setcash(1e9)
    cerebro.addanalyzer(bt.analyzers.TradeAnalyzer, _name="trades")
    t = time.process_time()
    strat = cerebro.run()[0]
    trades = strat.analyzers.trades.get_analysis().get("total", {}).get("total", 0)
    return time.process_time() - t, int(trades)


def cold_start() -> float:
    code = ("import time; t=time.process_time(); import numpy as np; from minance.backtest import run; "
            "from minance.history.cache import Bars; from minance.bots.strategy import Strategy\n"
            "class S(Strategy):\n    def symbols(self): return ['BTCUSDT']\n"
            "b=Bars.from_arrays('BTCUSDT','1m',open_time=[1704067200000],open=[3*10**12],high=[3*10**12],"
            "low=[3*10**12],close=[3*10**12]); run(S, bars=b); print(time.process_time()-t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    return float(out.stdout.strip().splitlines()[-1])


def cache_load(bars: Bars) -> float:
    with tempfile.TemporaryDirectory() as d:
        write_bars("BTCUSDT", "1m", bars, root=Path(d))
        best = 1e9
        for _ in range(3):
            t = time.process_time()
            loaded = load_bars("BTCUSDT", "1m", T0, T0 + 366 * 86_400_000, root=Path(d))
            best = min(best, time.process_time() - t)
        assert len(loaded) == len(bars)
    return best


class ArrayFeed:
    """Minute bars from arrays (what ``--klines`` files give the driver): integer ticks and steps."""

    START: ClassVar[dict[str, float]] = {"BTCUSDT": 30_000, "ETHUSDT": 2_000, "ETHBTC": 0.05, "BNBUSDT": 300,
                                         "BNBBTC": 0.01, "SOLUSDT": 100}

    def __init__(self, specs, minutes: int) -> None:
        from minance.market.paths import Bar

        self.bars = {}
        for k, (symbol, spec) in enumerate(specs.items()):
            rng = np.random.default_rng(42 + k)
            ticks = self.START[symbol] / float(spec.tick_size)
            close = np.maximum(np.round(ticks * np.exp(np.cumsum(rng.normal(0, 0.0008, minutes)))), 1).astype(int)
            open_ = np.concatenate([[close[0]], close[:-1]])
            high = np.maximum(open_, close) + rng.integers(0, 3, minutes)
            low = np.maximum(np.minimum(open_, close) - rng.integers(0, 3, minutes), 1)
            vol = rng.integers(1, 10_000, minutes)
            self.bars[symbol] = [Bar(*row, 0, 0, 0, 0) for row in zip(open_.tolist(), high.tolist(), low.tolist(),
                                                                        close.tolist(), vol.tolist(), strict=True)]
        self.m0 = T0 // 60_000

    def minute_bar(self, symbol: str, m: int):
        return self.bars[symbol][(m - self.m0) % len(self.bars[symbol])]

    def path_ticks(self, symbol: str, t0_ms: int, t1_ms: int) -> list[int]:
        b = self.minute_bar(symbol, t0_ms // 60_000)
        return [b.c if t1_ms % 60_000 == 0 and t1_ms > t0_ms else b.o]


def exchange_replay(days: int) -> tuple[float, int]:
    """``days`` of 1m bars for six symbols through the market driver: MarketDriver → MarketMove → engine, with
    each command encoded as the journal would store it (no HTTP, no fsync). One tick covers a day of market
    time (``minance serve --speed`` at a year a minute ticks about six days a second)."""
    from minance.domain.clock import SimClock
    from minance.domain.symbols import DEFAULT_SYMBOLS
    from minance.engine import Exchange
    from minance.store.codec import encode
    from minance.venue.driver import MarketDriver

    class _Venue:  # the driver's view of a venue: the engine, and a submit that journals (here: encodes)
        def __init__(self):
            self.engine = Exchange(keep_trades=10_000)
            self.bytes = 0

        def submit_nowait(self, cmd):
            self.bytes += len(encode(cmd))
            r = self.engine.handle(cmd)
            assert r.error is None, r.error

    venue = _Venue()
    market = SimClock(T0)
    specs = {s: DEFAULT_SYMBOLS[s] for s in ArrayFeed.START}  # the six symbols the issue names
    feed = ArrayFeed(specs, days * 1440)
    driver = MarketDriver(venue, feed, market, SimClock(T0), maker_id=2, tape_id=3,  # type: ignore[arg-type]
                          specs=specs)
    driver.fund_system_accounts()
    driver.tick()
    t = time.process_time()
    for _ in range(days):
        market.advance_ms(86_400_000)
        driver.tick()
    return time.process_time() - t, len(specs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bars", type=int, default=525_600)
    ap.add_argument("--skip-peers", action="store_true")
    ap.add_argument("--replay-days", type=int, default=365)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    bars = synthetic(args.bars)
    n = len(bars)
    rows = []
    for label, cls, hold in (("SMA(10/30) cross", SmaCross, False), ("buy-and-hold", BuyAndHold, True)):
        cpu, trades = minance_run(bars, cls)
        row = {"strategy": label, "minance": round(n / cpu), "minance_trades": trades}
        if not args.skip_peers:
            cpu_b, trades_b = backtesting_py(bars, hold)
            row.update(backtesting_py=round(n / cpu_b), backtesting_py_trades=trades_b)
            cpu_t, trades_t = backtrader_run(bars, hold)
            row.update(backtrader=round(n / cpu_t), backtrader_trades=trades_t)
        rows.append(row)
        if not args.json:
            print(row, flush=True)
    extra = {"bars": n, "cold_start_s": round(cold_start(), 3), "cache_load_year_cpu_s": round(cache_load(bars), 3)}
    if args.replay_days:
        cpu, symbols = exchange_replay(args.replay_days)
        extra.update(replay_days=args.replay_days, replay_symbols=symbols, replay_cpu_s=round(cpu, 1))
    if args.json:
        print(json.dumps({"rows": rows, **extra}, indent=2))
        return
    print(f"{n} synthetic 1m bars (GRW from 30,000, σ=0.0008/min, seed 42); bars per CPU-second")
    for r in rows:
        print(f"  {r['strategy']:<18} minance {r['minance']:>9,}  trades {r['minance_trades']}", end="")
        if "backtesting_py" in r:
            print(f" | backtesting.py {r['backtesting_py']:>9,}  trades {r['backtesting_py_trades']}"
                  f" | backtrader {r['backtrader']:>7,}  trades {r['backtrader_trades']}", end="")
        print()
    print(f"  cold start {extra['cold_start_s']} s CPU; cache loads a year in {extra['cache_load_year_cpu_s']} s CPU")
    if "replay_cpu_s" in extra:
        print(f"  exchange replay: {extra['replay_days']} days of 1m bars × {extra['replay_symbols']} symbols in "
              f"{extra['replay_cpu_s']} s CPU")


if __name__ == "__main__":
    main()
