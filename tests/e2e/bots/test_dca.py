"""``dca``'s budget cap and rounding: LOT_SIZE-floored buys, the remainder carried over, no buy past the budget."""

from __future__ import annotations

from decimal import Decimal

import pytest

from minance.bots import run

pytestmark = pytest.mark.parametrize("trader", [("USDT=1000",)], indirect=True)


def test_budget_cap_and_carry(trader):
    result = run("dca", venue="local", profile=trader.profile, name="dca-budget", state_dir=trader.home / "b",
                 params={"symbol": "BTCUSDT", "quote": "20", "every": "300ms", "budget": "50", "catchup": 0},
                 stop_after=2.5)
    state = result.state
    filled = [o for o in result.orders if o["status"] == "FILLED"]
    assert state["buys"] == len(filled) == 3  # 20 + 20 + what is left of the 50
    spent = Decimal(state["spent"])
    assert spent == sum(Decimal(o["quote"]) for o in filled)
    assert Decimal("45") < spent <= Decimal("50")
    with trader.client() as c:
        assert c.account().balance("USDT").total == Decimal(1000) - spent
