"""``triarb`` captures an injected dislocation: three IOC legs filled, realised edge within rounding of the
expected one; with no dislocation the cross rates hold and it does nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.e2e.bots.conftest import BotThread, wait_until

pytestmark = pytest.mark.parametrize("trader", [("USDT=5000",)], indirect=True)


def test_triarb_captures_a_dislocation(trader):
    bot = BotThread(trader, "triarb", "triarb", params={"path": "USDT,BTC,ETH", "amount": "1000",
                                                          "min_edge_bps": "5", "max_cycles": 1})
    trader.step(1000)  # an ordinary move: consistent cross rates, no cycle clears three fees
    assert bot.state()["totals"]["attempts"] == 0
    trader.dislocate("ETHBTC", 60, for_ms=5000)  # ETH worth 0.6 % more BTC: USDT→ETH→BTC→USDT pays
    result = bot.join(timeout=20)  # max_cycles=1: the bot stops after its cycle
    assert result.reason == "max_cycles=1 reached"
    (cycle,) = result.state["cycles"]
    assert [leg["symbol"] for leg in cycle["legs"]] == ["ETHUSDT", "ETHBTC", "BTCUSDT"]
    assert [leg["side"] for leg in cycle["legs"]] == ["BUY", "SELL", "SELL"]
    expected, realised = Decimal(cycle["expected_bps"]), Decimal(cycle["realised_bps"])
    assert expected >= 5
    # both are computed leg by leg at the same touch prices; only the fills' own rounding may differ
    assert abs(realised - expected) < 2, cycle
    assert realised > 0
    assert len(result.fills) >= 3 and {f.symbol for f in result.fills} == {"ETHUSDT", "ETHBTC", "BTCUSDT"}
    with trader.client() as c:
        usdt = c.account().balance("USDT").total
    received = Decimal(cycle["received"])
    spent = Decimal(cycle["spent"])
    assert usdt == Decimal(5000) - spent + received  # the account saw exactly the cycle's result


def test_triarb_waits_when_there_is_no_edge(trader):
    bot = BotThread(trader, "triarb", "triarb-idle", params={"amount": "1000", "min_edge_bps": "5"})
    for _ in range(3):
        trader.step(1000)
    wait_until(lambda: bot.state().get("best_bps") is not None, what="the bot pricing the cycles")
    assert Decimal(bot.state()["best_bps"]) < 0  # three taker fees: the best cycle loses
    result = bot.stop()
    assert result.orders == [] and result.state["totals"]["attempts"] == 0
