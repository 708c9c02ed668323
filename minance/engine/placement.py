"""New orders: parameter rules, filters, engine checks, the funds to lock, then placement.

Everything that can decline an order runs before anything changes, and declines by raising
:class:`Rejected` (turned into ``Result.error`` by ``Exchange.handle``).

Funds locked at placement (released when the order ends; a resting BUY is trimmed to price × open qty):

- SELL: the quantity (quoteOrderQty MARKET: the quantity the book walk says it will sell).
- BUY with a limit price: price × quantity, rounded up.
- MARKET BUY: quoteOrderQty, or the cost of walking the book for the quantity.
- STOP_LOSS / TAKE_PROFIT BUY: stopPrice × quantity (trailing without stopPrice: last price × quantity);
  when it fires and the fills cost more, the difference is taken from free funds, and what cannot be
  paid for expires.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import NamedTuple

from minance.domain.errors import BinanceError, Err, illegal, mandatory
from minance.domain.orders import (
    LIMIT_PRICE_TYPES,
    STOP_TYPES,
    UNITS_PER_ONE,
    ExecutionType,
    OrderType,
    RejectReason,
    ResponseType,
    Side,
    StpMode,
    TimeInForce,
    default_response_type,
    to_units,
)
from minance.engine.clientids import generated_client_id
from minance.engine.commands import NewOrder
from minance.engine.events import OrderReply, OrderUpdate
from minance.engine.ledger import Reservation
from minance.engine.rules import filter_failure
from minance.engine.state import AccountState, Order, SymbolState
from minance.engine.stops import would_trigger

__all__ = ["OrderSpec", "PlacementMixin", "Rejected"]

# Enum members as module constants: on Python 3.11 `OrderType.LIMIT` costs ~10x a global lookup.
BUY = Side.BUY
EX_NEW = ExecutionType.NEW
GTC = TimeInForce.GTC
LIMIT = OrderType.LIMIT
LIMIT_MAKER = OrderType.LIMIT_MAKER
MARKET = OrderType.MARKET
REJ_NONE = RejectReason.NONE

ONE = UNITS_PER_ONE
_NEEDS_TIF = frozenset({OrderType.LIMIT, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT})
_SIDES = {m.value: m for m in Side}
_TYPES = {m.value: m for m in OrderType}
_TIFS = {m.value: m for m in TimeInForce}
_STPS = {m.value: m for m in StpMode}
_RESP = {m.value: m for m in ResponseType}
_DEFAULT_RESP = {t: default_response_type(t) for t in OrderType}
_CLIENT_ID = re.compile(r"[a-zA-Z0-9_-]{1,36}")
CLIENT_ID_RANGE = "^[a-zA-Z0-9-_]{1,36}$"


def _member(table: dict, value):
    """The enum member ``value`` (a member or its string) names in ``table``, or None: also for values that are
    not strings at all (unhashable ones included)."""
    try:
        return table.get(value)
    except TypeError:
        return None


def _bad_stp() -> Rejected:
    return Rejected(Err.INVALID_PARAM_DATA(name="selfTradePreventionMode"))


def _bad_response_type() -> Rejected:
    return Rejected(Err.INVALID_PARAM_DATA(name="newOrderRespType"))


def check_order_enums(cmd: NewOrder) -> None:
    """The enum fields of a new order, judged as POST /order judges them (raises Rejected).

    For commands that must not change anything before their new order is known to be well formed
    (cancelReplace cancels first)."""
    if _member(_SIDES, cmd.side) is None:
        raise Rejected(Err.INVALID_SIDE())
    if _member(_TYPES, cmd.type) is None:
        raise Rejected(Err.INVALID_ORDER_TYPE())
    if cmd.time_in_force is not None and _member(_TIFS, cmd.time_in_force) is None:
        raise Rejected(Err.INVALID_TIF())
    if cmd.stp_mode is not None and _member(_STPS, cmd.stp_mode) is None:
        raise _bad_stp()
    if cmd.response_type is not None and _member(_RESP, cmd.response_type) is None:
        raise _bad_response_type()


class Rejected(Exception):
    def __init__(self, error: BinanceError) -> None:
        super().__init__(error.msg)
        self.error = error


def _not_required(name: str) -> Rejected:
    return Rejected(Err.PARAM_SENT_NOT_REQUIRED(name=name))


class OrderSpec(NamedTuple):
    """One order's parameters, checked and in units (0 = absent)."""

    side: Side
    type: OrderType
    tif: TimeInForce
    qty: int
    price: int
    stop: int
    trailing: int
    quote_qty: int
    client_order_id: str | None
    strategy_id: int | None
    strategy_type: int | None
    is_buy: bool


_new_tuple = tuple.__new__  # builds a NamedTuple without its Python-level __new__ (hot path)
_UNITS_CACHE: dict = {}  # Decimal → units; amounts repeat a lot (prices near the touch, lot sizes)


def _units(name: str, value) -> int:
    """Units of a parameter, or -1111 when it has more than 8 decimals."""
    if value is None:
        return 0
    try:
        units = _UNITS_CACHE.get(value)
    except TypeError:  # NaN cannot be hashed
        units = None
    if units is None:
        units = to_units(value) if isinstance(value, Decimal) else to_units(Decimal(str(value)))
        if units is None:
            raise Rejected(Err.TOO_MUCH_PRECISION(name=name))
        if len(_UNITS_CACHE) > 50_000:
            _UNITS_CACHE.clear()
        _UNITS_CACHE[value] = units
    return units


def parse_order(side, order_type, tif, quantity, quote_qty, price, stop_price, trailing_delta, client_order_id,
                strategy_id=None, strategy_type=None) -> OrderSpec:
    """Binance's parameter rules for one order (the server checks the same; the engine cannot trust it)."""
    try:
        side_v = _SIDES.get(side)
        type_v = _TYPES.get(order_type)
        tif_v = None if tif is None else _TIFS.get(tif)
    except TypeError:  # something unhashable: no enum value
        side_v, type_v = _member(_SIDES, side), _member(_TYPES, order_type)
        tif_v = None if tif is None else _member(_TIFS, tif)
    if side_v is None:
        raise Rejected(Err.INVALID_SIDE())
    if type_v is None:
        raise Rejected(Err.INVALID_ORDER_TYPE())
    if tif is not None and tif_v is None:
        raise Rejected(Err.INVALID_TIF())
    if type_v in _NEEDS_TIF:
        if tif_v is None:
            raise Rejected(mandatory("timeInForce"))
    elif tif_v is not None and type_v is not MARKET:
        raise Rejected(Err.TIF_NOT_REQUIRED())
    if type_v is MARKET:
        if quantity is None and quote_qty is None:
            raise Rejected(Err.EITHER_PARAM(first="quantity", second="quoteOrderQty"))
        if quantity is not None and quote_qty is not None:
            raise Rejected(Err.OPTIONAL_PARAMS_BAD_COMBO())
    else:
        if quantity is None:
            raise Rejected(mandatory("quantity"))
        if quote_qty is not None:
            raise _not_required("quoteOrderQty")
    if type_v in LIMIT_PRICE_TYPES:
        if price is None:
            raise Rejected(mandatory("price"))
    elif price is not None:
        raise _not_required("price")
    if type_v in STOP_TYPES:
        if stop_price is None and trailing_delta is None:
            raise Rejected(Err.EITHER_PARAM(first="stopPrice", second="trailingDelta"))
    elif stop_price is not None:
        raise _not_required("stopPrice")
    elif trailing_delta is not None:
        raise _not_required("trailingDelta")
    if client_order_id is not None and not _CLIENT_ID.fullmatch(client_order_id):
        raise Rejected(illegal("newClientOrderId", CLIENT_ID_RANGE))
    cache = _UNITS_CACHE
    try:  # the common case: amounts seen before
        qty = cache[quantity] if quantity is not None else 0
    except (KeyError, TypeError):
        qty = _units("quantity", quantity)
    try:
        price_u = cache[price] if price is not None else 0
    except (KeyError, TypeError):
        price_u = _units("price", price)
    stop_u = _units("stopPrice", stop_price) if stop_price is not None else 0
    qq = 0
    if quote_qty is not None:
        qq = _units("quoteOrderQty", quote_qty)
        if qq <= 0:
            raise Rejected(mandatory("quoteOrderQty"))
    return _new_tuple(OrderSpec, (side_v, type_v, tif_v or GTC, qty, price_u, stop_u, int(trailing_delta or 0), qq,
                                  client_order_id, strategy_id, strategy_type, side_v is BUY))


class PlacementMixin:
    # lookups --------------------------------------------------------------------------------------------
    def _symbol(self, symbol: str) -> SymbolState:
        sym = self.symbols.get(symbol)
        if sym is None:
            raise Rejected(Err.BAD_SYMBOL())
        touched = self._touched_symbols
        if sym not in touched:
            touched.append(sym)
        return sym

    def _stp(self, mode, sym: SymbolState) -> StpMode:
        if mode is None:
            return sym.rules.default_stp
        value = _member(_STPS, mode)
        if value is None:
            raise _bad_stp()
        if value not in sym.rules.allowed_stp:
            raise Rejected(Err.STP_MODE_NOT_ALLOWED())
        return value

    def _response_type(self, value, order_type: OrderType) -> ResponseType:
        if value is None:
            return _DEFAULT_RESP[order_type]
        rt = _member(_RESP, value)
        if rt is None:
            raise _bad_response_type()
        return rt

    def _avg(self, sym: SymbolState, override, ts: int | None = None) -> int:
        if override is not None:
            units = to_units(override)
            if units:
                return units
        return sym.avg_price(self._ts if ts is None else ts)

    # checks ---------------------------------------------------------------------------------------------
    def _check_filters(self, spec: OrderSpec, sym: SymbolState, avg: int) -> None:
        failed = sym.rules.check(spec.type, spec.is_buy, spec.price, spec.qty, spec.quote_qty, spec.stop,
                                 spec.trailing, avg)
        if failed:
            raise Rejected(filter_failure(failed))

    def _check_counts(self, acct: AccountState | None, sym: SymbolState, orders: int, algos: int) -> None:
        rules = sym.rules
        open_now = len(acct.open.get(sym.symbol, ())) if acct else 0
        if rules.max_orders and open_now + orders > rules.max_orders:
            raise Rejected(filter_failure("MAX_NUM_ORDERS"))
        algo_now = acct.algo_counts.get(sym.symbol, 0) if acct else 0
        if algos and rules.max_algo_orders and algo_now + algos > rules.max_algo_orders:
            raise Rejected(filter_failure("MAX_NUM_ALGO_ORDERS"))

    def _check_client_id(self, acct: AccountState | None, symbol: str, cid: str | None) -> None:
        if cid is None or acct is None:
            return
        other = acct.client_ids.get(symbol, {}).get(cid)
        if other is not None and other.is_open:
            raise Rejected(Err.DUPLICATE_ORDER())

    def _check_engine_rules(self, spec: OrderSpec, sym: SymbolState) -> None:
        """LIMIT_MAKER must not take; a stop must not be met already."""
        if spec.type is LIMIT_MAKER:
            best = self._best_merged(sym, not spec.is_buy)
            crosses = bool(best) and (spec.price >= best if spec.is_buy else spec.price <= best)
            if crosses:
                raise Rejected(Err.WOULD_TAKE())
        elif spec.type in STOP_TYPES and would_trigger(spec.type, spec.is_buy, spec.stop, sym.last_price):
            raise Rejected(Err.WOULD_TRIGGER())

    def _lock_need(self, spec: OrderSpec, sym: SymbolState, qty: int) -> int:
        """Units to lock for one order of ``qty`` (the cell is base for SELL, quote for BUY)."""
        if not spec.is_buy:
            return qty
        if spec.price:
            return -(-spec.price * qty // ONE)
        if spec.type is MARKET:
            return spec.quote_qty or self._walk_cost(sym, True, qty)[1]
        ref = spec.stop or sym.last_price  # STOP_LOSS / TAKE_PROFIT BUY
        return -(-ref * qty // ONE)

    def _market_qty(self, spec: OrderSpec, sym: SymbolState) -> int:
        """The quantity a quoteOrderQty MARKET order will trade (its walk of the book)."""
        rules = sym.rules
        cap = rules.market_max_qty or rules.max_qty
        return self._walk_budget(sym, spec.is_buy, spec.quote_qty, rules.step, cap)

    def _check_funds(self, acct: AccountState | None, asset: str, need: int) -> None:
        cell = acct.cells.get(asset) if acct is not None else None
        free = cell.free if cell is not None else 0
        if free < need:
            raise Rejected(Err.INSUFFICIENT_BALANCE())

    # placement ------------------------------------------------------------------------------------------
    def _new_order_obj(self, spec: OrderSpec, sym: SymbolState, acct: AccountState, stp: StpMode,
                       qty: int) -> Order:
        cid = spec.client_order_id or self._next_client_id(acct, sym.symbol)
        oid = self.next_order_id
        self.next_order_id = oid + 1
        cells = acct.cells
        base = cells.get(sym.base) or self.ledger.cell(acct.account_id, sym.base)
        quote = cells.get(sym.quote) or self.ledger.cell(acct.account_id, sym.quote)
        o = Order(oid, sym, acct, cid, spec.side, spec.type, spec.tif, qty, spec.price, spec.stop, spec.trailing,
                  spec.quote_qty, stp, self._ts, spec.strategy_id, spec.strategy_type, base, quote)
        if spec.type not in STOP_TYPES:
            o.is_working = True
            o.working_ms = self._ts
        self._register(o)
        return o

    def check_order(self, command: NewOrder) -> BinanceError | None:
        """What POST /order/test answers: the error POST /order would give for ``command`` from its parameter
        rules, precision and filters (PERCENT_PRICE_BY_SIDE against the average price at ``command.ts_ms``),
        or None. Read-only: nothing changes, not even the average-price window. Checks against the account
        and the book (balances, open-order counts, duplicate ids, LIMIT_MAKER taking, stops already met) are
        left to POST /order itself, as on Binance."""
        if type(command) is not NewOrder:
            raise TypeError(f"not a NewOrder: {command!r}")
        sym = self.symbols.get(command.symbol)
        if sym is None:
            return Err.BAD_SYMBOL()
        try:
            self._order_checks(command, sym, command.ts_ms)
        except Rejected as rejected:
            return rejected.error
        return None

    def _order_checks(self, cmd: NewOrder, sym: SymbolState, ts: int) -> tuple[OrderSpec, StpMode, ResponseType]:
        """The checks of one new order that need neither the account nor the book; raise Rejected."""
        spec = parse_order(cmd.side, cmd.type, cmd.time_in_force, cmd.quantity, cmd.quote_order_qty, cmd.price,
                           cmd.stop_price, cmd.trailing_delta, cmd.client_order_id, cmd.strategy_id,
                           cmd.strategy_type)
        rules = sym.rules
        mode = cmd.stp_mode
        if mode is None:
            stp = rules.default_stp
        else:  # self._stp(mode, sym), inlined
            stp = _member(_STPS, mode)
            if stp is None:
                raise _bad_stp()
            if stp not in rules.allowed_stp:
                raise Rejected(Err.STP_MODE_NOT_ALLOWED())
        rt = cmd.response_type
        resp = _DEFAULT_RESP[spec.type] if rt is None else self._response_type(rt, spec.type)
        if cmd.avg_price is None:
            avg = sym.vwap.average(ts) or sym.last_price  # sym.avg_price(ts)
        else:
            avg = self._avg(sym, cmd.avg_price, ts)
        failed = rules.check(spec.type, spec.is_buy, spec.price, spec.qty, spec.quote_qty, spec.stop, spec.trailing,
                             avg)
        if failed:
            raise Rejected(filter_failure(failed))
        return spec, stp, resp

    def _cmd_new_order(self, cmd: NewOrder) -> OrderReply:
        symbol = cmd.symbol
        sym = self.symbols.get(symbol)  # self._symbol(symbol), inlined
        if sym is None:
            raise Rejected(Err.BAD_SYMBOL())
        touched = self._touched_symbols
        if sym not in touched:
            touched.append(sym)
        ts = self._ts
        spec, stp, resp = self._order_checks(cmd, sym, ts)
        otype = spec.type
        is_buy = spec.is_buy
        acct = self.accounts.get(cmd.account_id)
        is_algo = otype in STOP_TYPES
        if is_algo:
            self._check_counts(acct, sym, 1, 1)
        else:  # self._check_counts(acct, sym, 1, 0), inlined
            max_orders = sym.rules.max_orders
            if max_orders and acct is not None and len(acct.open.get(symbol, ())) >= max_orders:
                raise Rejected(filter_failure("MAX_NUM_ORDERS"))
        cid = spec.client_order_id
        if cid is not None:
            self._check_client_id(acct, symbol, cid)
        if otype is not LIMIT:
            self._check_engine_rules(spec, sym)
        qty = self._market_qty(spec, sym) if spec.quote_qty else spec.qty
        price = spec.price
        if not is_buy:  # self._lock_need(spec, sym, qty), its common cases inlined
            need = qty
        elif price:
            need = -(-price * qty // ONE)
        else:
            need = self._lock_need(spec, sym, qty)
        cell = acct.cells.get(sym.quote if is_buy else sym.base) if acct is not None else None
        if cell is None or cell.free < need:
            raise Rejected(Err.INSUFFICIENT_BALANCE())
        # nothing below declines the order; self._new_order_obj(spec, sym, acct, stp, qty), inlined
        if not cid:  # self._next_client_id(acct, symbol), its common case inlined
            seq = self.next_client_seq
            cid = generated_client_id(seq)
            self.next_client_seq = seq + 1
            known = acct.client_ids.get(symbol)
            if known is not None and cid in known and known[cid].is_open:
                cid = self._next_client_id(acct, symbol)
        oid = self.next_order_id
        self.next_order_id = oid + 1
        cells = acct.cells
        base = cells.get(sym.base) or self.ledger.cell(acct.account_id, sym.base)
        quote = cells.get(sym.quote) or self.ledger.cell(acct.account_id, sym.quote)
        o = Order(oid, sym, acct, cid, spec.side, otype, spec.tif, qty, price, spec.stop, spec.trailing,
                  spec.quote_qty, stp, ts, spec.strategy_id, spec.strategy_type, base, quote)
        if not is_algo:
            o.is_working = True
            o.working_ms = ts
        self.orders[oid] = o  # self._register(o), inlined
        by_symbol = acct.orders.get(symbol)
        if by_symbol is None:
            by_symbol = self._account_symbol(acct, symbol)
        acct.open[symbol][oid] = o
        by_symbol[oid] = o
        acct.client_ids[symbol][cid] = o
        if is_algo:
            acct.algo_counts[symbol] = acct.algo_counts.get(symbol, 0) + 1
        res = o.res = Reservation(cell, 0)
        if need:
            self.ledger.reserve(res, need)
        self._result.new_orders += 1
        self._reply_order = o
        self._fills = fills = []
        self._prevented = prevented = []
        eid = self.next_execution_id  # self._emit(o, EX_NEW), inlined
        self.next_execution_id = eid + 1
        view = o.view()
        update = _new_tuple(OrderUpdate, (view, EX_NEW, ts, eid, 0, 0, 0, 0, None, -1, False, "", "", REJ_NONE, 0,
                                          -1, 0))
        events = self._events
        events.append(update)
        if is_algo:
            sym.stops.add(o, sym.last_price, ts)
        else:
            self._execute(o)
        if self._deferred:
            self._drain()
        # self._final_view(o): its NEW report when nothing happened to it since (a resting or declined order)
        final = view if not is_algo and events[-1] is update else self._final_view(o)
        return _new_tuple(OrderReply, (final, fills, prevented, ts, resp))

    def _start(self, o: Order) -> None:
        """A placed order starts: stops wait for their trigger, everything else works now."""
        if o.stop_price or o.trailing_delta:
            o.sym.stops.add(o, o.sym.last_price, self._ts)
        else:
            o.is_working = True
            o.working_ms = self._ts
            self._execute(o)
