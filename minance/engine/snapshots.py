"""Snapshots and the state hash.

``snapshot()`` is canonical JSON (sorted keys, no spaces) of everything the exchange holds: symbol specs,
balances, every retained order and list, books with their FIFO order, stops, retained trades, the retention
queues (which finished order or list goes next) and every counter. ``restore()`` rebuilds an equal exchange
from it: same ``state_hash()``, same answers to queries, same future behaviour, and the same snapshot bytes
when the restoring exchange has the same retention settings (a smaller setting trims what is restored).
Its size is bounded by the retention settings, not by how long the exchange has run.

``state_hash()`` is the SHA-256 of the canonical form of the live part: balances and fee rates, open
orders and lists, books, stops, last prices and all id counters (history is covered by the counters). It
covers nothing that retention forgets, so it does not depend on the retention settings.

Version 1 snapshots (before retention) still restore; what they hold beyond the settings is trimmed.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from minance.domain.orders import (
    ContingencyType,
    ExpiryReason,
    ListOrderStatus,
    ListStatusType,
    OrderStatus,
    OrderType,
    Side,
    StpMode,
    TimeInForce,
    Trade,
)
from minance.domain.symbols import SymbolSpec
from minance.engine.ledger import Ledger, Reservation
from minance.engine.market import VirtualMarket
from minance.engine.state import AccountState, Order, OrderList, SymbolState

__all__ = ["SNAPSHOT_VERSION", "SnapshotsMixin", "canonical_json"]

SNAPSHOT_VERSION = 2
_SPEC_FIELDS = ("symbol", "base", "quote", "tick_size", "step_size", "min_qty", "max_qty", "market_max_qty",
                "min_notional", "max_notional", "max_price")


def canonical_json(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _order_row(o: Order, res_ids: dict[int, int]) -> list:
    return [o.order_id, o.symbol, o.account_id, o.client_order_id, o.side.value, o.type.value, o.tif.value, o.qty,
            o.price, o.stop_price, o.trailing_delta, o.quote_order_qty, o.stp_mode.value, o.order_list_id,
            o.created_ms, o.update_ms, o.working_ms, o.strategy_id, o.strategy_type, o.status.value, o.executed,
            o.cum_quote, o.leaves, o.prevented_qty, o.prevented_match_id, o.on_book, o.is_working, o.trail_active,
            o.trail_extreme, o.trailing_ms, o.expiry_reason.value if o.expiry_reason else None,
            res_ids.get(id(o.res)) if o.res is not None and o.is_open else None]


def _book_rows(sym: SymbolState) -> dict:
    book = sym.book
    return {
        "bids": [[lv.price, lv.total, [o.order_id for o in lv.queue if o.on_book]] for lv in book.levels(True)],
        "asks": [[lv.price, lv.total, [o.order_id for o in lv.queue if o.on_book]] for lv in book.levels(False)],
        "update_id": book.update_id,
        "drained_id": book.drained_id,
    }


def _stop_rows(sym: SymbolState) -> dict:
    stops = sym.stops
    return {"rise": [list(k) for k in stops.rise], "fall": [list(k) for k in stops.fall],
            "trailing": list(stops.trailing)}


def _symbol_counters(sym: SymbolState) -> dict:
    row = {"last_price": sym.last_price, "next_trade_id": sym.next_trade_id, "next_agg_id": sym.next_agg_id,
           "agg_key": list(sym.agg_key), "next_prevented_id": sym.next_prevented_id}
    vm = sym.virtual
    if vm is not None:  # only then: the state of a symbol without virtual liquidity hashes as before
        row["virtual"] = [vm.params(), vm.ref, sorted(vm.taken_bids.items()), sorted(vm.taken_asks.items())]
    return row


def _trade_row(t: Trade) -> list:
    """A trade without what its symbol implies (symbol, base and quote assets)."""
    return list(t[1:16])


class SnapshotsMixin:
    def _reservation_ids(self, orders) -> tuple[dict[int, int], list]:
        ids: dict[int, int] = {}
        rows: list = []
        for o in orders:
            res = o.res
            if res is not None and id(res) not in ids:
                ids[id(res)] = len(rows)
                rows.append([res.cell.account_id, res.cell.asset, res.amount, res.users])
        return ids, rows

    def _core_state(self, open_only: bool) -> dict:
        open_orders = [o for o in self.orders.values() if o.is_open]
        orders = open_orders if open_only else list(self.orders.values())
        res_ids, res_rows = self._reservation_ids(open_orders)  # a finished order holds nothing any more
        lists = [x for x in self.order_lists.values() if x.is_open or not open_only]
        order_rows = [_order_row(o, res_ids) for o in orders]
        list_rows = [[x.order_list_id, x.symbol, x.account.account_id, x.list_client_order_id, x.contingency.value,
                      x.is_oto, [o.order_id for o in x.legs], x.status_type.value, x.order_status.value,
                      x.transaction_ms, x.resolved] for x in lists]
        if not open_only:  # whether each is still found by its client id (an older one may have been forgotten)
            for o, row in zip(orders, order_rows, strict=True):
                row.append(o.account.client_ids[o.symbol].get(o.client_order_id) is o)
            for x, row in zip(lists, list_rows, strict=True):
                row.append(x.account.list_client_ids[x.symbol].get(x.list_client_order_id) is x)
        return {
            "counters": [self.next_order_id, self.next_list_id, self.next_execution_id, self.next_client_seq],
            "fee_account_id": self.fee_account_id,
            "balances": sorted([c.account_id, c.asset, c.free, c.locked]
                               for cells in self.ledger.cells.values() for c in cells.values()),
            "supply": sorted(self.ledger.supply.items()),
            "accounts": sorted([a.account_id, a.maker_bps, a.taker_bps] for a in self.accounts.values()),
            "orders": order_rows,
            "reservations": res_rows,
            "lists": list_rows,
            "symbols": {s.symbol: {"book": _book_rows(s), "stops": _stop_rows(s), **_symbol_counters(s)}
                        for s in self.symbols.values()},
        }

    def state_hash(self) -> str:
        return hashlib.sha256(canonical_json(self._core_state(open_only=True))).hexdigest()

    def snapshot(self) -> bytes:
        state = self._core_state(open_only=False)
        state["version"] = SNAPSHOT_VERSION
        state["defaults"] = [self.default_maker_bps, self.default_taker_bps]
        state["ledger_counts"] = self.ledger.counts
        state["specs"] = [[str(getattr(spec, f)) for f in _SPEC_FIELDS] for spec in self.specs.values()]
        state["trades"], state["public_trades"] = self._trade_rows()
        state["history"] = [self._history_row(a) for a in sorted(self.accounts.values(), key=_account_id)]
        state["vwap"] = {s.symbol: s.vwap.entries() for s in self.symbols.values()}
        return canonical_json(state)

    def _trade_rows(self) -> tuple[dict, dict]:
        """Per symbol: every retained trade (public, or in some account's history) by id, and how many of the
        newest are the public ones."""
        older: dict[str, dict[int, Trade]] = {s: {} for s in self.symbols}
        for acct in self.accounts.values():
            for symbol, rows in acct.trades.items():
                public = self.symbols[symbol].trades
                first_public = public[0].trade_id if public else 1 << 62
                extra = older[symbol]
                for t, _ in rows:
                    if t.trade_id < first_public:
                        extra[t.trade_id] = t
                    else:
                        break  # in trade order: the rest are public
        trades = {}
        for symbol, sym in self.symbols.items():
            extra = older[symbol]
            trades[symbol] = [_trade_row(extra[i]) for i in sorted(extra)] + [_trade_row(t) for t in sym.trades]
        return trades, {symbol: len(sym.trades) for symbol, sym in self.symbols.items()}

    @staticmethod
    def _history_row(acct: AccountState) -> list:
        return [acct.account_id,
                {symbol: [o.order_id for o in q] for symbol, q in acct.closed.items() if q},
                [x.order_list_id for x in acct.closed_lists],
                {symbol: [t.trade_id if is_buyer else -t.trade_id for t, is_buyer in q]
                 for symbol, q in acct.trades.items() if q},
                acct.pruned_upto]

    def restore(self, data: bytes | str | dict) -> None:
        """Replace the whole state with a snapshot's (this exchange's retention settings apply)."""
        state = json.loads(data) if isinstance(data, bytes | str) else data
        version = state["version"]
        assert version in (1, SNAPSHOT_VERSION), version
        specs = [SymbolSpec(row[0], row[1], row[2], *(Decimal(v) for v in row[3:])) for row in state["specs"]]
        self.__init__(specs, fee_account_id=state["fee_account_id"], maker_bps=state["defaults"][0],
                      taker_bps=state["defaults"][1], keep_entries=self.ledger.entries is not None,
                      keep_trades=self.keep_trades, keep_my_trades=self.keep_my_trades,
                      keep_closed_orders=self.keep_closed_orders, keep_closed_lists=self.keep_closed_lists)
        (self.next_order_id, self.next_list_id, self.next_execution_id, self.next_client_seq) = state["counters"]
        ledger: Ledger = self.ledger
        for account_id, asset, free, locked in state["balances"]:
            cell = ledger.cell(account_id, asset)
            cell.free, cell.locked = free, locked
        ledger.supply = dict((a, n) for a, n in state["supply"])
        ledger.counts = dict(state["ledger_counts"])
        for account_id, maker, taker in state["accounts"]:
            acct = self.account(account_id)
            acct.maker_bps, acct.taker_bps = maker, taker
        reservations = [Reservation(ledger.cell(a, asset), amount, users) for a, asset, amount, users
                        in state["reservations"]]
        for row in state["orders"]:
            self._restore_order(row, reservations)
        self._restore_lists(state["lists"])
        for symbol, srow in state["symbols"].items():
            self._restore_symbol(self.symbols[symbol], srow, state["vwap"][symbol])
        if version == 1:
            self._restore_history_v1(state["trades"])
        else:
            self._restore_history(state["trades"], state["public_trades"], state["history"])
        self._trim_history()
        ledger.touched = {}

    def _restore_order(self, row: list, reservations: list[Reservation]) -> None:
        (oid, symbol, account_id, cid, side, otype, tif, qty, price, stop, trailing, qoq, stp, list_id, created,
         updated, working_ms, strategy_id, strategy_type, status, executed, cum_quote, leaves, prevented_qty,
         pmid, on_book, is_working, trail_active, trail_extreme, trailing_ms, expiry, res_id) = row[:32]
        sym = self.symbols[symbol]
        acct = self.account(account_id)
        ledger = self.ledger
        o = Order(oid, sym, acct, cid, Side(side), OrderType(otype), TimeInForce(tif), qty, price, stop, trailing,
                  qoq, StpMode(stp), created, strategy_id, strategy_type, ledger.cell(account_id, sym.base),
                  ledger.cell(account_id, sym.quote))
        o.order_list_id = list_id
        o.update_ms, o.working_ms = updated, working_ms
        o.status = OrderStatus(status)
        o.executed, o.cum_quote, o.leaves = executed, cum_quote, leaves
        o.prevented_qty, o.prevented_match_id = prevented_qty, pmid
        o.is_working, o.trail_active = is_working, trail_active
        o.trail_extreme, o.trailing_ms = trail_extreme, trailing_ms
        o.expiry_reason = ExpiryReason(expiry) if expiry else None
        o.res = reservations[res_id] if res_id is not None and o.is_open else None
        o.on_book = on_book
        self._register(o)
        if len(row) > 32 and not row[32]:  # an older order whose client id a forgotten newer one took
            del acct.client_ids[symbol][cid]
        if not o.is_open:
            del acct.open[symbol][oid]
            if o.type in _ALGO:
                acct.algo_counts[symbol] -= 1

    def _restore_lists(self, rows: list) -> None:
        for row in rows:
            (lid, symbol, account_id, cid, contingency, is_oto, leg_ids, status_type, order_status, ts,
             resolved) = row[:11]
            acct = self.accounts[account_id]
            lst = OrderList(lid, symbol, acct, cid, ContingencyType(contingency), is_oto, ts)
            lst.status_type = ListStatusType(status_type)
            lst.order_status = ListOrderStatus(order_status)
            lst.resolved = resolved
            lst.legs = [self.orders[i] for i in leg_ids]
            for o in lst.legs:
                o.order_list = lst
            acct.lists[lid] = lst
            if len(row) <= 11 or row[11]:
                acct.list_client_ids.setdefault(symbol, {})[cid] = lst
            else:
                acct.list_client_ids.setdefault(symbol, {})
            self.order_lists[lid] = lst

    def _restore_symbol(self, sym: SymbolState, row: dict, vwap: list) -> None:
        book = sym.book
        for is_bid, key in ((True, "bids"), (False, "asks")):
            for price, total, ids in reversed(row["book"][key]):  # worst first, so keys stay sorted
                for oid in ids:
                    o = self.orders[oid]
                    assert o.price == price and o.on_book
                    book.add(o)
                assert (book.bids if is_bid else book.asks)[price].total == total
        book.update_id = row["book"]["update_id"]
        book.drained_id = row["book"]["drained_id"]
        book.changed_bids = {}
        book.changed_asks = {}
        stops = sym.stops
        stops.rise = [tuple(k) for k in row["stops"]["rise"]]
        stops.fall = [tuple(k) for k in row["stops"]["fall"]]
        for key in stops.rise + stops.fall:
            stops.orders[-key[1]] = self.orders[-key[1]]
        for oid in row["stops"]["trailing"]:
            stops.trailing[oid] = stops.orders[oid] = self.orders[oid]
        sym.last_price = row["last_price"]
        sym.next_trade_id = row["next_trade_id"]
        sym.next_agg_id = row["next_agg_id"]
        sym.agg_key = tuple(row["agg_key"])
        sym.next_prevented_id = row["next_prevented_id"]
        if "virtual" in row:
            params, ref, taken_bids, taken_asks = row["virtual"]
            vm = sym.virtual = VirtualMarket(sym.rules, *params)
            vm.centre(ref)
            vm.taken_bids = {i: q for i, q in taken_bids}
            vm.taken_asks = {i: q for i, q in taken_asks}
        for ts, quote, qty in vwap:
            sym.record_vwap(ts, quote, qty)

    def _restore_history(self, trade_rows: dict, public_counts: dict, history: list) -> None:
        tables: dict[str, dict[int, Trade]] = {}
        for symbol, rows in trade_rows.items():
            sym = self.symbols[symbol]
            table = tables[symbol] = {row[0]: Trade(symbol, *row, sym.base, sym.quote) for row in rows}
            count = public_counts[symbol]
            sym.trades.extend(list(table.values())[len(table) - count:] if count else ())
        for account_id, closed, closed_lists, trades, pruned in history:
            acct = self.account(account_id)
            for symbol, ids in closed.items():
                self._account_symbol(acct, symbol)
                acct.closed[symbol].extend(self.orders[i] for i in ids)
            acct.closed_lists.extend(self.order_lists[i] for i in closed_lists)
            for symbol, ids in trades.items():
                self._account_symbol(acct, symbol)
                table = tables[symbol]
                acct.trades[symbol].extend((table[i], True) if i > 0 else (table[-i], False) for i in ids)
            acct.pruned_upto.update(pruned)

    def _restore_history_v1(self, trade_rows: dict) -> None:
        """Before retention every trade, order and list was kept: rebuild the queues in id order."""
        for symbol, rows in trade_rows.items():
            sym = self.symbols[symbol]
            for row in rows:
                t = Trade(*row)
                sym.trades.append(t)
                for account_id, is_buyer in ((t.buyer_account_id, True), (t.seller_account_id, False)):
                    acct = self.accounts[account_id]
                    self._account_symbol(acct, symbol)
                    acct.trades[symbol].append((t, is_buyer))
        for o in self.orders.values():
            if not o.is_open and o.order_list is None:
                o.account.closed[o.symbol].append(o)
        for lst in self.order_lists.values():
            if not lst.is_open:
                lst.account.closed_lists.append(lst)

    def _trim_history(self) -> None:
        """Apply this exchange's retention settings to what was restored."""
        for acct in self.accounts.values():
            for closed in acct.closed.values():
                while len(closed) > self.keep_closed_orders:
                    self._forget(closed.popleft())
            while len(acct.closed_lists) > self.keep_closed_lists:
                self._forget_list(acct.closed_lists.popleft())


def _account_id(acct: AccountState) -> int:
    return acct.account_id


_ALGO = frozenset({OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT,
                   OrderType.TAKE_PROFIT_LIMIT})
