"""Whole-state invariants, checked by the tests after every step (and available to debug tooling).

Each failure is an AssertionError naming what broke.
"""

from __future__ import annotations

from minance.domain.orders import STOP_TYPES, OrderStatus

__all__ = ["check_invariants"]


def check_invariants(ex) -> None:
    """Conservation, non-negative balances, locks == reservations of open orders, sane uncrossed books,
    retention within its limits and indexes that agree with it."""
    ex.ledger.check_conservation()
    _check_reservations(ex)
    _check_retention(ex)
    for sym in ex.symbols.values():
        _check_book(ex, sym)
        for oid, o in sym.stops.orders.items():
            assert o.is_open and not o.is_working and o.type in STOP_TYPES, (sym.symbol, oid)
    for o in ex.orders.values():
        assert o.executed + o.prevented_qty + o.leaves == o.qty or not o.is_open, (o.order_id, o.qty)
        assert o.is_open == (o.order_id in ex.accounts[o.account_id].open.get(o.symbol, {})), o.order_id
        if o.is_open and o.status is not OrderStatus.PENDING_NEW:
            in_stops = o.order_id in o.sym.stops.orders
            assert o.on_book or in_stops or (o.is_working and o.order_id in _deferred_ids(ex)), o.order_id


def _deferred_ids(ex) -> set[int]:
    return {item.order_id for kind, item in ex._deferred if kind == 0}


def _check_reservations(ex) -> None:
    locked: dict[tuple[int, str], int] = {}
    seen: set[int] = set()
    for o in ex.orders.values():
        res = o.res
        if not o.is_open or res is None or id(res) in seen:
            continue
        seen.add(id(res))
        assert res.amount >= 0
        key = (res.cell.account_id, res.cell.asset)
        locked[key] = locked.get(key, 0) + res.amount
        if o.on_book and res.users == 1:
            need = -(-o.price * o.leaves // 100_000_000) if o.is_buy else o.leaves
            assert res.amount >= need, (o.order_id, res.amount, need)
    for account_id, cells in ex.ledger.cells.items():
        for asset, cell in cells.items():
            assert cell.locked == locked.get((account_id, asset), 0), (account_id, asset, cell.locked,
                                                                       locked.get((account_id, asset), 0))


def _check_book(ex, sym) -> None:
    book = sym.book
    assert not book.is_crossed(), (sym.symbol, book.best_bid(), book.best_ask())
    assert book.bid_keys == sorted(book.bids) and book.ask_keys == sorted(-p for p in book.asks)
    for is_bid, levels in ((True, book.bids), (False, book.asks)):
        for price, level in levels.items():
            live = [o for o in level.queue if o.on_book]
            assert live, (sym.symbol, price)
            assert level.count == len(live) and level.total == sum(o.leaves for o in live), (sym.symbol, price)
            for o in live:
                assert o.is_open and o.price == price and o.is_buy == is_bid and o.leaves > 0, o.order_id


def _check_retention(ex) -> None:
    retained: dict[int, object] = {}
    for sym in ex.symbols.values():
        trades = sym.trades
        assert len(trades) <= ex.keep_trades, (sym.symbol, len(trades))
        if trades:  # the most recent ones, consecutive
            assert trades[-1].trade_id == sym.next_trade_id - 1, sym.symbol
            assert trades[0].trade_id == sym.next_trade_id - len(trades), sym.symbol
    for acct in ex.accounts.values():
        assert len(acct.closed_lists) <= ex.keep_closed_lists, acct.account_id
        for lst in acct.closed_lists:
            assert not lst.is_open and acct.lists.get(lst.order_list_id) is lst, lst.order_list_id
        for lst in acct.lists.values():
            assert ex.order_lists.get(lst.order_list_id) is lst, lst.order_list_id
            for leg in lst.legs:
                retained[leg.order_id] = leg
        for symbol, by_id in acct.orders.items():
            closed = acct.closed[symbol]
            assert len(closed) <= ex.keep_closed_orders, (acct.account_id, symbol, len(closed))
            assert len(acct.trades[symbol]) <= ex.keep_my_trades, (acct.account_id, symbol)
            for o in closed:
                assert not o.is_open and o.order_list is None and by_id.get(o.order_id) is o, o.order_id
                retained[o.order_id] = o
            for o in acct.open.get(symbol, {}).values():
                retained[o.order_id] = o
            assert list(by_id) == sorted(by_id), (acct.account_id, symbol)
            for cid, o in acct.client_ids[symbol].items():
                assert by_id.get(o.order_id) is o and o.client_order_id == cid, (acct.account_id, cid)
            for oid, o in by_id.items():
                assert retained.get(oid) is o, oid
                assert ex.orders.get(oid) is o, oid
    assert len(retained) == len(ex.orders), (len(retained), len(ex.orders))
    assert list(ex.orders) == sorted(ex.orders)
