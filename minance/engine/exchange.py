"""The exchange: one single-writer state machine, ``handle(command) -> Result``, plus read-only queries.

Pure and deterministic: no clock, no randomness, no I/O. Time arrives in each command's ``ts_ms``; ids
(orders, lists, trades, executions, prevented matches, generated clientOrderIds) come from counters in the
state. A declined command changes nothing and returns ``Result(error=BinanceError(...))``; a broken
invariant is an AssertionError.

The behaviour is split by concern across mixins: placement (validation, reservation), matching (sweep,
self-trade prevention, fills, stop triggers), order lists, cancels, queries, snapshots.

History is bounded, so that memory and snapshots stay bounded however long the exchange runs. Retention:

- public trades: the most recent ``keep_trades`` per symbol (/trades, /historicalTrades, /aggTrades);
- per account and symbol: the most recent ``keep_my_trades`` trades (/myTrades) and the ``keep_closed_orders``
  most recently finished orders that are not in an order list (/order, /allOrders);
- per account: the ``keep_closed_lists`` most recently finished order lists, each with all its legs;
- open orders, open order lists and every leg of an open list are never forgotten.

Forgetting happens as part of the command that finishes (or trades) the newest item, one old item for one new
one, so it is O(1) per order or trade and deterministic: replaying the same commands forgets the same things.
What is forgotten is never read by the matching itself (it only consults open orders), so the events and
``state_hash()`` of a command stream do not depend on the retention settings.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping

from minance.domain.errors import Err
from minance.domain.orders import (
    ALGO_TYPES,
    ExecutionType,
    ExpiryReason,
    OrderStatus,
    OrderView,
    RejectReason,
    to_units,
)
from minance.domain.symbols import DEFAULT_SYMBOLS, SymbolSpec
from minance.engine.cancels import CancelsMixin
from minance.engine.clientids import generated_client_id
from minance.engine.commands import (
    CancelOpenOrders,
    CancelOrder,
    CancelOrderList,
    CancelReplace,
    Deposit,
    MarketMove,
    NewOco,
    NewOrder,
    NewOto,
    NewOtoco,
    SetCommission,
    SetLiquidity,
    Withdraw,
)
from minance.engine.events import BalanceDelta, BalanceUpdate, BookDelta, OrderUpdate, Result
from minance.engine.ledger import Ledger
from minance.engine.lists import ListsMixin
from minance.engine.market import MarketMixin
from minance.engine.matching import MatchingMixin
from minance.engine.placement import PlacementMixin, Rejected
from minance.engine.queries import QueriesMixin
from minance.engine.rules import SymbolRules, precision_error
from minance.engine.snapshots import SnapshotsMixin
from minance.engine.state import AccountState, Order, SymbolState

__all__ = ["FEE_ACCOUNT_ID", "KEEP_CLOSED_LISTS", "KEEP_CLOSED_ORDERS", "KEEP_MY_TRADES", "KEEP_TRADES", "Exchange"]

# Enum members as module constants: on Python 3.11 `OrderType.LIMIT` costs ~10x a global lookup.
EXP_REJECTED = ExpiryReason.REJECTED
EX_EXPIRED = ExecutionType.EXPIRED
EX_REJECTED = ExecutionType.REJECTED
ST_EXPIRED = OrderStatus.EXPIRED
ST_REJECTED = OrderStatus.REJECTED

FEE_ACCOUNT_ID = 0  # the account commissions are credited to
KEEP_TRADES = 100_000  # public trades retained per symbol
KEEP_MY_TRADES = 10_000  # trades retained per account and symbol
KEEP_CLOSED_ORDERS = 10_000  # finished orders (not in a list) retained per account and symbol
KEEP_CLOSED_LISTS = 10_000  # finished order lists (with their legs) retained per account
REJ_NONE = RejectReason.NONE
_new_tuple = tuple.__new__  # builds a NamedTuple without its Python-level __new__ (hot path)
_new_object = object.__new__
_UPDATE_FIELD = {name: i for i, name in enumerate(OrderUpdate._fields)}


class Exchange(PlacementMixin, MatchingMixin, MarketMixin, ListsMixin, CancelsMixin, QueriesMixin, SnapshotsMixin):
    """Binance-compatible spot matching engine and ledger for a set of symbols."""

    def __init__(self, symbols: Mapping[str, SymbolSpec] | Iterable[SymbolSpec] = DEFAULT_SYMBOLS, *,
                 fee_account_id: int = FEE_ACCOUNT_ID, maker_bps: int = 10, taker_bps: int = 10,
                 keep_entries: bool = False, keep_trades: int = KEEP_TRADES, keep_my_trades: int = KEEP_MY_TRADES,
                 keep_closed_orders: int = KEEP_CLOSED_ORDERS, keep_closed_lists: int = KEEP_CLOSED_LISTS) -> None:
        for name, value in (("keep_trades", keep_trades), ("keep_my_trades", keep_my_trades),
                            ("keep_closed_orders", keep_closed_orders), ("keep_closed_lists", keep_closed_lists)):
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative int, not {value!r}")
        self.keep_trades = keep_trades
        self.keep_my_trades = keep_my_trades
        self.keep_closed_orders = keep_closed_orders
        self.keep_closed_lists = keep_closed_lists
        specs = list(symbols.values()) if isinstance(symbols, Mapping) else list(symbols)
        self.specs: dict[str, SymbolSpec] = {s.symbol: s for s in specs}
        self.fee_account_id = fee_account_id
        self.default_maker_bps = maker_bps
        self.default_taker_bps = taker_bps
        self.ledger = Ledger(keep_entries)
        self.accounts: dict[int, AccountState] = {}
        self.symbols: dict[str, SymbolState] = {}
        for spec in specs:
            self.symbols[spec.symbol] = SymbolState(SymbolRules(spec), self.ledger.cell(fee_account_id, spec.base),
                                                    self.ledger.cell(fee_account_id, spec.quote), keep_trades)
        self.orders: dict[int, Order] = {}  # every retained order, by id (in id order)
        self.order_lists: dict = {}  # every retained order list, by id
        self.next_order_id = 1
        self.next_list_id = 1
        self.next_execution_id = 1
        self.next_client_seq = 1
        # scratch of the command being handled
        self._ts = 0
        self._events: list = []
        self._result = Result()
        self._deferred: deque = deque()
        self._draining = False
        self._reply_order: Order | None = None
        self._cancel_cid: str | None = None  # the clientOrderId of the list cancel under way
        self._fills: list = []
        self._prevented: list = []
        self._touched_symbols: list[SymbolState] = []  # whose books the command may have changed
        self._handlers = {
            NewOrder: self._cmd_new_order, CancelOrder: self._cmd_cancel_order,
            CancelOpenOrders: self._cmd_cancel_open_orders, CancelReplace: self._cmd_cancel_replace,
            NewOco: self._cmd_new_oco, NewOto: self._cmd_new_oto, NewOtoco: self._cmd_new_otoco,
            CancelOrderList: self._cmd_cancel_order_list, Deposit: self._cmd_deposit,
            Withdraw: self._cmd_withdraw, SetCommission: self._cmd_set_commission,
            SetLiquidity: self._cmd_set_liquidity, MarketMove: self._cmd_market_move,
        }

    # the one entry point --------------------------------------------------------------------------------
    def handle(self, command) -> Result:
        """Apply one command; return its events, reply and rate-limit hooks (or the rejection)."""
        handler = self._handlers.get(type(command))
        if handler is None:
            raise TypeError(f"not a command: {command!r}")
        self._ts = ts = command.ts_ms
        events = self._events = []
        result = self._result = _new_object(Result)  # Result(events), without the Python-level __init__
        result.events = events
        result.reply = result.error = None
        result.new_orders = 0
        result.first_fills = []
        try:
            result.reply = handler(command)
        except Rejected as rejected:
            assert not events and not self.ledger.touched, "a rejected command must not change state"
            self._touched_symbols = []
            return Result(error=rejected.error)
        # the end of the command: closing balances, then each changed book's diff
        cells = self.ledger.touched
        if cells:
            for cell in cells:
                events.append(_new_tuple(BalanceUpdate, (cell.account_id, cell.asset, cell.free, cell.locked, ts)))
            cells.clear()
        touched = self._touched_symbols
        if touched:
            for sym in touched:
                if sym.virtual is not None:
                    self._virtual_depth_changes(sym)
                book = sym.book
                changed_bids = book.changed_bids
                changed_asks = book.changed_asks
                if changed_bids or changed_asks:  # book.drain_changes(), inlined
                    if changed_bids:
                        bids = sorted(changed_bids.items(), reverse=True)
                        changed_bids.clear()
                    else:
                        bids = []
                    if changed_asks:
                        asks = sorted(changed_asks.items())
                        changed_asks.clear()
                    else:
                        asks = []
                    first = book.drained_id + 1
                    book.drained_id = book.update_id
                    events.append(_new_tuple(BookDelta, (sym.symbol, first, book.update_id, bids, asks, ts)))
            touched.clear()
        self._reply_order = None
        return result

    # accounts -------------------------------------------------------------------------------------------
    def list_symbols(self, specs: Iterable[SymbolSpec]) -> None:
        """Starts trading the given symbols this engine does not know yet (restored from a snapshot written
        before they were listed); symbols it knows are left untouched."""
        for spec in specs:
            if spec.symbol not in self.symbols:
                self.specs[spec.symbol] = spec
                self.symbols[spec.symbol] = SymbolState(
                    SymbolRules(spec), self.ledger.cell(self.fee_account_id, spec.base),
                    self.ledger.cell(self.fee_account_id, spec.quote), self.keep_trades)

    def account(self, account_id: int) -> AccountState:
        acct = self.accounts.get(account_id)
        if acct is None:
            cells = self.ledger.cells.get(account_id)
            if cells is None:
                cells = self.ledger.cells[account_id] = {}
            acct = self.accounts[account_id] = AccountState(account_id, self.default_maker_bps,
                                                            self.default_taker_bps, cells)
        return acct

    def _amount(self, name: str, value) -> int:
        err = precision_error(name, value)
        if err is not None:
            raise Rejected(err)
        units = to_units(value)
        if units is None or units <= 0:
            raise Rejected(Err.MANDATORY_PARAM(name=name))
        return units

    def _cmd_deposit(self, cmd: Deposit) -> BalanceDelta:
        amount = self._amount("amount", cmd.amount)
        self.account(cmd.account_id)
        cell = self.ledger.cell(cmd.account_id, cmd.asset)
        self.ledger.deposit(cell, amount)
        event = BalanceDelta(cmd.account_id, cmd.asset, amount, cmd.ts_ms)
        self._events.append(event)
        return event

    def _cmd_withdraw(self, cmd: Withdraw) -> BalanceDelta:
        amount = self._amount("amount", cmd.amount)
        cells = self.ledger.cells.get(cmd.account_id, {})
        cell = cells.get(cmd.asset)
        if cell is None or cell.free < amount:
            raise Rejected(Err.INSUFFICIENT_BALANCE())
        self.ledger.withdraw(cell, amount)
        event = BalanceDelta(cmd.account_id, cmd.asset, -amount, cmd.ts_ms)
        self._events.append(event)
        return event

    def _cmd_set_commission(self, cmd: SetCommission) -> None:
        if not (0 <= cmd.maker_bps <= 10_000 and 0 <= cmd.taker_bps <= 10_000):
            raise Rejected(Err.INVALID_PARAM_DATA(name="commission"))
        acct = self.account(cmd.account_id)
        acct.maker_bps = cmd.maker_bps
        acct.taker_bps = cmd.taker_bps

    # order lifecycle helpers shared by the mixins --------------------------------------------------------
    def _next_client_id(self, acct: AccountState, symbol: str) -> str:
        seq = self.next_client_seq
        cid = generated_client_id(seq)
        self.next_client_seq = seq + 1
        known = acct.client_ids.get(symbol)
        if known is not None and cid in known:  # practically never: skip an id an open order holds
            other = known[cid]
            if other.is_open:
                return self._next_client_id(acct, symbol)
        return cid

    def _account_symbol(self, acct: AccountState, symbol: str) -> dict[int, Order]:
        """Create the account's indexes for ``symbol`` (first order there); returns its orders by id."""
        by_symbol = acct.orders.get(symbol)
        if by_symbol is None:
            by_symbol = acct.orders[symbol] = {}
            acct.trades[symbol] = deque(maxlen=self.keep_my_trades)
            acct.closed[symbol] = deque()
            acct.client_ids[symbol] = {}
            acct.open.setdefault(symbol, {})
        return by_symbol

    def _register(self, o: Order) -> None:
        """Index a new open order."""
        acct = o.account
        symbol = o.symbol
        oid = o.order_id
        self.orders[oid] = o
        by_symbol = acct.orders.get(symbol)
        if by_symbol is None:
            by_symbol = self._account_symbol(acct, symbol)
        acct.open[symbol][oid] = o
        by_symbol[oid] = o
        acct.client_ids[symbol][o.client_order_id] = o
        if o.type in ALGO_TYPES:
            acct.algo_counts[symbol] = acct.algo_counts.get(symbol, 0) + 1

    def _close(self, o: Order) -> None:
        """``o`` just reached a terminal status: unindex it, free what it no longer needs, tell its list."""
        acct = o.account
        del acct.open[o.symbol][o.order_id]
        if o.type in ALGO_TYPES:
            acct.algo_counts[o.symbol] -= 1
        res = o.res
        if res is not None:
            res.users -= 1
            if not res.users and res.amount:
                self.ledger.release(res, res.amount)
            o.res = None  # a finished order holds nothing (and its reservation need not live on with it)
        if o.order_list is not None:
            self._list_leg_closed(o)  # legs are retained with their list
        else:
            closed = acct.closed[o.symbol]
            closed.append(o)
            if len(closed) > self.keep_closed_orders:
                self._forget(closed.popleft())

    def _forget(self, o: Order) -> None:
        """Drop a finished order from every index (retention); GET /order answers -2026 for it from now on."""
        acct = o.account
        symbol = o.symbol
        oid = o.order_id
        del self.orders[oid]
        del acct.orders[symbol][oid]
        cids = acct.client_ids[symbol]
        if cids.get(o.client_order_id) is o:
            del cids[o.client_order_id]
        if oid > acct.pruned_upto.get(symbol, 0):
            acct.pruned_upto[symbol] = oid

    def _list_finished(self, lst) -> None:
        """``lst`` just finished (ALL_DONE): it joins its account's retained finished lists."""
        closed = lst.account.closed_lists
        closed.append(lst)
        if len(closed) > self.keep_closed_lists:
            self._forget_list(closed.popleft())

    def _forget_list(self, lst) -> None:
        acct = lst.account
        del acct.lists[lst.order_list_id]
        del self.order_lists[lst.order_list_id]
        cids = acct.list_client_ids[lst.symbol]
        if cids.get(lst.list_client_order_id) is lst:
            del cids[lst.list_client_order_id]
        for leg in lst.legs:
            self._forget(leg)

    def _final_view(self, o: Order) -> OrderView:
        """``o``'s view for a reply: the one its latest event of this command carries, when there is one.

        Every change a view shows is reported by an event, except the tracking fields of a waiting
        trailing stop, so stop orders always get a fresh view.
        """
        if o.type not in ALGO_TYPES:
            events = self._events
            for i in range(len(events) - 1, max(len(events) - 9, -1), -1):
                ev = events[i]
                if type(ev) is OrderUpdate and ev.order.order_id == o.order_id:
                    return ev.order
        return o.view()

    def _emit(self, o: Order, execution_type: ExecutionType, **extra) -> None:
        eid = self.next_execution_id
        self.next_execution_id = eid + 1
        if extra:  # OrderUpdate(o.view(), execution_type, self._ts, eid, **extra), without its Python __new__
            row = [o.view(), execution_type, self._ts, eid, 0, 0, 0, 0, None, -1, False, "", "", REJ_NONE, 0, -1, 0]
            for name, value in extra.items():
                row[_UPDATE_FIELD[name]] = value
            self._events.append(_new_tuple(OrderUpdate, row))
        else:
            self._events.append(_new_tuple(OrderUpdate, (o.view(), execution_type, self._ts, eid, 0, 0, 0, 0, None, -1,
                                                         False, "", "", REJ_NONE, 0, -1, 0)))

    def _terminate(self, o: Order, status: OrderStatus, execution_type: ExecutionType,
                   reason: ExpiryReason | None = None, **extra) -> None:
        """Take an open order out (book, stop book), set its final status, report it, close it."""
        sym = o.sym
        if o.on_book:
            sym.book.remove(o)
        elif o.order_id in sym.stops.orders:
            sym.stops.remove(o)
        o.status = status
        o.update_ms = self._ts
        if reason is not None:
            o.expiry_reason = reason
        self._emit(o, execution_type, **extra)
        self._close(o)

    def _expire(self, o: Order, reason: ExpiryReason | None = None) -> None:
        self._terminate(o, ST_EXPIRED, EX_EXPIRED, reason)

    def _reject_pending(self, o: Order, reason: RejectReason) -> None:
        self._terminate(o, ST_REJECTED, EX_REJECTED, EXP_REJECTED,
                        reject_reason=reason)
