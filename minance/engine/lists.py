"""Order lists: OCO (both request forms map to one), OTO and OTOCO.

OCO: two legs, one ``STOP_LOSS*`` and one ``LIMIT_MAKER``/``TAKE_PROFIT*``, on opposite sides of the
market (SELL: the stop-loss leg below, BUY: above). They share one lock (SELL: the quantity; BUY: the
larger of the two legs' costs). When a leg fires or gets its first fill, the other expires; when a leg ends
without a fill, the other follows (cancelled if it was cancelled, expired otherwise).

OTO/OTOCO: ``legs[0]`` works; the pending legs (PENDING_NEW) lock nothing until the working order is
FILLED, then they are placed (an OTOCO's pair as an OCO). A pending LIMIT_MAKER that would take, or
pending legs the account cannot pay for, are REJECTED; a pending stop already met fires at once.
"""

from __future__ import annotations

from minance.domain.errors import Err
from minance.domain.orders import (
    STOP_TYPES,
    ContingencyType,
    ExecutionType,
    ExpiryReason,
    ListOrderStatus,
    ListStatusType,
    OrderStatus,
    OrderType,
    RejectReason,
    ResponseType,
    Side,
)
from minance.engine.clientids import generated_client_id
from minance.engine.commands import NewOco, NewOto, NewOtoco, OrderLeg
from minance.engine.events import ListReply, ListStatus
from minance.engine.ledger import Reservation
from minance.engine.placement import (
    _SIDES,
    OrderSpec,
    Rejected,
    _member,
    _not_required,
    parse_order,
)
from minance.engine.state import AccountState, Order, OrderList, SymbolState
from minance.engine.stops import would_trigger

__all__ = ["ListsMixin"]

# Enum members as module constants: on Python 3.11 `OrderType.LIMIT` costs ~10x a global lookup.
BUY = Side.BUY
EXP_OCO_TRIGGER = ExpiryReason.OCO_TRIGGER
EXP_OTO_PHASE_ONE_EXPIRED = ExpiryReason.OTO_PHASE_ONE_EXPIRED
EX_CANCELED = ExecutionType.CANCELED
EX_NEW = ExecutionType.NEW
LIMIT = OrderType.LIMIT
LIMIT_MAKER = OrderType.LIMIT_MAKER
LOS_ALL_DONE = ListOrderStatus.ALL_DONE
LST_ALL_DONE = ListStatusType.ALL_DONE
LST_UPDATED = ListStatusType.UPDATED
MARKET = OrderType.MARKET
OCO = ContingencyType.OCO
OTO = ContingencyType.OTO
REJ_INSUFFICIENT_BALANCES = RejectReason.INSUFFICIENT_BALANCES
REJ_WOULD_MATCH_IMMEDIATELY = RejectReason.WOULD_MATCH_IMMEDIATELY
RESP_RESULT = ResponseType.RESULT
SELL = Side.SELL
ST_CANCELED = OrderStatus.CANCELED
ST_FILLED = OrderStatus.FILLED
ST_NEW = OrderStatus.NEW
ST_PENDING_NEW = OrderStatus.PENDING_NEW

_LOSS = frozenset({OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT})
_PROFIT = frozenset({OrderType.LIMIT_MAKER, OrderType.TAKE_PROFIT, OrderType.TAKE_PROFIT_LIMIT})
_WORKING_TYPES = frozenset({OrderType.LIMIT, OrderType.LIMIT_MAKER})


def _side(value) -> Side:
    side = _member(_SIDES, value)
    if side is None:
        raise Rejected(Err.INVALID_SIDE())
    return side


def _leg_spec(leg: OrderLeg, side, quantity) -> OrderSpec:
    return parse_order(leg.side or side, leg.type, leg.time_in_force, leg.quantity or quantity, None, leg.price,
                       leg.stop_price, leg.trailing_delta, leg.client_order_id, leg.strategy_id, leg.strategy_type)


def _check_oco_shape(side: Side, above: OrderSpec, below: OrderSpec) -> None:
    loss, profit = (below, above) if side is SELL else (above, below)
    if loss.type not in _LOSS or profit.type not in _PROFIT:
        raise Rejected(Err.OPTIONAL_PARAMS_BAD_COMBO())


class ListsMixin:
    # placement ------------------------------------------------------------------------------------------
    def _check_list_ids(self, acct: AccountState | None, sym: SymbolState, list_cid: str | None,
                        specs: list[OrderSpec]) -> None:
        cids = [s.client_order_id for s in specs if s.client_order_id]
        if len(set(cids)) != len(cids):
            raise Rejected(Err.DUPLICATE_ORDER())
        for cid in cids:
            self._check_client_id(acct, sym.symbol, cid)
        if list_cid is not None and acct is not None:
            other = acct.list_client_ids.get(sym.symbol, {}).get(list_cid)
            if other is not None and other.is_open:
                raise Rejected(Err.DUPLICATE_ORDER())

    def _oco_need(self, specs: list[OrderSpec], sym: SymbolState) -> int:
        return max(self._lock_need(s, sym, s.qty) for s in specs)

    def _new_list(self, sym: SymbolState, acct: AccountState, list_cid: str | None, contingency: ContingencyType,
                  is_oto: bool) -> OrderList:
        lid = self.next_list_id
        self.next_list_id = lid + 1
        lst = OrderList(lid, sym.symbol, acct, list_cid or self._list_client_id(), contingency, is_oto, self._ts)
        acct.lists[lid] = lst
        acct.list_client_ids.setdefault(sym.symbol, {})[lst.list_client_order_id] = lst
        self.order_lists[lid] = lst
        return lst

    def _list_client_id(self) -> str:
        cid = generated_client_id(self.next_client_seq)
        self.next_client_seq += 1
        return cid

    def _add_leg(self, lst: OrderList, spec: OrderSpec, sym: SymbolState, acct: AccountState, stp,
                 res: Reservation | None) -> Order:
        o = self._new_order_obj(spec, sym, acct, stp, spec.qty)
        o.order_list = lst
        o.order_list_id = lst.order_list_id
        o.res = res
        lst.legs.append(o)
        return o

    def _list_response_type(self, value) -> ResponseType:
        """Order lists always carry orderReports: RESULT unless asked otherwise."""
        return RESP_RESULT if value is None else self._response_type(value, LIMIT)

    def _list_reply(self, lst: OrderList, resp) -> ListReply:
        return ListReply(lst.view(), [o.view() for o in lst.legs], self._ts, resp)

    def _cmd_new_oco(self, cmd: NewOco) -> ListReply:
        sym = self._symbol(cmd.symbol)
        side = _side(cmd.side)
        above = _leg_spec(cmd.above, side, cmd.quantity)
        below = _leg_spec(cmd.below, side, cmd.quantity)
        if cmd.above.quantity is not None or cmd.below.quantity is not None:
            raise _not_required("quantity")
        _check_oco_shape(side, above, below)
        stp = self._stp(cmd.stp_mode, sym)
        resp = self._list_response_type(cmd.response_type)
        avg = self._avg(sym, cmd.avg_price)
        for spec in (above, below):
            self._check_filters(spec, sym, avg)
        acct = self.accounts.get(cmd.account_id)
        self._check_counts(acct, sym, 2, sum(s.type in STOP_TYPES for s in (above, below)))
        self._check_list_ids(acct, sym, cmd.list_client_order_id, [above, below])
        if cmd.legacy:
            self._check_legacy_prices(side, above, below, sym)
        for spec in (above, below):
            self._check_engine_rules(spec, sym)
        need = self._oco_need([above, below], sym)
        self._check_funds(acct, sym.quote if side is BUY else sym.base, need)
        # committed
        acct = self.account(cmd.account_id)
        lst = self._new_list(sym, acct, cmd.list_client_order_id, OCO, False)
        cell = self.ledger.cell(acct.account_id, sym.quote if side is BUY else sym.base)
        res = Reservation(cell, 0, users=2)
        self.ledger.reserve(res, need)
        first, second = below, above
        if cmd.legacy and above.type in _LOSS:
            first, second = above, below
        legs = [self._add_leg(lst, spec, sym, acct, stp, res) for spec in (first, second)]
        self._result.new_orders += 2
        for o in legs:
            self._emit(o, EX_NEW)
        self._emit_list(lst)
        for o in legs:
            if o.is_open:
                self._start(o)
        reply = self._list_reply(lst, resp)
        self._drain()
        return reply

    def _check_legacy_prices(self, side: Side, above: OrderSpec, below: OrderSpec, sym: SymbolState) -> None:
        limit, stop = (above, below) if side is SELL else (below, above)
        limit_price = limit.price
        stop_price = stop.stop
        last = sym.last_price
        if not stop_price:
            return
        if side is SELL:
            ok = limit_price > stop_price and (not last or limit_price > last > stop_price)
        else:
            ok = limit_price < stop_price and (not last or limit_price < last < stop_price)
        if not ok:
            raise Rejected(Err.OCO_PRICES())

    def _cmd_new_oto(self, cmd: NewOto) -> ListReply:
        return self._place_oto(cmd, [_leg_spec(cmd.pending, None, None)])

    def _cmd_new_otoco(self, cmd: NewOtoco) -> ListReply:
        side = _side(cmd.pending_side)
        above = _leg_spec(cmd.pending_above, side, cmd.pending_quantity)
        below = _leg_spec(cmd.pending_below, side, cmd.pending_quantity)
        _check_oco_shape(side, above, below)
        return self._place_oto(cmd, [below, above])

    def _place_oto(self, cmd: NewOto | NewOtoco, pending: list[OrderSpec]) -> ListReply:
        sym = self._symbol(cmd.symbol)
        working = _leg_spec(cmd.working, None, None)
        if working.type not in _WORKING_TYPES:
            raise Rejected(Err.OPTIONAL_PARAMS_BAD_COMBO())
        if any(s.type is MARKET and s.quote_qty for s in pending):
            raise Rejected(Err.OPTIONAL_PARAMS_BAD_COMBO())
        stp = self._stp(cmd.stp_mode, sym)
        resp = self._list_response_type(cmd.response_type)
        avg = self._avg(sym, cmd.avg_price)
        specs = [working, *pending]
        for spec in specs:
            self._check_filters(spec, sym, avg)
        acct = self.accounts.get(cmd.account_id)
        self._check_counts(acct, sym, len(specs), sum(s.type in STOP_TYPES for s in specs))
        self._check_list_ids(acct, sym, cmd.list_client_order_id, specs)
        self._check_engine_rules(working, sym)
        need = self._lock_need(working, sym, working.qty)
        self._check_funds(acct, sym.quote if working.is_buy else sym.base, need)
        # committed
        acct = self.account(cmd.account_id)
        lst = self._new_list(sym, acct, cmd.list_client_order_id, OTO, True)
        res = Reservation(self.ledger.cell(acct.account_id, sym.quote if working.is_buy else sym.base), 0)
        self.ledger.reserve(res, need)
        w = self._add_leg(lst, working, sym, acct, stp, res)
        waiting = [self._add_leg(lst, spec, sym, acct, stp, None) for spec in pending]
        for o in waiting:
            o.status = ST_PENDING_NEW
            o.is_working = False
            o.working_ms = -1
        self._result.new_orders += len(specs)
        for o in lst.legs:
            self._emit(o, EX_NEW)
        self._emit_list(lst)
        self._start(w)
        reply = self._list_reply(lst, resp)  # as Binance: pending legs still show PENDING_NEW here
        self._drain()
        return reply

    # activation of pending legs --------------------------------------------------------------------------
    def _activate_pending(self, lst: OrderList) -> None:
        legs = [o for o in lst.legs[1:] if o.status is ST_PENDING_NEW]
        if not legs:
            return
        sym = legs[0].sym
        specs = [OrderSpec(o.side, o.type, o.tif, o.qty, o.price, o.stop_price, o.trailing_delta, 0, None, None,
                           None, o.is_buy) for o in legs]
        need = max(self._lock_need(s, sym, s.qty) for s in specs)
        cell = legs[0].quote_cell if legs[0].is_buy else legs[0].base_cell
        if cell.free < need:
            for o in legs:
                if o.status is ST_PENDING_NEW:
                    self._reject_pending(o, REJ_INSUFFICIENT_BALANCES)
            return
        res = Reservation(cell, 0, users=len(legs))
        self.ledger.reserve(res, need)
        for o in legs:
            o.res = res
            o.status = ST_NEW
            o.update_ms = self._ts
        lst.status_type = LST_UPDATED
        self._emit_list(lst)
        for o in legs:
            if o.status is not ST_NEW:
                continue  # a sibling's start already ended it
            self._emit(o, EX_NEW)
            self._start_pending(o)

    def _start_pending(self, o: Order) -> None:
        sym = o.sym
        if o.type is LIMIT_MAKER:
            best = self._best_merged(sym, not o.is_buy)
            if best and (o.price >= best if o.is_buy else o.price <= best):
                self._reject_pending(o, REJ_WOULD_MATCH_IMMEDIATELY)
                return
        if o.type in STOP_TYPES and would_trigger(o.type, o.is_buy, o.stop_price, sym.last_price):
            o.is_working = True
            o.working_ms = self._ts
            self._list_leg_progress(o)
            self._deferred.append((0, o))  # fires at once
            return
        self._start(o)

    # what legs do to their list --------------------------------------------------------------------------
    def _oco_group(self, lst: OrderList, o: Order) -> list[Order]:
        if not lst.is_oto:
            return lst.legs
        if o is lst.legs[0] or len(lst.legs) < 3:
            return []
        return lst.legs[1:]

    def _list_leg_progress(self, o: Order) -> None:
        """A leg fired or got its first fill: its OCO siblings expire."""
        lst = o.order_list
        group = self._oco_group(lst, o)
        if not group or lst.resolved:
            return
        lst.resolved = True
        for s in group:
            if s is not o and s.is_open and s.status is not ST_PENDING_NEW:
                self._expire(s, EXP_OCO_TRIGGER)

    def _list_leg_closed(self, o: Order) -> None:
        lst = o.order_list
        cancelled = o.status is ST_CANCELED
        if lst.is_oto and o is lst.legs[0]:
            if o.status is ST_FILLED:
                self._defer_activation(lst)
            else:
                for s in lst.legs[1:]:
                    if s.is_open:
                        self._end_sibling(s, cancelled, EXP_OTO_PHASE_ONE_EXPIRED)
        elif not lst.resolved:  # a leg ended without firing or filling: the others follow it
            for s in self._oco_group(lst, o):
                if s is not o and s.is_open:
                    self._end_sibling(s, cancelled, None)
        if lst.is_open and not any(s.is_open for s in lst.legs):
            lst.status_type = LST_ALL_DONE
            lst.order_status = LOS_ALL_DONE
            lst.transaction_ms = self._ts
            self._emit_list(lst)
            self._list_finished(lst)

    def _end_sibling(self, s: Order, cancelled: bool, reason: ExpiryReason | None) -> None:
        if cancelled:  # only a cancel of the list (or of one leg) cancels: it reports the cancel's ids
            self._terminate(s, ST_CANCELED, EX_CANCELED, orig_client_order_id=s.client_order_id,
                            cancel_client_order_id=self._cancel_cid or "")
        else:
            self._expire(s, reason)

    def _emit_list(self, lst: OrderList) -> None:
        self._events.append(ListStatus(lst.view(), self._ts))
