"""``safety-dca``: the ladder is previewed and checked against the balance before anything is sent; a safety order
fills on a dip, the take-profit follows the new average, and the deal closes with a profit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from minance.bots import run
from minance.bots.errors import BotError
from tests.e2e.bots.conftest import BotThread, wait_until

PARAMS = {"symbol": "BTCUSDT", "base": "50", "safety": "50", "deviation_pct": "1", "volume_scale": "1.5",
          "max_safety": 3, "take_profit_pct": "1", "deals": 1, "cooldown": "1s"}


@pytest.mark.parametrize("trader", [("USDT=2000",)], indirect=True)
def test_a_deal_from_base_order_to_take_profit(trader):
    bot = BotThread(trader, "safety-dca", "sdca", params=PARAMS)
    with trader.client() as c:
        buys = sorted((o.price for o in c.open_orders("BTCUSDT") if o.side == "BUY"), reverse=True)
        (tp1,) = [o.price for o in c.open_orders("BTCUSDT") if o.side == "SELL"]
    assert len(buys) == 3 and buys[0] > buys[1] > buys[2]  # 1 %, 2 %, 3 % below the base order
    trader.dislocate("BTCUSDT", -150)  # the first safety order fills
    wait_until(lambda: _sells(trader) and _sells(trader)[0] < tp1, what="the take-profit following the average")
    trader.dislocate("BTCUSDT", 100)  # up through the new take-profit
    result = bot.join(timeout=20)
    assert result.reason == "1 deal(s) completed"
    assert result.state["completed"] == 1 and Decimal(result.state["profit"]) > 0
    with trader.client() as c:
        assert c.open_orders("BTCUSDT") == []  # the unused safety orders were cancelled
    store = trader.store("sdca")
    logs = "\n".join(r["msg"] for r in store.logs(200))
    store.close()
    assert "worst-case capital" in logs and "ladder SO3" in logs


@pytest.mark.parametrize("trader", [("USDT=100",)], indirect=True)
def test_refuses_a_ladder_the_balance_cannot_cover(trader):
    with pytest.raises(BotError, match="the ladder needs up to"):
        run("safety-dca", venue="local", profile=trader.profile, params=PARAMS, state_dir=trader.home / "x")
    with trader.client() as c:
        assert c.all_orders("BTCUSDT") == []


def _sells(trader):
    with trader.client() as c:
        return [o.price for o in c.open_orders("BTCUSDT") if o.side == "SELL"]
