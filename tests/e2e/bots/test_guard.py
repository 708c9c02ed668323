"""``guard`` against a real exchange: its exchange-side stop fills when the market crosses it, and a trailing stop
follows a rising price and fires after the pullback, with Binance's trailingDelta semantics."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.e2e.bots.conftest import BotThread, wait_until

pytestmark = pytest.mark.parametrize("trader", [("USDT=1000", "BTC=0.01")], indirect=True)


def _open(trader, symbol="BTCUSDT"):
    with trader.client() as c:
        return c.open_orders(symbol)


def _order(trader, client_id, symbol="BTCUSDT"):
    with trader.client() as c:
        return c.get_order(symbol, orig_client_order_id=client_id)


def test_stop_loss_fills_when_the_market_crosses_it(trader):
    bot = BotThread(trader, "guard", "guard-sl", params={"symbol": "BTCUSDT", "stop_pct": "1"})
    armed = bot.state()["armed"]
    assert len(armed) == 1
    stop = _order(trader, armed[0])
    assert stop.type == "STOP_LOSS" and stop.status == "NEW" and stop.orig_qty == Decimal("0.01")
    trader.dislocate("BTCUSDT", -50)  # not far enough: still armed
    assert _order(trader, armed[0]).status == "NEW"
    trader.dislocate("BTCUSDT", -200)  # crosses the stop (1 % below the entry)
    wait_until(lambda: bot.state().get("exits"), what="the stop's fill reaching the bot")
    filled = _order(trader, armed[0])
    assert filled.status == "FILLED" and filled.executed_qty == Decimal("0.01")
    assert filled.avg_price <= stop.stop_price
    result = bot.stop()
    assert [f.client_order_id for f in result.fills] == [armed[0]]
    with trader.client() as c:
        assert c.account().balance("BTC").total == 0


def test_trailing_stop_follows_the_rise_and_fires_after_the_pullback(trader):
    bot = BotThread(trader, "guard", "guard-trail", params={"symbol": "BTCUSDT", "trailing_bps": 100})
    (cid,) = bot.state()["armed"]
    order = _order(trader, cid)
    assert order.type == "STOP_LOSS" and order.raw.get("trailingDelta") == 100
    base = Decimal(_book(trader).bid_price)
    trader.dislocate("BTCUSDT", 150)  # up 1.5 %: the stop trails the new high
    trader.dislocate("BTCUSDT", 300)  # up 3 %
    high = Decimal(_book(trader).bid_price)
    assert high > base * Decimal("1.025")
    trader.dislocate("BTCUSDT", 220)  # −0.8 % from the high: less than Δ = 1 %, still armed
    assert _order(trader, cid).status == "NEW"
    trader.dislocate("BTCUSDT", 170)  # −1.3 % from the high: fires
    wait_until(lambda: bot.state().get("exits"), what="the trailing stop's fill")
    filled = _order(trader, cid)
    assert filled.status == "FILLED"
    # Binance: a SELL trailing stop triggers once the price falls Δ below the highest price since it was placed;
    # it then sells at market, so it fills at most at high × (1 − Δ) and above where the market went
    assert filled.avg_price <= high * Decimal("0.99") + Decimal("1")
    assert filled.avg_price > base  # it locked in part of the rise, unlike a fixed stop at the start price
    bot.stop()


def _book(trader):
    with trader.client() as c:
        return c.book_ticker("BTCUSDT")
