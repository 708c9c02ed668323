"""Golden tests of the backtest's intrabar model: bar paths, next-open execution, maker fills at the limit, stops
into the ladder, the pessimistic fill model, and the cheap-bar skip's equivalence."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

import numpy as np

from minance.backtest import BacktestConfig, run
from minance.bots import Param, Strategy
from minance.domain.orders import OrderStatus, Side
from minance.history.cache import Bars
from minance.market.motion import bar_path, high_first

T0 = 1_704_067_200_000
U = 100_000_000


def bars_of(rows, volume="10") -> Bars:
    cols = list(zip(*rows, strict=True))
    return Bars.from_arrays("BTCUSDT", "1m", open_time=[T0 + i * 60_000 for i in range(len(rows))],
                            open=[int(Decimal(str(x)) * U) for x in cols[0]],
                            high=[int(Decimal(str(x)) * U) for x in cols[1]],
                            low=[int(Decimal(str(x)) * U) for x in cols[2]],
                            close=[int(Decimal(str(x)) * U) for x in cols[3]],
                            volume=[int(Decimal(volume) * U)] * len(rows))


class Script(Strategy):
    """Runs ``plan[bar index](ctx)`` at that bar's close."""

    symbol = Param(str, default="BTCUSDT")
    plan: ClassVar[dict] = {}

    def on_bar(self, ctx, bar):
        action = self.plan.get((bar.open_time - T0) // 60_000)
        if action is not None:
            action(ctx)


def script(plan):
    return type("Plan", (Script,), {"plan": plan})


def test_the_nearer_extreme_comes_first():
    assert high_first(100, 102, 95, 99) and bar_path(100, 102, 95, 99) == (100, 102, 95, 99)
    assert not high_first(100, 110, 99, 105) and bar_path(100, 110, 99, 105) == (100, 99, 110, 105)
    assert not high_first(100, 103, 97, 101)  # a tie: an up bar goes low first
    assert high_first(100, 103, 97, 99)  # ... a down bar high first


def test_an_order_sent_at_the_close_meets_the_next_open():
    bars = bars_of([(30000, 30010, 28990, 29000), (30000, 30010, 29990, 30000), (30000, 30000, 30000, 30000)])
    res = run(script({0: lambda ctx: ctx.buy(Decimal("0.1"))}), bars=bars, maker_bps=0, taker_bps=0)
    (fill,) = res.fills
    # not bar 0's close (29 000): bar 1's open, at the virtual ladder's best ask there (1 bp grid, 2 bp spread)
    assert fill.price == Decimal("30003") and fill.time == T0 + 60_000 and not fill.is_maker


def test_a_resting_limit_fills_at_its_price_as_maker_when_the_bar_reaches_it():
    bars = bars_of([(30000, 30000, 30000, 30000), (30000, 30050, 29800, 29900), (29900, 29950, 29850, 29900)])
    res = run(script({0: lambda ctx: ctx.buy(Decimal("0.1"), price=Decimal("29850"))}), bars=bars)
    (fill,) = res.fills
    assert (fill.price, fill.qty, fill.is_maker) == (Decimal("29850"), Decimal("0.1"), True)
    assert fill.commission == Decimal("0.0001")  # the maker fee (10 bps) in the asset received


def test_a_stop_loss_fires_on_the_path_and_sells_into_the_bid_ladder():
    # up 100, down 1 000: high first; the stop at 29 500 is first met at the low point, 29 000
    bars = bars_of([(30000, 30000, 30000, 30000), (30000, 30100, 29000, 29800), (29800, 29800, 29800, 29800)])
    res = run(script({0: lambda ctx: (ctx.buy(Decimal("0.1")), ctx.stop_loss(Decimal("0.0999"), Decimal("29500")))}),
              bars=bars)
    sell = [f for f in res.fills if f.side is Side.SELL]
    assert [f.price for f in sell] == [Decimal("28995")]  # the best bid around 29 000, not the stop price
    assert not sell[0].is_maker


def _oco_plan(ctx):
    ctx.buy(Decimal("0.1"))
    ctx.oco(Decimal("0.0999"), take_profit=Decimal("30200"), stop=Decimal("29800"))


def test_stop_and_take_profit_in_one_bar_default_versus_pessimistic():
    # bar 1: up 300, down 600 → the rule walks O→H→L→C and the take-profit fills first
    bars = bars_of([(30000, 30000, 30000, 30000), (30000, 30300, 29400, 29900), (29900, 29900, 29900, 29900)])
    default = run(script({0: _oco_plan}), bars=bars)
    pessimistic = run(script({0: _oco_plan}), bars=bars, fill_model="pessimistic")
    d_sell = [f for f in default.fills if f.side is Side.SELL]
    p_sell = [f for f in pessimistic.fills if f.side is Side.SELL]
    assert [f.price for f in d_sell] == [Decimal("30200")] and d_sell[0].is_maker
    assert len(p_sell) == 1 and p_sell[0].price < Decimal("29800")  # the stop fired at the low first
    assert [f.path for f in default.flags] == ["O-H-L-C"] and [f.path for f in pessimistic.flags] == ["O-L-H-C"]
    assert pessimistic.metrics.end_equity < default.metrics.end_equity
    oco = [o for o in default.orders if o.order_list_id >= 0]
    assert sorted(o.status for o in oco) == sorted([OrderStatus.FILLED, OrderStatus.EXPIRED])


class Busy(Strategy):
    """Resting limits, stops and trailing stops placed now and then: every part of the path matters."""

    symbol = Param(str, default="BTCUSDT")

    def on_bar(self, ctx, bar):
        k = (bar.open_time - T0) // 60_000
        c = bar.close
        held = ctx.balance("BTC").free
        if k % 97 == 0:
            ctx.cancel_all()
            ctx.buy(Decimal("0.05"), price=ctx.round_price(c * Decimal("0.998")))
        elif k % 89 == 0 and held >= Decimal("0.01"):
            ctx.cancel_all()
            ctx.stop_loss(ctx.round_qty(held / 2), ctx.round_price(c * Decimal("0.997")))
            ctx.sell(ctx.round_qty(held / 3), price=ctx.round_price(c * Decimal("1.002")))
        elif k % 151 == 0 and held >= Decimal("0.01"):
            ctx.cancel_all()
            ctx.trailing_stop(ctx.round_qty(held / 2), 50)


def _walk(n: int, seed: int) -> Bars:
    rng = np.random.default_rng(seed)
    close = np.round(30000 * np.exp(np.cumsum(rng.normal(0, 0.001, n))), 2)
    open_ = np.concatenate([[30000.0], close[:-1]])
    high = np.round(np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.0005, n))), 2)
    low = np.round(np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.0005, n))), 2)
    return bars_of(list(zip(open_, high, low, close, strict=True)))


def test_skipping_quiet_bars_changes_no_fill():
    bars = _walk(3000, 7)
    fast = run(Busy, bars=bars, balance={"USDT": 100_000, "BTC": 1})
    full = run(Busy, bars=bars, balance={"USDT": 100_000, "BTC": 1}, every_bar=True)
    assert len(fast.fills) > 20
    assert fast.fingerprint == full.fingerprint
    assert fast.engine_moves < full.engine_moves / 2  # most bars never reached the engine


def test_the_config_rejects_an_unknown_fill_model():
    import pytest

    from minance.backtest import BacktestError

    with pytest.raises(BacktestError):
        run(Busy, bars=_walk(10, 1), fill_model="optimistic")
    assert BacktestConfig().fill_model == "default"


def test_otoco_entry_then_bracket():
    from minance.bots.orders import OrderRequest
    from minance.domain.orders import OrderType, TimeInForce

    def plan(ctx):
        working = OrderRequest("BTCUSDT", Side.BUY, OrderType.LIMIT, quantity=Decimal("0.1"), price=Decimal("29900"),
                               time_in_force=TimeInForce.GTC)
        tp = OrderRequest("BTCUSDT", Side.SELL, OrderType.LIMIT_MAKER, quantity=Decimal("0.0999"),
                          price=Decimal("30100"))
        sl = OrderRequest("BTCUSDT", Side.SELL, OrderType.STOP_LOSS, quantity=Decimal("0.0999"),
                          stop_price=Decimal("29700"))
        ctx.otoco(working, tp, sl)

    bars = bars_of([(30000, 30000, 30000, 30000), (30000, 30010, 29890, 29950), (29950, 30150, 29940, 30120),
                    (30120, 30120, 30120, 30120)])
    res = run(script({0: plan}), bars=bars)
    assert [(f.side, f.price, f.is_maker) for f in res.fills] == [(Side.BUY, Decimal("29900"), True),
                                                                  (Side.SELL, Decimal("30100"), True)]


def test_latency_delays_an_order_into_the_next_bars_path():
    # bar 1 walks 30000 → 30500 (the nearer extreme, at +20 s) → 29000 → 30400; with 25 s of latency the market
    # order meets the high, not the open
    bars = bars_of([(30000, 30000, 30000, 30000), (30000, 30500, 29000, 30400), (30400, 30400, 30400, 30400)])
    plan = {0: lambda ctx: ctx.buy(Decimal("0.1"))}
    prompt = run(script(plan), bars=bars, maker_bps=0, taker_bps=0)
    late = run(script(plan), bars=bars, maker_bps=0, taker_bps=0, latency_ms=25_000)
    assert prompt.fills[0].price == Decimal("30003")
    assert late.fills[0].price == Decimal("30504")  # the ask around 30 500


def test_volume_cap_spreads_a_resting_fill_over_points():
    bars = bars_of([(30000, 30000, 30000, 30000), (30000, 30300, 30000, 30250), (30250, 30300, 30200, 30250)],
                   volume="1")
    plan = {0: lambda ctx: ctx.sell(Decimal("0.5"), price=Decimal("30100"))}
    res = run(script(plan), bars=bars, balance={"BTC": 1}, volume_cap=Decimal("0.2"))
    assert [f.qty for f in res.fills] == [Decimal("0.2")] * 2 + [Decimal("0.1")]


def test_bots_run_hands_a_backtest_over():
    from minance.bots import run as bots_run

    bars = bars_of([(30000, 30000, 30000, 30000)] * 3)
    res = bots_run(script({0: lambda ctx: ctx.buy(Decimal("0.01"))}), venue="backtest", bars=bars)
    assert len(res.fills) == 1 and res.metrics.fills == 1
