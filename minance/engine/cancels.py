"""Cancels: one order (and its list), an order list, every open order of a symbol, and cancelReplace."""

from __future__ import annotations

from minance.domain.errors import BinanceError, Err, illegal
from minance.domain.orders import (
    CancelReplaceMode,
    CancelRestrictions,
    ExecutionType,
    OrderStatus,
    RejectReason,
)
from minance.engine.commands import CancelOpenOrders, CancelOrder, CancelOrderList, CancelReplace, NewOrder
from minance.engine.events import CancelAllReply, CancelReplaceReply, CancelReply, ListReply, OrderUpdate
from minance.engine.placement import _CLIENT_ID, CLIENT_ID_RANGE, Rejected, _member, check_order_enums
from minance.engine.state import AccountState, Order, OrderList

__all__ = ["CancelsMixin"]

# Enum members as module constants: on Python 3.11 `OrderType.LIMIT` costs ~10x a global lookup.
EX_CANCELED = ExecutionType.CANCELED
REJ_NONE = RejectReason.NONE
ONLY_NEW = CancelRestrictions.ONLY_NEW
STOP_ON_FAILURE = CancelReplaceMode.STOP_ON_FAILURE
ST_CANCELED = OrderStatus.CANCELED
ST_NEW = OrderStatus.NEW
ST_PARTIALLY_FILLED = OrderStatus.PARTIALLY_FILLED

_new_tuple = tuple.__new__  # builds a NamedTuple without its Python-level __new__ (hot path)
_RESTRICTIONS = {m.value: m for m in CancelRestrictions}
_MODES = {m.value: m for m in CancelReplaceMode}


def _unknown() -> Rejected:
    return Rejected(Err.CANCEL_REJECTED())


def _restrictions(value) -> CancelRestrictions | None:
    if value is None:
        return None
    wanted = _member(_RESTRICTIONS, value)
    if wanted is None:
        raise Rejected(Err.INVALID_CANCEL_RESTRICTIONS())
    return wanted


class CancelsMixin:
    def _open_order_for_cancel(self, account_id: int, symbol: str, order_id: int | None, orig_cid: str | None,
                               restrictions) -> Order:
        self._symbol(symbol)
        if order_id is None and orig_cid is None:
            raise Rejected(Err.EITHER_PARAM(first="orderId", second="origClientOrderId"))
        wanted = None if restrictions is None else _restrictions(restrictions)
        acct = self.accounts.get(account_id)
        o = self._lookup_order(acct, symbol, order_id, orig_cid)
        if o is None or not o.is_open:
            raise _unknown()
        if wanted is not None and o.status is not (ST_NEW if wanted is ONLY_NEW else ST_PARTIALLY_FILLED):
            raise Rejected(Err.CANCEL_RESTRICTED())
        return o

    def _lookup_order(self, acct: AccountState | None, symbol: str, order_id: int | None,
                      orig_cid: str | None) -> Order | None:
        if acct is None:
            return None
        if order_id is not None:
            o = self.orders.get(order_id)
            if o is None or o.account is not acct or o.symbol != symbol:
                return None
            if orig_cid is not None and o.client_order_id != orig_cid:
                return None
            return o
        return acct.client_ids.get(symbol, {}).get(orig_cid)

    def _cancel_client_id(self, acct: AccountState, symbol: str, cid: str | None) -> str:
        if cid is None:
            return self._next_client_id(acct, symbol)
        if not _CLIENT_ID.fullmatch(cid):
            raise Rejected(illegal("newClientOrderId", CLIENT_ID_RANGE))
        return cid

    def _cancel(self, o: Order, cancel_cid: str) -> CancelReply:
        """Cancel ``o``; a leg takes its whole list with it."""
        orig = o.client_order_id
        lst = o.order_list
        ts = self._ts
        if lst is not None:
            list_reply = self._cancel_list(lst, cancel_cid, first=o)
            return _new_tuple(CancelReply, (o.view(), orig, cancel_cid, ts, list_reply))
        # self._terminate(o, ST_CANCELED, EX_CANCELED, orig_client_order_id=orig, cancel_client_order_id=...)
        sym = o.sym
        if o.on_book:
            sym.book.remove(o)
        elif o.order_id in sym.stops.orders:
            sym.stops.remove(o)
        o.status = ST_CANCELED
        o.update_ms = ts
        eid = self.next_execution_id
        self.next_execution_id = eid + 1
        view = o.view()
        update = _new_tuple(OrderUpdate, (view, EX_CANCELED, ts, eid, 0, 0, 0, 0, None, -1, False, orig, cancel_cid,
                                          REJ_NONE, 0, -1, 0))
        events = self._events
        events.append(update)
        self._close(o)
        final = view if events[-1] is update else self._final_view(o)
        return _new_tuple(CancelReply, (final, orig, cancel_cid, ts, None))

    def _cancel_list(self, lst: OrderList, cancel_cid: str, first: Order | None = None) -> ListReply:
        legs = list(lst.legs)
        if first is not None:
            legs.remove(first)
            legs.insert(0, first)
        self._cancel_cid = cancel_cid  # legs the first one takes with it report this cancel too
        try:
            for leg in legs:
                if leg.is_open:
                    self._terminate(leg, ST_CANCELED, EX_CANCELED,
                                    orig_client_order_id=leg.client_order_id, cancel_client_order_id=cancel_cid)
        finally:
            self._cancel_cid = None
        return ListReply(lst.view(), [o.view() for o in lst.legs], self._ts, None, cancel_cid)

    # commands -------------------------------------------------------------------------------------------
    def _cmd_cancel_order(self, cmd: CancelOrder) -> CancelReply:
        o = self._open_order_for_cancel(cmd.account_id, cmd.symbol, cmd.order_id, cmd.orig_client_order_id,
                                        cmd.cancel_restrictions)
        cid = self._cancel_client_id(o.account, cmd.symbol, cmd.new_client_order_id)
        return self._cancel(o, cid)

    def _cmd_cancel_order_list(self, cmd: CancelOrderList) -> ListReply:
        self._symbol(cmd.symbol)
        if cmd.order_list_id is None and cmd.list_client_order_id is None:
            raise Rejected(Err.EITHER_PARAM(first="orderListId", second="listClientOrderId"))
        acct = self.accounts.get(cmd.account_id)
        lst = self._lookup_list(acct, cmd.symbol, cmd.order_list_id, cmd.list_client_order_id)
        if lst is None or not lst.is_open:
            raise Rejected(Err.NO_SUCH_ORDER_LIST())
        cid = self._cancel_client_id(acct, cmd.symbol, cmd.new_client_order_id)
        return self._cancel_list(lst, cid)

    def _lookup_list(self, acct: AccountState | None, symbol: str, list_id: int | None,
                     list_cid: str | None) -> OrderList | None:
        if acct is None:
            return None
        if list_id is not None:
            lst = acct.lists.get(list_id)
            if lst is None or lst.symbol != symbol:
                return None
            if list_cid is not None and lst.list_client_order_id != list_cid:
                return None
            return lst
        return acct.list_client_ids.get(symbol, {}).get(list_cid)

    def _cmd_cancel_open_orders(self, cmd: CancelOpenOrders) -> CancelAllReply:
        self._symbol(cmd.symbol)
        acct = self.accounts.get(cmd.account_id)
        open_orders = sorted(acct.open.get(cmd.symbol, {}).values(), key=lambda o: o.order_id) if acct else []
        if not open_orders:
            raise _unknown()
        items: list = []
        seen_lists: set[int] = set()
        for o in open_orders:
            if not o.is_open:
                continue
            if o.order_list is None:
                items.append(self._cancel(o, self._next_client_id(acct, cmd.symbol)))
            elif o.order_list_id not in seen_lists:
                seen_lists.add(o.order_list_id)
                items.append(self._cancel_list(o.order_list, self._next_client_id(acct, cmd.symbol)))
        return CancelAllReply(items)

    def _cmd_cancel_replace(self, cmd: CancelReplace) -> CancelReplaceReply:
        mode = _member(_MODES, cmd.mode)
        if mode is None:
            raise Rejected(Err.INVALID_PARAM_DATA(name="cancelReplaceMode"))
        new = cmd.new_order
        if type(new) is not NewOrder or new.symbol != cmd.symbol or new.account_id != cmd.account_id:
            raise Rejected(Err.OPTIONAL_PARAMS_BAD_COMBO())
        # a malformed request changes nothing: judged before the cancel, as a whole
        self._symbol(cmd.symbol)
        check_order_enums(new)
        _restrictions(cmd.cancel_restrictions)
        cancel: CancelReply | BinanceError
        try:
            o = self._open_order_for_cancel(cmd.account_id, cmd.symbol, cmd.cancel_order_id,
                                            cmd.cancel_orig_client_order_id, cmd.cancel_restrictions)
            cid = self._cancel_client_id(o.account, cmd.symbol, cmd.cancel_new_client_order_id)
        except Rejected as rejected:
            cancel = rejected.error
            if mode is STOP_ON_FAILURE:
                self._result.error = Err.CANCEL_REPLACE_FAILED()
                return CancelReplaceReply("FAILURE", "NOT_ATTEMPTED", cancel, None)
        else:
            cancel = self._cancel(o, cid)
        new_order: object
        try:
            new_order = self._cmd_new_order(cmd.new_order)
        except Rejected as rejected:
            new_order = rejected.error
        cancel_ok = not isinstance(cancel, BinanceError)
        new_ok = not isinstance(new_order, BinanceError)
        if not (cancel_ok and new_ok):
            self._result.error = (Err.CANCEL_REPLACE_PARTIALLY_FAILED() if cancel_ok or new_ok
                                  else Err.CANCEL_REPLACE_FAILED())
        return CancelReplaceReply("SUCCESS" if cancel_ok else "FAILURE", "SUCCESS" if new_ok else "FAILURE",
                                  cancel, new_order)
