"""Typed stream events (REFERENCE §5.8, §5.9): frozen dataclasses, amounts as ``Decimal``, sides, types and
statuses as the domain's enums. ``parse_market`` and ``parse_user`` turn one JSON payload into one event.

Pure: no I/O. Every event keeps the payload it came from in ``raw`` (not compared, not printed).
Events made up by the client itself after a reconnect (REST reconciliation) carry ``synthetic=True``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from minance.client.errors import ResponseFormatError
from minance.client.models import Balance, Kline, PriceLevel
from minance.domain.orders import ExecutionType, OrderStatus, OrderType, Side

__all__ = [
    "AccountPosition",
    "AggTradeEvent",
    "BalanceUpdate",
    "BookTickerEvent",
    "DepthUpdate",
    "ExecutionReport",
    "KlineEvent",
    "ListStatus",
    "MarketEvent",
    "Reconciled",
    "StreamGap",
    "TradeEvent",
    "UserEvent",
    "parse_market",
    "parse_user",
]

def _d(value: Any) -> Decimal:
    return Decimal(str(value))


def _levels(rows: Any) -> tuple[PriceLevel, ...]:
    return tuple(PriceLevel(_d(p), _d(q)) for p, q, *_ in rows)


# -- market ------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class KlineEvent:
    """A ``<symbol>@kline_<interval>`` update; ``closed`` is Binance's ``x`` (the bar is final)."""

    symbol: str
    interval: str
    kline: Kline
    closed: bool
    event_time: int
    synthetic: bool = False  # backfilled from REST klines after a reconnect
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class BookTickerEvent:
    symbol: str
    update_id: int
    bid_price: Decimal
    bid_qty: Decimal
    ask_price: Decimal
    ask_qty: Decimal
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class TradeEvent:
    symbol: str
    trade_id: int
    price: Decimal
    qty: Decimal
    time: int
    is_buyer_maker: bool
    event_time: int
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class AggTradeEvent:
    symbol: str
    agg_id: int
    price: Decimal
    qty: Decimal
    first_trade_id: int
    last_trade_id: int
    time: int
    is_buyer_maker: bool
    event_time: int
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class DepthUpdate:
    """A diff-depth event: levels changed between update ids ``first_update_id`` and ``final_update_id``
    (a quantity of 0 removes the level)."""

    symbol: str
    first_update_id: int
    final_update_id: int
    bids: tuple[PriceLevel, ...]
    asks: tuple[PriceLevel, ...]
    event_time: int
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class StreamGap:
    """Ids jumped: events between ``expected`` and ``got`` were not received (trades, aggTrades)."""

    stream: str
    expected: int
    got: int


MarketEvent = KlineEvent | BookTickerEvent | TradeEvent | AggTradeEvent | DepthUpdate | StreamGap


def parse_market(stream: str, data: dict[str, Any]) -> MarketEvent | None:
    """The event for one combined-stream payload, or None for payloads this client does not type."""
    try:
        if stream.endswith("@bookTicker"):
            return BookTickerEvent(data["s"], int(data["u"]), _d(data["b"]), _d(data["B"]), _d(data["a"]),
                                   _d(data["A"]), raw=data)
        kind = data.get("e")
        if kind == "kline":
            k = data["k"]
            kline = Kline(int(k["t"]), _d(k["o"]), _d(k["h"]), _d(k["l"]), _d(k["c"]), _d(k["v"]), int(k["T"]),
                          _d(k["q"]), int(k["n"]), _d(k["V"]), _d(k["Q"]))
            return KlineEvent(data["s"], k["i"], kline, bool(k["x"]), int(data["E"]), raw=data)
        if kind == "trade":
            return TradeEvent(data["s"], int(data["t"]), _d(data["p"]), _d(data["q"]), int(data["T"]),
                              bool(data["m"]), int(data["E"]), raw=data)
        if kind == "aggTrade":
            return AggTradeEvent(data["s"], int(data["a"]), _d(data["p"]), _d(data["q"]), int(data["f"]),
                                 int(data["l"]), int(data["T"]), bool(data["m"]), int(data["E"]), raw=data)
        if kind == "depthUpdate":
            return DepthUpdate(data["s"], int(data["U"]), int(data["u"]), _levels(data["b"]), _levels(data["a"]),
                               int(data["E"]), raw=data)
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise ResponseFormatError(f"{stream}: {type(exc).__name__} {exc}") from None
    return None


# -- user data ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ExecutionReport:
    """``executionReport``: an order changed (NEW, TRADE, CANCELED, EXPIRED, ...). Average fill price is
    ``cum_quote_qty / cum_qty``."""

    symbol: str
    order_id: int
    client_order_id: str
    side: Side
    order_type: OrderType
    execution_type: ExecutionType
    status: OrderStatus
    quantity: Decimal
    price: Decimal
    stop_price: Decimal
    last_qty: Decimal
    last_price: Decimal
    last_quote_qty: Decimal
    cum_qty: Decimal
    cum_quote_qty: Decimal
    commission: Decimal
    commission_asset: str | None
    trade_id: int
    is_maker: bool
    transaction_time: int
    event_time: int
    time_in_force: str = ""
    order_list_id: int = -1
    orig_client_order_id: str = ""
    reject_reason: str = "NONE"
    synthetic: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def avg_price(self) -> Decimal | None:
        return self.cum_quote_qty / self.cum_qty if self.cum_qty else None


@dataclass(frozen=True, slots=True)
class AccountPosition:
    """``outboundAccountPosition``: the new free/locked of the assets that changed."""

    balances: tuple[Balance, ...]
    update_time: int
    event_time: int
    synthetic: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class BalanceUpdate:
    """``balanceUpdate``: a deposit, withdrawal or transfer changed ``asset`` by ``delta``."""

    asset: str
    delta: Decimal
    clear_time: int
    event_time: int
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class ListStatus:
    symbol: str
    order_list_id: int
    contingency_type: str
    list_status_type: str
    list_order_status: str
    list_client_order_id: str
    transaction_time: int
    order_ids: tuple[int, ...]
    event_time: int
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Reconciled:
    """Sent on the user data stream after a reconnect, once REST says what changed while it was down:
    the synthetic reports and balances that were just emitted (empty when nothing was missed)."""

    down_ms: int
    orders: tuple[ExecutionReport, ...]
    balances: tuple[Balance, ...]


UserEvent = ExecutionReport | AccountPosition | BalanceUpdate | ListStatus | Reconciled


def parse_execution_report(d: dict[str, Any]) -> ExecutionReport:
    return ExecutionReport(
        symbol=d["s"], order_id=int(d["i"]), client_order_id=d["c"], side=Side(d["S"]), order_type=OrderType(d["o"]),
        execution_type=ExecutionType(d["x"]), status=OrderStatus(d["X"]), quantity=_d(d["q"]), price=_d(d["p"]),
        stop_price=_d(d.get("P", "0")), last_qty=_d(d["l"]), last_price=_d(d["L"]), last_quote_qty=_d(d.get("Y", "0")),
        cum_qty=_d(d["z"]), cum_quote_qty=_d(d.get("Z", "0")), commission=_d(d.get("n", "0")),
        commission_asset=d.get("N"), trade_id=int(d.get("t", -1)), is_maker=bool(d.get("m", False)),
        transaction_time=int(d.get("T", 0)), event_time=int(d.get("E", 0)), time_in_force=str(d.get("f", "")),
        order_list_id=int(d.get("g", -1)), orig_client_order_id=str(d.get("C") or ""),
        reject_reason=str(d.get("r", "NONE")), raw=d)


def parse_user(d: dict[str, Any]) -> UserEvent | None:
    """The event for one user data payload (already unwrapped), or None for kinds this client does not type."""
    try:
        kind = d.get("e")
        if kind == "executionReport":
            return parse_execution_report(d)
        if kind == "outboundAccountPosition":
            balances = tuple(Balance(b["a"], _d(b["f"]), _d(b["l"])) for b in d["B"])
            return AccountPosition(balances, int(d["u"]), int(d["E"]), raw=d)
        if kind == "balanceUpdate":
            return BalanceUpdate(d["a"], _d(d["d"]), int(d["T"]), int(d["E"]), raw=d)
        if kind == "listStatus":
            return ListStatus(d["s"], int(d["g"]), d["c"], d["l"], d["L"], d["C"], int(d["T"]),
                              tuple(int(o["i"]) for o in d.get("O", ())), int(d["E"]), raw=d)
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise ResponseFormatError(f"user data {d.get('e')!r}: {type(exc).__name__} {exc}") from None
    return None
