"""Parity: one strategy on the same bars fills identically in the backtest and on ``minance serve``.

The server replays the bars from a Binance kline file (``--klines DIR --klines-keep-dates``) on its manual market
clock; a runner loop steps it one bar at a time, hands each closed bar to the strategy through the bots' live
context (REST), and learns the fills from ``myTrades``. The backtest replays the same bars in process. Both use the
exchange's engine, the same virtual maker ladder and the same intrabar path, so the sha256 fingerprint over
(minute, side, price, quantity, commission) of every fill must be equal. The minute is market time: the bar during
which a resting order or stop filled, or the next bar's open for an order sent at a bar's close (the server stamps
its trades with wall-clock time, so that is what the two can agree on).
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

import httpx
import numpy as np

from minance.backtest import run as backtest
from minance.bots import Param, Strategy
from minance.bots.core import BotCore
from minance.bots.live import LiveContext
from minance.bots.records import Bar
from minance.bots.safety import Limits
from minance.client import Client
from minance.history.cache import COLUMNS, Bars
from tests.support import admin_token, issue_key, run_cli, running_server

T0 = 1_704_067_200_000  # 2024-01-01, the file's own date (--klines-keep-dates)
M = 60_000
N = 120


class Parity(Strategy):
    """A market entry every 20 bars, then a resting take-profit, a stop-loss and a bid below the market."""

    symbol = Param(str, default="BTCUSDT")

    def on_start(self, ctx):
        self.k = 0

    def on_bar(self, ctx, bar):
        self.k += 1
        if self.k % 20 != 5:
            return
        ctx.cancel_all()
        held = ctx.balance("BTC").free
        if held >= Decimal("0.002"):
            ctx.sell(ctx.round_qty(held / 2))
        ctx.buy(Decimal("0.01"))
        c = bar.close
        ctx.sell(Decimal("0.004"), price=ctx.round_price(c * Decimal("1.0012")))
        ctx.stop_loss(Decimal("0.004"), ctx.round_price(c * Decimal("0.9988")))
        ctx.buy(Decimal("0.003"), price=ctx.round_price(c * Decimal("0.9990")))


def make_bars() -> Bars:
    rng = np.random.default_rng(5)
    close = np.round(42_000 * np.exp(np.cumsum(rng.normal(0, 0.0009, N))), 2)
    open_ = np.concatenate([[42_000.0], close[:-1]])
    high = np.round(np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.0004, N))), 2)
    low = np.round(np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.0004, N))), 2)

    def u(a):
        return np.round(a * 100).astype(np.int64) * 1_000_000

    return Bars.from_arrays("BTCUSDT", "1m", open_time=T0 + np.arange(N) * M, open=u(open_), high=u(high),
                            low=u(low), close=u(close), volume=np.full(N, 5 * 10 ** 8), trades=np.full(N, 50))


def write_csv(bars: Bars, folder) -> None:
    def d(x) -> str:
        return f"{Decimal(int(x)).scaleb(-8):f}"

    lines = [f"{t},{d(o)},{d(h)},{d(lo)},{d(c)},5.00000000,{t + M - 1},{d(c * 5 // 10 ** 8)},50,2.5,0,0"
             for t, o, h, lo, c in zip(bars.open_time, bars.open, bars.high, bars.low, bars.close, strict=True)]
    (folder / "BTCUSDT-1m-2024-01-01.csv").write_text("\n".join(lines) + "\n")


def fingerprint(rows) -> str:
    h = hashlib.sha256()
    for minute, side, price, qty, fee in rows:
        h.update(f"{minute}|{side}|{Decimal(price).normalize()}|{Decimal(qty).normalize()}|"
                 f"{Decimal(fee).normalize()}\n".encode())
    return h.hexdigest()


def bar_of(bars: Bars, i: int) -> Bar:
    return Bar("BTCUSDT", "1m", int(bars.open_time[i]), int(bars.open_time[i]) + M - 1, bars.decimal("open", i),
               bars.decimal("high", i), bars.decimal("low", i), bars.decimal("close", i), Decimal(5), 50)


def test_backtest_and_local_exchange_fill_identically(tmp_path):
    bars = make_bars()
    # the server walks bars 0 … N-2 (each step ends at the next bar's open); so does a backtest of N-1 bars, whose
    # last bar ends at its close, which is the next open here (the data has no gaps)
    head = Bars("BTCUSDT", "1m", **{c: getattr(bars, c)[:N - 1] for c in COLUMNS})
    result = backtest(Parity, bars=head, balance={"USDT": 10_000})
    expected = [(f.time // M * M, f.side.value, f.price, f.qty, f.commission) for f in result.fills]
    assert len(expected) >= 10 and any(f.is_maker for f in result.fills)  # resting orders filled on the path

    klines = tmp_path / "klines"
    klines.mkdir()
    write_csv(bars, klines)
    with running_server(tmp_path / "data", "--market-clock", "manual", "--klines", str(klines),
                        "--klines-keep-dates") as server:
        banner = server.log()
        assert "at their own dates" in banner
        run_cli(server.data_dir, "account", "create", "parity", "--deposit", "USDT=10000")
        creds = issue_key(server.data_dir, "parity", "--permissions", "reading,spot")
        admin = {"Authorization": f"Bearer {admin_token(server.data_dir)}"}
        with httpx.Client(base_url=server.url, headers=admin, timeout=30) as http, \
                Client(creds.api_key, creds.secret, target=server.url) as client:
            assert http.get("/admin/state").json()["marketTime"] == T0
            strategy = Parity()
            ctx = LiveContext("parity", strategy, client, limits=Limits(max_orders_per_min=None))
            core = BotCore(strategy, ctx)
            core.start()
            seen = 0
            got = []

            def new_fills(minute: int) -> None:
                nonlocal seen
                for t in client.my_trades("BTCUSDT", from_id=seen + 1):
                    if t.id > seen:
                        got.append((minute, "BUY" if t.is_buyer else "SELL", t.price, t.qty, t.commission))
                        seen = t.id
                ctx._balances = None  # fills changed them behind the context's back

            for i in range(N - 1):  # the last bar has no next open to trade at
                http.post("/admin/market/step", json={"ms": M}).raise_for_status()
                new_fills(T0 + i * M)  # resting orders and stops filled while bar i was walked
                core.bar(bar_of(bars, i))
                new_fills(T0 + (i + 1) * M)  # orders sent at bar i's close met bar i+1's open
            assert core.errors == 0
    assert [row[:2] for row in got] == [row[:2] for row in expected[:len(got)]]
    assert len(got) == len(expected), (len(got), len(expected))
    assert fingerprint(got) == fingerprint(expected)
