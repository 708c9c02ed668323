"""``on_bar`` receives closed klines of the strategy's interval from the stream, in order, with ``ctx.bars`` /
``ctx.closes`` backfilled from REST and ending at the bar just closed (no look-ahead)."""

from __future__ import annotations

import itertools

from minance.bots import Param, Strategy
from tests.e2e.bots.conftest import BotThread, wait_until


class Recorder(Strategy):
    interval = "1s"  # 1 s klines close every wall-clock second
    symbol = Param(str, "BTCUSDT")

    def on_start(self, ctx):
        ctx.state["history"] = len(ctx.bars(50))

    def on_bar(self, ctx, bar):
        last = ctx.bars(3)[-1]
        ctx.state.setdefault("bars", []).append({"open": bar.open_time, "close": bar.close_time,
                                                 "ends_here": last == bar and ctx.closes(3)[-1] == bar.close,
                                                 "now": ctx.now()})


def test_on_bar_gets_closed_bars_in_order(trader):
    bot = BotThread(trader, Recorder, "bars")
    for _ in range(3):
        trader.step(1000)
    state = wait_until(lambda: len(bot.state().get("bars", [])) >= 3 and bot.state(), what="three closed bars")
    bot.stop()
    bars = state["bars"]
    assert state["history"] == 50  # backfilled from REST klines before the first bar
    assert all(b["ends_here"] for b in bars), bars
    assert all(b2["open"] > b1["open"] and b2["open"] % 1000 == 0 for b1, b2 in itertools.pairwise(bars)), bars
    assert all(b["now"] >= b["close"] for b in bars), bars  # a bar reaches the strategy after it closed
