"""Order lists through the live venue: guard's OCO (the take-profit fills, the exchange cancels the stop), and
OTO / OTOCO brackets with the bot's own client order ids on every leg."""

from __future__ import annotations

from decimal import Decimal

import pytest

from minance.bots import OrderRequest, OrderType, Param, Side, Strategy, TimeInForce
from tests.e2e.bots.conftest import BotThread, wait_until

pytestmark = pytest.mark.parametrize("trader", [("USDT=1000", "BTC=0.01")], indirect=True)


def test_guard_oco_take_profit_cancels_the_stop(trader):
    bot = BotThread(trader, "guard", "guard-oco", params={"stop_pct": "1", "take_pct": "1"})
    tp_id, sl_id = bot.state()["armed"]  # a SELL OCO: the take-profit above, the stop below
    with trader.client() as c:
        tp, sl = c.get_order("BTCUSDT", orig_client_order_id=tp_id), c.get_order("BTCUSDT", orig_client_order_id=sl_id)
    assert (tp.type, sl.type) == ("LIMIT_MAKER", "STOP_LOSS") and tp.order_list_id == sl.order_list_id != -1
    trader.dislocate("BTCUSDT", 200)  # up through the take-profit
    wait_until(lambda: bot.state().get("exits"), what="the take-profit's fill")
    with trader.client() as c:
        assert c.get_order("BTCUSDT", orig_client_order_id=tp_id).status == "FILLED"
        assert c.get_order("BTCUSDT", orig_client_order_id=sl_id).status == "EXPIRED"  # the OCO's other leg
    bot.stop()


class Brackets(Strategy):
    interval = None
    symbol = Param(str, "BTCUSDT")

    def on_start(self, ctx):
        bid = ctx.quote().bid
        below = ctx.round_price(bid * Decimal("0.98"))
        qty = Decimal("0.001")
        work = OrderRequest(self.symbol, Side.BUY, OrderType.LIMIT, quantity=qty, price=below,
                            time_in_force=TimeInForce.GTC)
        tp = OrderRequest(self.symbol, Side.SELL, OrderType.LIMIT_MAKER, quantity=qty,
                          price=ctx.round_price(bid * Decimal("1.02")))
        sl = OrderRequest(self.symbol, Side.SELL, OrderType.STOP_LOSS, quantity=qty,
                          stop_price=ctx.round_price(bid * Decimal("0.97")))
        oto = ctx.oto(work, OrderRequest(self.symbol, Side.SELL, OrderType.LIMIT_MAKER, quantity=qty,
                                         price=ctx.round_price(bid * Decimal("1.03"))), key="oto")
        otoco = ctx.otoco(work, tp, sl, key="otoco")
        ctx.state["ids"] = [o.client_order_id for o in (*oto, *otoco)]
        ctx.state["again"] = [o.client_order_id for o in ctx.otoco(work, tp, sl, key="otoco")]  # idempotent


def test_oto_and_otoco_legs_carry_the_bots_ids(trader):
    bot = BotThread(trader, Brackets, "brackets")
    state = bot.state()
    result = bot.stop()
    assert len(state["ids"]) == 5 and state["again"] == state["ids"][2:]  # the same key places nothing twice
    with trader.client() as c:
        orders = {o.client_order_id: o for o in c.all_orders("BTCUSDT")}
    assert set(state["ids"]) == set(orders)
    assert sorted(o.status for o in orders.values()) == ["NEW", "NEW", "PENDING_NEW", "PENDING_NEW", "PENDING_NEW"]
    assert {r["client_id"] for r in result.orders} == set(state["ids"])
