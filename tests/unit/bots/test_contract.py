"""The venue-independent pieces of the Strategy API: parameters, rounding, positions, timers, client ids, the
store's exactly-once fills, and the loader's error messages."""

from __future__ import annotations

from decimal import Decimal

import pytest

from minance.bots import Fill, Param, ParamError, Side, Strategy, SymbolRules
from minance.bots.errors import StrategyLoadError
from minance.bots.ids import client_order_id
from minance.bots.loader import BUILTINS, load_strategy
from minance.bots.params import Duration, Symbols
from minance.bots.positions import PositionBook
from minance.bots.store import BotStore
from minance.bots.timers import Scheduler

D = Decimal


class Demo(Strategy):
    symbol = Param(str, "BTCUSDT")
    quote = Param(Decimal, help="per buy")
    every = Param(Duration, "1d")
    n = Param(int, 3, min=1)
    on = Param(bool, False)
    path = Param(Symbols, "usdt,btc")
    mode = Param(str, "a", choices=("a", "b"))


def test_params_are_typed_and_validated():
    s = Demo(quote="25", every="1h30m", on="yes", path="usdt, eth ,btc")
    assert (s.symbol, s.quote, s.every, s.n, s.on, s.path) == ("BTCUSDT", D(25), 5_400_000, 3, True,
                                                               ("USDT", "ETH", "BTC"))
    assert s.symbols() == ["BTCUSDT"]
    for params, message in [({"quote": "1", "colour": "red"}, "unknown parameter 'colour'"),
                            ({}, "missing --param quote"), ({"quote": "x"}, "not a number"),
                            ({"quote": "1", "n": "1.5"}, "not an integer"), ({"quote": "1", "n": "0"}, "below"),
                            ({"quote": "1", "every": "soon"}, "not a duration"),
                            ({"quote": "1", "mode": "c"}, "not one of a, b"), ({"quote": 1.5}, "not a float")]:
        with pytest.raises(ParamError, match=message):
            Demo(**params)


RULES = SymbolRules("BTCUSDT", "BTC", "USDT", tick_size=D("0.01"), step_size=D("0.00001"), min_qty=D("0.00001"),
                    max_qty=D("9000"), min_notional=D("5"))


def test_rounding_and_filters():
    assert RULES.round_price(D("100.019")) == D("100.01") and RULES.round_price(D("100.011"), up=True) == D("100.02")
    assert RULES.round_qty(D("0.123456")) == D("0.12345")
    assert RULES.qty_for_quote(D("25"), D("85000")) == D("0.00029")
    assert RULES.min_qty_at(D("85000")) == D("0.00006")
    assert RULES.check(D("0.00005"), D("85000")) == "Filter failure: NOTIONAL"
    assert RULES.check(D("0.000051"), D("85000")) == "Filter failure: LOT_SIZE"
    assert RULES.check(D("0.001"), D("85000.001")) == "Filter failure: PRICE_FILTER"
    assert RULES.fits(D("0.001"), D("85000"))


def _fill(side, price, qty, fee, asset, trade_id):
    return Fill("BTCUSDT", 1, "c", trade_id, side, D(price), D(qty), D(fee), asset, 0)


def test_average_cost_and_realised_pnl():
    book = PositionBook()
    book.apply(_fill(Side.BUY, "100", "1", "0.001", "BTC", 1), "BTC", "USDT")  # fee in base: 0.999 held
    pos = book.apply(_fill(Side.BUY, "200", "1", "0.001", "BTC", 2), "BTC", "USDT")
    assert pos.qty == D("1.998") and pos.cost == D("300")
    assert pos.avg_cost == D("300") / D("1.998")
    pos = book.apply(_fill(Side.SELL, "300", "0.999", "0.2997", "USDT", 3), "BTC", "USDT")
    assert pos.qty == D("0.999") and pos.cost == D("150")
    assert pos.realized == D("300") * D("0.999") - D("0.2997") - D("150")
    assert PositionBook.from_json(book.to_json()).get("BTCUSDT") == pos


def test_timer_slots_resume_and_catch_up():
    calls = []
    s = Scheduler()
    s.every("dca", 1000, calls.append, now_ms=10_000, catch_up=2)
    assert [slot for _, slot in s.due(10_000)] == [0]
    t = s.timers["dca"]
    s.mark_done(t, 0)
    saved = s.to_json()
    s2 = Scheduler(saved)  # a restart: the anchor and next slot are kept
    s2.every("dca", 1000, calls.append, now_ms=99_999, catch_up=2)
    due = [slot for _, slot in s2.due(15_500)]
    assert due == [4, 5]  # slots 1..3 are beyond catch_up=2: skipped (and counted), never run twice
    assert s2.timers["dca"].skipped == 3
    for timer, slot in s2.due(15_500):
        s2.mark_done(timer, slot)
    s2.at("once", 16_000, calls.append)
    assert [(t.name, slot) for t, slot in s2.due(16_000)] == [("dca", 6), ("once", 0)]


def test_client_ids_are_deterministic_and_binance_shaped():
    a = client_order_id("dca", "t:dca:7", 1)
    assert a == client_order_id("dca", "t:dca:7", 1) != client_order_id("dca", "t:dca:8", 1)
    assert len(a) <= 36 and a.isalnum()


def test_store_records_each_fill_once(tmp_path):
    store = BotStore(tmp_path / "bot.db")
    f = _fill(Side.BUY, "100", "1", "0.001", "BTC", 9)
    assert not store.has_fill(f)
    with store.transaction():
        store.record_fill(f)
        store.record_fill(f)
    assert store.has_fill(f) and store.fills() == [f]
    store.close()


def test_loader_names_what_to_fix(tmp_path):
    assert sorted(BUILTINS) == ["dca", "grid", "guard", "safety-dca", "triarb"]
    for name in BUILTINS:
        assert issubclass(load_strategy(name), Strategy)
    with pytest.raises(StrategyLoadError, match="unknown strategy 'nope'"):
        load_strategy("nope")
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    with pytest.raises(StrategyLoadError, match="defines no Strategy subclass"):
        load_strategy(str(empty))
    boom = tmp_path / "boom.py"
    boom.write_text("raise RuntimeError('bad config')\n")
    with pytest.raises(StrategyLoadError, match=r"boom\.py raised RuntimeError while loading: bad config") as info:
        load_strategy(str(boom))
    assert "boom.py" in info.value.detail and "minance/bots" not in info.value.detail


def test_kill_switch_limits():
    from minance.bots import KillSwitchTripped, Limits
    from minance.bots.safety import KillSwitch

    ks = KillSwitch(Limits(max_orders_per_min=2, max_position=D("1"), max_loss=D("10")))
    ks.before_order(0, "BTCUSDT", D("0.5"), D("0"))
    ks.before_order(1000, "BTCUSDT", None, D("0.5"))
    with pytest.raises(KillSwitchTripped, match="more than 2 orders in a minute"):
        ks.before_order(2000, "BTCUSDT", None, D("0.5"))
    with pytest.raises(KillSwitchTripped):  # once tripped, it stays tripped
        ks.before_order(120_000, "BTCUSDT", None, D("0"))
    ks = KillSwitch(Limits(max_position=D("1")))
    with pytest.raises(KillSwitchTripped, match="over max_position 1"):
        ks.before_order(0, "BTCUSDT", D("0.6"), D("0.5"))
    ks = KillSwitch(Limits(max_loss=D("10")))
    ks.check_loss(D("-9.99"))
    with pytest.raises(KillSwitchTripped, match=r"loss 10\.01 is over max_loss 10"):
        ks.check_loss(D("-10.01"))
