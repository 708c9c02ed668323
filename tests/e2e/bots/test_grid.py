"""``grid`` across a price sweep: buys fill on the way down and re-place sells one level up, sells fill on the way
back and re-place buys; the grid profit it reports equals what its fills earned."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.e2e.bots.conftest import BotThread, wait_until

pytestmark = pytest.mark.parametrize("trader", [("USDT=2000",)], indirect=True)
QTY = Decimal("0.001")


def _sides(bot):
    orders = bot.state()["orders"]
    return (sorted(o["level"] for o in orders.values() if o["side"] == "BUY"),
            sorted(o["level"] for o in orders.values() if o["side"] == "SELL"))


def test_grid_fills_and_replaces_across_a_sweep(trader):
    with trader.client() as c:
        book = c.book_ticker("BTCUSDT")
    mid = (book.bid_price + book.ask_price) / 2
    lower, upper = (mid * Decimal("0.97")).quantize(Decimal("0.01")), (mid * Decimal("1.03")).quantize(Decimal("0.01"))
    bot = BotThread(trader, "grid", "grid", params={"symbol": "BTCUSDT", "lower": str(lower), "upper": str(upper),
                                                    "levels": 6, "qty": str(QTY)})
    assert _sides(bot) == ([0, 1, 2], [4, 5, 6])  # the level at the price stays empty
    levels = [Decimal(p) for p in bot.state()["levels"]]
    sweep = [(-150, ([0, 1], [3, 4, 5, 6])),  # down through level 2: its buy fills, a sell goes to level 3
             (-250, ([0], [2, 3, 4, 5, 6])),
             (-50, ([0, 1], [3, 4, 5, 6])),  # back up through level 2: the sell fills, a buy goes to level 1
             (50, ([0, 1, 2], [4, 5, 6])),
             (150, ([0, 1, 2, 3], [5, 6]))]  # through level 4: an initial sell fills
    for bps, want in sweep:
        trader.dislocate("BTCUSDT", bps)
        wait_until(lambda want=want: _sides(bot) == want, what=f"the grid after {bps:+d} bps")
    state = bot.state()
    assert state["matched"] == 3
    result = bot.stop()

    # the exchange's view: open orders at the levels the bot says
    with trader.client() as c:
        open_now = sorted((o.side, o.price) for o in c.open_orders("BTCUSDT"))
        trades = c.my_trades("BTCUSDT")
    assert open_now == sorted([("BUY", levels[i]) for i in (0, 1, 2, 3)] + [("SELL", levels[i]) for i in (5, 6)])

    # grid profit from the fills: every grid sell against the buy that armed it
    limit_fills = [t for t in trades if t.price in levels]
    assert all(t.qty == QTY for t in limit_fills)
    sells = sorted(t.price for t in limit_fills if not t.is_buyer)
    assert sells == [levels[2], levels[3], levels[4]]
    init_price = Decimal(state["init_price"])
    from_fills = (levels[2] - levels[1]) * QTY + (levels[3] - levels[2]) * QTY + (levels[4] - init_price) * QTY
    assert Decimal(result.state["profit"]) == from_fills
    fees = sum((t.commission * (t.price if t.commission_asset == "BTC" else 1) for t in trades), Decimal(0))
    assert Decimal(result.state["fees"]) == fees
    assert {f.trade_id for f in result.fills} == {t.id for t in trades}  # every fill reached the bot once
