import itertools
from decimal import Decimal as D

import pytest

from minance.domain.symbols import DEFAULT_SYMBOLS
from minance.market.maker import BUY, SELL, MakerParams, Quote, RestingOrder, diff, grid_spacing, ladder

REFS = {"BTCUSDT": D("95123.45"), "ETHUSDT": D("3501.27"), "ETHBTC": D("0.03681"), "BNBUSDT": D("651.30"),
        "BNBBTC": D("0.006847"), "SOLUSDT": D("201.55")}


@pytest.mark.parametrize("symbol", list(REFS))
def test_ladder_respects_filters_and_brackets_the_reference(symbol):
    spec, ref = DEFAULT_SYMBOLS[symbol], REFS[symbol]
    quotes = ladder(ref, spec)
    bids = [q for q in quotes if q.side == BUY]
    asks = [q for q in quotes if q.side == SELL]
    assert len(bids) == len(asks) == 20
    assert [q.price for q in bids] == sorted((q.price for q in bids), reverse=True)
    assert [q.price for q in asks] == sorted(q.price for q in asks)
    assert bids[0].price < ref < asks[0].price
    assert (asks[0].price - bids[0].price) / ref >= D("0.0002")  # ≥ 2 bps
    assert len({q.price for q in quotes}) == 40
    for q in quotes:
        assert q.price % spec.tick_size == 0 and q.qty % spec.step_size == 0
        assert spec.min_qty <= q.qty <= spec.max_qty
        assert spec.min_notional <= q.price * q.qty <= spec.max_notional
        assert ref * D("0.2") <= q.price <= ref * 5  # PERCENT_PRICE_BY_SIDE
    assert all(b.qty * b.price < c.qty * c.price for b, c in itertools.pairwise(asks))  # sizes grow outwards


def test_a_one_btc_market_buy_walks_a_few_levels():
    asks = [q for q in ladder(REFS["BTCUSDT"], DEFAULT_SYMBOLS["BTCUSDT"]) if q.side == SELL]
    left, cost, levels = D(1), D(0), 0
    for q in asks:
        take = min(left, q.qty)
        cost, left, levels = cost + take * q.price, left - take, levels + 1
        if not left:
            break
    assert 3 <= levels <= 10
    slippage = (cost - asks[0].price) / asks[0].price
    assert D("0.0001") < slippage < D("0.002")


def test_caps_limit_inventory():
    spec = DEFAULT_SYMBOLS["BTCUSDT"]
    quotes = ladder(REFS["BTCUSDT"], spec, MakerParams(max_base=D("1.5")), quote_available=D("50000"))
    assert sum(q.qty for q in quotes if q.side == SELL) <= D("1.5")
    assert sum(q.qty * q.price for q in quotes if q.side == BUY) <= D("50000")
    assert 0 < len([q for q in quotes if q.side == BUY]) < 20
    assert ladder(REFS["BTCUSDT"], spec, base_available=D(0), quote_available=D(0)) == []


def test_grid_is_stable_under_small_moves():
    spec = DEFAULT_SYMBOLS["BTCUSDT"]
    assert grid_spacing(REFS["BTCUSDT"], spec, D(1)) == 1000  # 9.5 USDT → 10 USDT = 1000 ticks
    a = ladder(D("95123.45"), spec)
    b = ladder(D("95124.10"), spec)
    assert a == b


def orders_from(quotes, start_id=1):
    return [RestingOrder(i, q.side, q.price, q.qty) for i, q in enumerate(quotes, start_id)]


def test_diff_is_minimal():
    spec = DEFAULT_SYMBOLS["BTCUSDT"]
    current = orders_from(ladder(D("95123.45"), spec))
    assert diff(current, ladder(D("95123.45"), spec)) == ([], [])
    moved = ladder(D("95133.45"), spec)  # one grid step up
    cancel, place = diff(current, moved)
    assert 0 < len(cancel) <= 4 and 0 < len(place) <= 4
    kept = {(o.side, o.price) for o in current} - {(o.side, o.price) for o in cancel}
    assert kept | {(q.side, q.price) for q in place} == {(q.side, q.price) for q in moved}
    # a nearly filled level is refreshed; a duplicate price is cancelled; the rest stays
    first = current[0]
    worn = [RestingOrder(first.order_id, first.side, first.price, first.qty * D("0.3")), *current[1:],
            RestingOrder(99, first.side, first.price, first.qty)]
    cancel, place = diff(worn, ladder(D("95123.45"), spec))
    assert [o.order_id for o in cancel] == [first.order_id]
    assert place == []  # order 99 at the same price and full size takes the level over
    cancel, place = diff([], [Quote(BUY, D(1), D(1))])
    assert (cancel, place) == ([], [Quote(BUY, D(1), D(1))])
