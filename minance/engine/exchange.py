"""The exchange: one single-writer state machine, ``handle(command) -> Result``, plus read-only queries.

Pure and deterministic: no clock, no randomness, no I/O. Time arrives in each command's ``ts_ms``; ids
(orders, lists, trades, executions, prevented matches, generated clientOrderIds) come from counters in the
state. A declined command changes nothing and returns ``Result(error=BinanceError(...))``; a broken
invariant is an AssertionError.

The behaviour is split by concern across mixins: placement (validation, reservation), matching (sweep,
self-trade prevention, fills, stop triggers), order lists, cancels, queries, snapshots.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping

from minance.domain.errors import BinanceError
from minance.domain.orders import (
    ALGO_TYPES,
    ExecutionType,
    ExpiryReason,
    OrderStatus,
    OrderView,
    RejectReason,
    to_units,
)
from minance.engine.cancels import CancelsMixin
from minance.engine.clientids import generated_client_id
from minance.engine.commands import (
    CancelOpenOrders,
    CancelOrder,
    CancelOrderList,
    CancelReplace,
    Deposit,
    NewOco,
    NewOrder,
    NewOto,
    NewOtoco,
    SetCommission,
    Withdraw,
)
from minance.engine.events import BalanceDelta, BalanceUpdate, BookDelta, OrderUpdate, Result
from minance.engine.ledger import Ledger
from minance.engine.lists import ListsMixin
from minance.engine.matching import MatchingMixin
from minance.engine.placement import PlacementMixin, Rejected
from minance.engine.queries import QueriesMixin
from minance.engine.rules import SymbolRules, precision_error
from minance.engine.snapshots import SnapshotsMixin
from minance.engine.state import AccountState, Order, SymbolState
from minance.market.symbols import DEFAULT_SYMBOLS, SymbolSpec

__all__ = ["FEE_ACCOUNT_ID", "Exchange"]

# Enum members as module constants: on Python 3.11 `OrderType.LIMIT` costs ~10x a global lookup.
EXP_REJECTED = ExpiryReason.REJECTED
EX_EXPIRED = ExecutionType.EXPIRED
EX_REJECTED = ExecutionType.REJECTED
ST_EXPIRED = OrderStatus.EXPIRED
ST_REJECTED = OrderStatus.REJECTED

FEE_ACCOUNT_ID = 0  # the account commissions are credited to
REJ_NONE = RejectReason.NONE
_new_tuple = tuple.__new__  # builds a NamedTuple without its Python-level __new__ (hot path)
MSG_INSUFFICIENT = "Account has insufficient balance for requested action."


class Exchange(PlacementMixin, MatchingMixin, ListsMixin, CancelsMixin, QueriesMixin, SnapshotsMixin):
    """Binance-compatible spot matching engine and ledger for a set of symbols."""

    def __init__(self, symbols: Mapping[str, SymbolSpec] | Iterable[SymbolSpec] = DEFAULT_SYMBOLS, *,
                 fee_account_id: int = FEE_ACCOUNT_ID, maker_bps: int = 10, taker_bps: int = 10,
                 keep_entries: bool = False) -> None:
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
                                                    self.ledger.cell(fee_account_id, spec.quote))
        self.orders: dict[int, Order] = {}
        self.order_lists: dict = {}
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
        self._fills: list = []
        self._prevented: list = []
        self._touched_symbols: list[SymbolState] = []  # whose books the command may have changed
        self._handlers = {
            NewOrder: self._cmd_new_order, CancelOrder: self._cmd_cancel_order,
            CancelOpenOrders: self._cmd_cancel_open_orders, CancelReplace: self._cmd_cancel_replace,
            NewOco: self._cmd_new_oco, NewOto: self._cmd_new_oto, NewOtoco: self._cmd_new_otoco,
            CancelOrderList: self._cmd_cancel_order_list, Deposit: self._cmd_deposit,
            Withdraw: self._cmd_withdraw, SetCommission: self._cmd_set_commission,
        }

    # the one entry point --------------------------------------------------------------------------------
    def handle(self, command) -> Result:
        """Apply one command; return its events, reply and rate-limit hooks (or the rejection)."""
        handler = self._handlers.get(type(command))
        if handler is None:
            raise TypeError(f"not a command: {command!r}")
        self._ts = command.ts_ms
        events = self._events = []
        result = self._result = Result(events)
        try:
            result.reply = handler(command)
        except Rejected as rejected:
            assert not events and not self.ledger.touched, "a rejected command must not change state"
            self._touched_symbols = []
            return Result(error=rejected.error)
        self._end_command(result)
        return result

    def _end_command(self, result: Result) -> None:
        ts = self._ts
        ledger = self.ledger
        events = self._events
        if ledger.touched:
            for cell in ledger.touched:
                events.append(_new_tuple(BalanceUpdate, (cell.account_id, cell.asset, cell.free, cell.locked, ts)))
            ledger.touched = {}
        for sym in self._touched_symbols:
            book = sym.book
            if book.changed_bids or book.changed_asks:
                first, bids, asks = book.drain_changes()
                events.append(BookDelta(sym.symbol, first, book.update_id, bids, asks, ts))
        self._reply_order = None
        self._fills = []
        self._prevented = []
        self._touched_symbols = []

    # accounts -------------------------------------------------------------------------------------------
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
            raise Rejected(BinanceError(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, "
                                               "or malformed."))
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
            raise Rejected(BinanceError(-2010, MSG_INSUFFICIENT))
        self.ledger.withdraw(cell, amount)
        event = BalanceDelta(cmd.account_id, cmd.asset, -amount, cmd.ts_ms)
        self._events.append(event)
        return event

    def _cmd_set_commission(self, cmd: SetCommission) -> None:
        if not (0 <= cmd.maker_bps <= 10_000 and 0 <= cmd.taker_bps <= 10_000):
            raise Rejected(BinanceError(-1130, "Data sent for parameter 'commission' is not valid."))
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

    def _register(self, o: Order) -> None:
        """Index a new open order."""
        acct = o.account
        symbol = o.symbol
        self.orders[o.order_id] = o
        by_symbol = acct.orders.get(symbol)
        if by_symbol is None:
            by_symbol = acct.orders[symbol] = []
            acct.trades[symbol] = []
            acct.client_ids[symbol] = {}
            acct.open.setdefault(symbol, {})
        acct.open[symbol][o.order_id] = o
        by_symbol.append(o)
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
        if o.order_list is not None:
            self._list_leg_closed(o)

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
        if extra:
            self._events.append(OrderUpdate(o.view(), execution_type, self._ts, eid, **extra))
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
