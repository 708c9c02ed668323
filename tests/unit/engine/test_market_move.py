"""MarketMove + virtual liquidity: resting orders fill at their limit when the path reaches them, stops fire on
the path, takers walk the derived ladder with slippage, and the state survives a snapshot."""

from __future__ import annotations

from decimal import Decimal

from minance.domain.orders import UNITS_PER_ONE, OrderStatus, Trade
from minance.engine import Exchange, MarketMove, OrderUpdate, SetLiquidity, check_invariants

from .conftest import Harness

LP = 900  # the liquidity account
U = UNITS_PER_ONE


def u(x) -> int:
    return int(Decimal(str(x)) * U)


def market(h: Harness, ref="30000", **kw) -> None:
    h.fund(LP, USDT="100000000", BTC="10000")
    assert h.run(SetLiquidity("BTCUSDT", LP, h.tick(), **kw)).ok
    assert h.run(MarketMove("BTCUSDT", h.tick(), (u(ref),))).ok


def move(h: Harness, *prices, **kw):
    result = h.run(MarketMove("BTCUSDT", h.tick(), tuple(u(p) for p in prices), **kw))
    assert result.ok, result.error
    return result


def user_fills(result, account=1):
    return [(e.last_price_u, e.last_qty_u, e.order.order_id) for e in result.events
            if type(e) is OrderUpdate and e.order.account_id == account and e.last_qty_u]


def test_ladder_is_visible_in_depth_and_book_ticker():
    h = Harness()
    market(h)
    depth = h.ex.depth("BTCUSDT", 5)
    assert len(depth.bids_u) == 5 and len(depth.asks_u) == 5
    best_bid, best_ask = depth.bids_u[0][0], depth.asks_u[0][0]
    assert best_bid < u(30000) < best_ask
    assert best_ask - best_bid <= u(30000) * 4 // 10_000  # a few bps wide
    bt = h.ex.book_ticker("BTCUSDT")
    assert (bt.bid_price_u, bt.ask_price_u) == (best_bid, best_ask)
    # sizes grow away from the touch
    assert depth.asks_u[4][1] > depth.asks_u[0][1]


def test_market_buy_walks_the_ladder_with_slippage():
    h = Harness()
    market(h)
    h.fund(1, USDT="1000000")
    ask0 = h.ex.depth("BTCUSDT", 1).asks_u[0][0]
    reply = h.placed(1, "BUY", "MARKET", quantity="3")
    prices = [f.price_u for f in reply.fills]
    assert prices[0] == ask0 and prices == sorted(prices) and len(set(prices)) > 1  # slippage
    assert reply.order.status is OrderStatus.FILLED
    # the ladder is consumed until the next move, then replenished
    assert h.ex.depth("BTCUSDT", 1).asks_u[0][0] > ask0
    move(h, "30000")
    assert h.ex.depth("BTCUSDT", 1).asks_u[0][0] == ask0
    h.ex.ledger.check_conservation()


def test_resting_orders_fill_at_their_limit_when_the_path_reaches_them():
    h = Harness()
    market(h)
    h.fund(1, USDT="100000", BTC="1")
    buy = h.placed(1, "BUY", price="29900", quantity="0.5").order.order_id
    sell = h.placed(1, "SELL", price="30100", quantity="0.5").order.order_id
    assert not user_fills(move(h, "29950", "30050"))  # neither reached
    r = move(h, "30150", "29850", "30000")
    assert user_fills(r) == [(u(30100), u("0.5"), sell), (u(29900), u("0.5"), buy)]
    trades = [e for e in r.events if type(e) is Trade]
    assert [t.price_u for t in trades] == [u(30100), u(29900)]
    ups = [e for e in r.events if type(e) is OrderUpdate and e.last_qty_u]
    assert all(e.is_maker for e in ups)  # a resting order filled by the market is a maker
    assert h.ex.last_price("BTCUSDT") == Decimal(30000)
    h.ex.ledger.check_conservation()


def test_stop_loss_fires_on_the_path_and_sells_into_the_ladder():
    h = Harness()
    market(h)
    h.fund(1, BTC="1")
    oid = h.placed(1, "SELL", "STOP_LOSS", quantity="1", stop_price="29500").order.order_id
    assert not user_fills(move(h, "29600"))
    r = move(h, "29400", "29700")
    fills = user_fills(r)
    assert fills and all(oid == f[2] for f in fills)
    assert all(f[0] < u(29400) for f in fills)  # sold into the bids below the point that fired it
    assert h.ex.get_order(1, "BTCUSDT", order_id=oid).status is OrderStatus.FILLED


def test_trailing_stop_follows_the_path():
    h = Harness()
    market(h)
    h.fund(1, BTC="1")
    h.placed(1, "SELL", "STOP_LOSS", quantity="1", trailing_delta=100)  # 1 % below the highest point
    assert not user_fills(move(h, "30500", "31000", "30700"))  # 30 700 > 31 000 × 0.99 = 30 690
    assert user_fills(move(h, "30690"))


def test_fill_cap_limits_what_one_point_fills():
    h = Harness()
    market(h)
    h.fund(1, BTC="2")
    oid = h.placed(1, "SELL", price="30100", quantity="2").order.order_id
    assert user_fills(move(h, "30200", fill_cap=Decimal("0.5"))) == [(u(30100), u("0.5"), oid)]
    assert user_fills(move(h, "30200", "30300", fill_cap=Decimal("0.5"))) == [(u(30100), u("0.5"), oid)] * 2
    h.ex.ledger.check_conservation()


def test_limit_maker_cannot_cross_the_ladder_and_limit_orders_take_it():
    h = Harness()
    market(h)
    h.fund(1, USDT="100000")
    ask0 = h.ex.depth("BTCUSDT", 1).asks_u[0][0]
    r = h.order(1, "BUY", "LIMIT_MAKER", price=str(Decimal(ask0) / U), quantity="0.01")
    assert not r.ok and r.error.code == -2010
    reply = h.placed(1, "BUY", price=str(Decimal(ask0) / U), quantity="0.01")
    assert reply.order.status is OrderStatus.FILLED and reply.fills[0].price_u == ask0


def test_quiet_test_and_snapshot_round_trip():
    h = Harness()
    market(h)
    h.fund(1, USDT="100000")
    h.placed(1, "BUY", price="29000", quantity="0.5")
    assert h.ex.market_quiet("BTCUSDT", u(29100), u(31000))
    assert not h.ex.market_quiet("BTCUSDT", u(28900), u(31000))
    move(h, "30010")
    h.placed(1, "BUY", "MARKET", quantity="0.2")  # consumes part of the ladder
    other = Exchange(keep_entries=True)
    other.restore(h.ex.snapshot())
    assert other.state_hash() == h.ex.state_hash()
    assert other.depth("BTCUSDT", 3).asks_u == h.ex.depth("BTCUSDT", 3).asks_u
    check_invariants(other)


def test_replay_is_deterministic():
    a, b = Harness(), Harness()
    for h in (a, b):
        market(h)
        h.fund(1, USDT="100000", BTC="1")
        h.placed(1, "SELL", "STOP_LOSS", quantity="0.3", stop_price="29000")
        h.placed(1, "BUY", price="29500", quantity="0.2")
        move(h, "29800", "29400", "28900", "29300")
    assert a.ex.state_hash() == b.ex.state_hash()
