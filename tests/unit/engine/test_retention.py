"""Bounded history: what the exchange retains, that it stays within its limits, and that forgetting is
deterministic, survives snapshots and changes neither the events nor the state hash."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from minance.domain.errors import BinanceError
from minance.engine import (
    CancelOpenOrders,
    CancelOrderList,
    Deposit,
    Exchange,
    NewOco,
    NewOrder,
    NewOto,
    OrderLeg,
    check_invariants,
)
from minance.engine.exchange import KEEP_CLOSED_LISTS, KEEP_CLOSED_ORDERS, KEEP_MY_TRADES, KEEP_TRADES
from tests.unit.engine.conftest import Harness
from tests.unit.engine.test_pinned_streams import (
    BENCH_EVENTS,
    BENCH_HASH,
    MIXED_EVENTS,
    MIXED_HASH,
    _digest,
    mixed_log,
    run_bench_stream,
    run_mixed_stream,
)

TINY = {"keep_trades": 7, "keep_my_trades": 5, "keep_closed_orders": 4, "keep_closed_lists": 2}
SMALL = {"keep_trades": 100, "keep_my_trades": 50, "keep_closed_orders": 40, "keep_closed_lists": 3}
MAKER, TAPE = 10, 11
T0 = 1_700_000_000_000
D = Decimal


def test_defaults():
    ex = Exchange()
    assert (KEEP_TRADES, KEEP_MY_TRADES, KEEP_CLOSED_ORDERS, KEEP_CLOSED_LISTS) == (100_000, 10_000, 10_000, 10_000)
    assert (ex.keep_trades, ex.keep_my_trades, ex.keep_closed_orders, ex.keep_closed_lists) == (
        KEEP_TRADES, KEEP_MY_TRADES, KEEP_CLOSED_ORDERS, KEEP_CLOSED_LISTS)
    with pytest.raises(ValueError):
        Exchange(keep_trades=-1)


# a market like the venue's driver: a maker re-quoting a ladder every second, a tape printing one trade ----------
def market_seconds(ex: Exchange, start: int, seconds: int) -> None:
    if start == 0:
        for account in (MAKER, TAPE):
            assert ex.handle(Deposit(account, "USDT", D(10**9), T0)).ok
            assert ex.handle(Deposit(account, "BTC", D(10**5), T0)).ok
    for second in range(start, start + seconds):
        ts = T0 + second * 1000
        mid = 50_000 + (second * 7) % 23 - 11
        if ex.open_orders(MAKER, "BTCUSDT"):
            assert ex.handle(CancelOpenOrders(MAKER, "BTCUSDT", ts)).ok
        for level in range(1, 4):
            for side, sign in (("BUY", -1), ("SELL", 1)):
                assert ex.handle(NewOrder(MAKER, "BTCUSDT", side, "LIMIT", ts, quantity=D("0.01"),
                                          price=D(mid + sign * level), time_in_force="GTC")).ok
        assert ex.handle(NewOrder(TAPE, "BTCUSDT", "BUY" if second % 2 else "SELL", "MARKET", ts + 1,
                                  quantity=D("0.001"))).ok


def test_limits_hold_and_snapshots_stop_growing():
    capped, full = Exchange(**SMALL), Exchange()
    sizes: dict[str, list[int]] = {"capped": [], "full": []}
    for start in (0, 300, 600):
        for name, ex in (("capped", capped), ("full", full)):
            market_seconds(ex, start, 300)
            check_invariants(ex)
            sizes[name].append(len(ex.snapshot()))
    assert sizes["capped"][2] < sizes["capped"][1] * 1.03  # bounded: only ids get longer
    assert sizes["full"][2] > sizes["full"][1] * 1.4  # without limits it grows with time
    assert capped.state_hash() == full.state_hash()
    sym = capped.symbols["BTCUSDT"]
    assert len(sym.trades) == 100 and [t.trade_id for t in capped.recent_trades("BTCUSDT", 2)] == [899, 900]
    for account in (MAKER, TAPE):
        acct = capped.accounts[account]
        assert len(acct.trades["BTCUSDT"]) == 50 and len(acct.closed["BTCUSDT"]) == 40
        assert len(acct.orders["BTCUSDT"]) == 40 + len(acct.open["BTCUSDT"])
        assert len(capped.my_trades(account, "BTCUSDT", limit=1000)) == 50
        assert len(capped.all_orders(account, "BTCUSDT", limit=1000)) == 40 + len(acct.open["BTCUSDT"])
    assert len(capped.orders) == 80 + 6


def test_forgetting_changes_neither_events_nor_state_hash():
    """The pinned streams give the pinned events and hashes whatever the retention limits."""
    ex, results = run_bench_stream(**TINY)
    check_invariants(ex)
    assert (ex.state_hash(), _digest(results)) == (BENCH_HASH, BENCH_EVENTS)
    ex, results = run_mixed_stream(**TINY)
    check_invariants(ex)
    assert (ex.state_hash(), _digest(results)) == (MIXED_HASH, MIXED_EVENTS)
    assert len(ex.orders) < 200 and sum(len(a.lists) for a in ex.accounts.values()) < 20


def test_replay_and_restore_with_forgetting_are_deterministic():
    log = mixed_log(seed=5, n=1200)
    first, second, resumed = Exchange(**TINY), Exchange(**TINY), None
    for i, cmd in enumerate(log):
        a, b = first.handle(cmd), second.handle(cmd)
        assert repr(a.events) == repr(b.events)
        if resumed is not None:
            c = resumed.handle(cmd)
            assert repr(c.events) == repr(a.events) and repr(c.reply) == repr(a.reply)
        if i % 300 == 150:  # restore mid-flow, then keep feeding the copy
            snap = first.snapshot()
            resumed = Exchange(**TINY)
            resumed.restore(snap)
            check_invariants(resumed)
            assert resumed.snapshot() == snap and resumed.state_hash() == first.state_hash()
    check_invariants(first)
    assert first.snapshot() == second.snapshot() == resumed.snapshot()
    assert first.state_hash() == second.state_hash() == resumed.state_hash()


def test_restoring_with_smaller_limits_forgets_what_the_smaller_limits_would_have():
    log = mixed_log(seed=3, n=800)
    full, tiny = Exchange(), Exchange(**TINY)
    for cmd in log:
        full.handle(cmd)
        tiny.handle(cmd)
    trimmed = Exchange(**TINY)
    trimmed.restore(full.snapshot())
    check_invariants(trimmed)
    assert trimmed.snapshot() == tiny.snapshot()
    assert trimmed.state_hash() == full.state_hash()
    assert len(full.snapshot()) > 2 * len(tiny.snapshot())


# query semantics over retained history --------------------------------------------------------------------------
@pytest.fixture
def t() -> Harness:
    h = Harness(Exchange(keep_entries=True, **TINY))
    for account in (1, 2, 3):
        h.fund(account, USDT="1000000", BTC="100")
    return h


def _trades(h: Harness, n: int) -> list[int]:
    """n trades between account 2 (maker, SELL) and 1 (taker, BUY); returns the taker order ids."""
    ids = []
    for _ in range(n):
        h.placed(2, "SELL", price="50000", quantity="0.01")
        ids.append(h.placed(1, "BUY", price="50000", quantity="0.01").order.order_id)
    return ids


def test_public_trades_serve_the_most_recent(t):
    _trades(t, 10)
    assert [x.trade_id for x in t.ex.recent_trades("BTCUSDT")] == [4, 5, 6, 7, 8, 9, 10]
    assert [x.trade_id for x in t.ex.recent_trades("BTCUSDT", limit=2)] == [9, 10]
    assert [x.trade_id for x in t.ex.historical_trades("BTCUSDT", from_id=1, limit=3)] == [4, 5, 6]  # oldest kept
    assert [x.trade_id for x in t.ex.historical_trades("BTCUSDT", from_id=9)] == [9, 10]
    assert t.ex.historical_trades("BTCUSDT", from_id=11) == []
    assert [a.agg_id for a in t.ex.agg_trades("BTCUSDT", from_id=2, limit=2)] == [4, 5]
    assert [a.agg_id for a in t.ex.agg_trades("BTCUSDT", limit=2)] == [9, 10]
    assert [x.trade_id for x in t.ex.my_trades(1, "BTCUSDT")] == [6, 7, 8, 9, 10]
    assert [x.trade_id for x in t.ex.my_trades(1, "BTCUSDT", from_id=1, limit=2)] == [6, 7]


def test_forgotten_orders_answer_archived(t):
    takers = _trades(t, 6)
    kept = [v.order_id for v in t.ex.all_orders(1, "BTCUSDT")]
    assert kept == takers[-4:]
    with pytest.raises(BinanceError) as err:
        t.ex.get_order(1, "BTCUSDT", order_id=takers[0])
    assert err.value.code == -2026 and "archived" in err.value.msg
    with pytest.raises(BinanceError) as err:  # never this account's, newer than anything it forgot
        t.ex.get_order(1, "BTCUSDT", order_id=takers[-1] + 1)
    assert err.value.code == -2013
    with pytest.raises(BinanceError) as err:  # another account's retained order
        t.ex.get_order(2, "BTCUSDT", order_id=takers[-1])
    assert err.value.code == -2013
    assert t.ex.get_order(1, "BTCUSDT", order_id=takers[-1]).status.value == "FILLED"


def test_client_ids_of_forgotten_orders_are_forgotten(t):
    t.placed(1, "BUY", price="40000", quantity="0.01", client_order_id="again")
    t.cancel(1, orig_client_order_id="again")
    for _ in range(5):  # push it out
        oid = t.placed(1, "BUY", price="40000", quantity="0.01").order.order_id
        t.cancel(1, order_id=oid)
    with pytest.raises(BinanceError) as err:
        t.ex.get_order(1, "BTCUSDT", orig_client_order_id="again")
    assert err.value.code == -2013
    t.placed(1, "BUY", price="40000", quantity="0.01", client_order_id="again")  # free to use again
    assert t.ex.get_order(1, "BTCUSDT", orig_client_order_id="again").status.value == "NEW"


def _oco(h: Harness, account: int) -> int:
    cmd = NewOco(account, "BTCUSDT", "SELL", D("0.1"), above=OrderLeg("LIMIT_MAKER", price=D("52000")),
                 below=OrderLeg("STOP_LOSS", stop_price=D("48000")), ts_ms=h.tick())
    return h.run(cmd).reply.order_list.order_list_id


def test_lists_are_forgotten_with_their_legs_and_open_lists_keep_theirs(t):
    _trades(t, 1)  # a last price, so stops can rest
    lids = [_oco(t, 3) for _ in range(3)]
    legs = [o.order_id for o in t.ex.list_orders(3, lids[0])]
    for lid in lids:
        assert t.run(CancelOrderList(3, "BTCUSDT", t.tick(), order_list_id=lid)).ok
    assert [x.order_list_id for x in t.ex.all_order_lists(3)] == lids[1:]
    with pytest.raises(BinanceError) as err:
        t.ex.order_list(3, lids[0])
    assert err.value.code == -2011
    with pytest.raises(BinanceError) as err:
        t.ex.get_order(3, "BTCUSDT", order_id=legs[0])
    assert err.value.code == -2026
    # an OTO whose working leg filled: the list is open (the pending leg now works), the filled leg stays
    t.placed(2, "SELL", price="50000", quantity="0.01")
    oto = t.run(NewOto(3, "BTCUSDT", working=OrderLeg("LIMIT", side="BUY", quantity=D("0.01"), price=D("50000"),
                                                       time_in_force="GTC"),
                       pending=OrderLeg("LIMIT", side="SELL", quantity=D("0.01"), price=D("60000"),
                                        time_in_force="GTC"), ts_ms=t.tick())).reply
    working = oto.reports[0].order_id
    for _ in range(8):
        oid = t.placed(3, "BUY", price="40000", quantity="0.01").order.order_id
        t.cancel(3, order_id=oid)
    assert t.ex.get_order(3, "BTCUSDT", order_id=working).status.value == "FILLED"
    assert len(t.ex.list_orders(3, oto.order_list.order_list_id)) == 2


# snapshots from before retention ------------------------------------------------------------------------------
V1 = Path(__file__).parent / "data" / "snapshot_v1.json"
V1_HASH = "2a310dd88b02e12aba575d9902e386cf744d2504f0e882aaa87add252819710f"  # what the version-1 engine said


def test_version_1_snapshots_restore():
    ex = Exchange()
    ex.restore(V1.read_bytes())
    check_invariants(ex)
    assert ex.state_hash() == V1_HASH
    assert [v.order_id for v in ex.all_orders(2, "BTCUSDT")] == [2, 3, 4, 9, 10]
    assert [x.trade_id for x in ex.my_trades(1, "BTCUSDT")] == [2, 3]
    assert len(ex.recent_trades("BTCUSDT")) == 3 and [x.order_list_id for x in ex.all_order_lists(2)] == [1]
    again = Exchange()
    again.restore(ex.snapshot())
    assert again.snapshot() == ex.snapshot()
    small = Exchange(keep_trades=1, keep_my_trades=1, keep_closed_orders=1, keep_closed_lists=0)
    small.restore(V1.read_bytes())
    check_invariants(small)
    assert small.state_hash() == V1_HASH and len(small.recent_trades("BTCUSDT")) == 1
    assert [v.order_id for v in small.all_orders(2, "BTCUSDT")] == [4]  # 9 and 10 went with their list
