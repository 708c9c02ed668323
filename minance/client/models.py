"""Typed results of the REST API (REFERENCE §3, §5): frozen dataclasses, every amount a ``Decimal``.

Times are epoch milliseconds (``*_time``), ids are ints. Each model keeps the JSON it came from in
``raw`` so conditional fields Binance adds later stay reachable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any, Self

from minance.client._parse import Model
from minance.client.errors import ResponseFormatError

__all__ = [
    "Account",
    "AccountCommission",
    "AggTrade",
    "ApiRestrictions",
    "AvgPrice",
    "Balance",
    "BookTicker",
    "CancelReplaceResult",
    "CoinInfo",
    "CommissionRates",
    "DepositRecord",
    "ExchangeInfo",
    "Fill",
    "Kline",
    "ListenKey",
    "MyTrade",
    "Network",
    "Order",
    "OrderBook",
    "OrderList",
    "OrderRef",
    "OrderTestResult",
    "PriceLevel",
    "RateLimit",
    "ServerTime",
    "SymbolInfo",
    "SystemStatus",
    "Ticker",
    "TickerPrice",
    "Trade",
    "TradeFee",
    "WithdrawRecord",
    "WithdrawResult",
    "order_or_list",
]

# -- general -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ServerTime(Model):
    server_time: int


@dataclass(frozen=True, slots=True)
class SystemStatus(Model):
    status: int
    msg: str


@dataclass(frozen=True, slots=True)
class RateLimit(Model):
    rate_limit_type: str
    interval: str
    interval_num: int
    limit: int
    count: int | None = None  # rateLimit/order only


@dataclass(frozen=True, slots=True)
class SymbolInfo(Model):
    symbol: str
    status: str
    base_asset: str
    quote_asset: str
    base_asset_precision: int = 8
    quote_asset_precision: int = 8
    order_types: tuple[str, ...] = ()
    iceberg_allowed: bool = False
    oco_allowed: bool = False
    quote_order_qty_market_allowed: bool = False
    is_spot_trading_allowed: bool = True
    filters: tuple[dict[str, Any], ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def filter(self, filter_type: str) -> dict[str, Any] | None:
        return next((f for f in self.filters if f.get("filterType") == filter_type), None)

    def _value(self, filter_type: str, name: str) -> Decimal | None:
        found = self.filter(filter_type)
        return Decimal(str(found[name])) if found and name in found else None

    @property
    def tick_size(self) -> Decimal | None:
        return self._value("PRICE_FILTER", "tickSize")

    @property
    def step_size(self) -> Decimal | None:
        return self._value("LOT_SIZE", "stepSize")

    @property
    def min_qty(self) -> Decimal | None:
        return self._value("LOT_SIZE", "minQty")

    @property
    def min_notional(self) -> Decimal | None:
        return self._value("NOTIONAL", "minNotional") or self._value("MIN_NOTIONAL", "minNotional")

    def round_price(self, price: Decimal) -> Decimal:
        return _floor(price, self.tick_size)

    def round_qty(self, qty: Decimal) -> Decimal:
        return _floor(qty, self.step_size)


def _floor(value: Decimal, step: Decimal | None) -> Decimal:
    if not step:
        return value
    return ((value / step).to_integral_value(ROUND_DOWN) * step).normalize() + Decimal(0)


@dataclass(frozen=True, slots=True)
class ExchangeInfo(Model):
    timezone: str
    server_time: int
    rate_limits: tuple[RateLimit, ...]
    symbols: tuple[SymbolInfo, ...]
    exchange_filters: tuple[dict[str, Any], ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def symbol(self, name: str) -> SymbolInfo:
        for info in self.symbols:
            if info.symbol == name:
                return info
        raise KeyError(name)


# -- market data ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PriceLevel:
    price: Decimal
    qty: Decimal


def _levels(rows: Any) -> tuple[PriceLevel, ...]:
    return tuple(PriceLevel(Decimal(str(p)), Decimal(str(q))) for p, q, *_ in rows)


@dataclass(frozen=True, slots=True)
class OrderBook(Model):
    last_update_id: int
    bids: tuple[PriceLevel, ...]
    asks: tuple[PriceLevel, ...]

    @classmethod
    def from_json(cls, data: Any) -> Self:
        try:
            return cls(int(data["lastUpdateId"]), _levels(data["bids"]), _levels(data["asks"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ResponseFormatError(f"OrderBook: {exc}") from None


@dataclass(frozen=True, slots=True)
class Trade(Model):
    id: int
    price: Decimal
    qty: Decimal
    time: int
    is_buyer_maker: bool
    quote_qty: Decimal | None = None
    is_best_match: bool = True


@dataclass(frozen=True, slots=True)
class AggTrade(Model):
    agg_id: int = field(metadata={"wire": "a"})
    price: Decimal = field(metadata={"wire": "p"})
    qty: Decimal = field(metadata={"wire": "q"})
    first_trade_id: int = field(metadata={"wire": "f"})
    last_trade_id: int = field(metadata={"wire": "l"})
    time: int = field(metadata={"wire": "T"})
    is_buyer_maker: bool = field(metadata={"wire": "m"})
    is_best_match: bool = field(default=True, metadata={"wire": "M"})


@dataclass(frozen=True, slots=True)
class Kline(Model):
    open_time: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    close_time: int
    quote_volume: Decimal
    trades: int
    taker_buy_base_volume: Decimal
    taker_buy_quote_volume: Decimal

    @classmethod
    def from_json(cls, data: Any) -> Self:
        try:
            t0, o, h, lo, c, v, t1, qv, n, tb, tq, *_ = data
            d = Decimal
            return cls(int(t0), d(str(o)), d(str(h)), d(str(lo)), d(str(c)), d(str(v)), int(t1), d(str(qv)), int(n),
                       d(str(tb)), d(str(tq)))
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise ResponseFormatError(f"Kline: {exc}") from None


@dataclass(frozen=True, slots=True)
class AvgPrice(Model):
    mins: int
    price: Decimal
    close_time: int | None = None


@dataclass(frozen=True, slots=True)
class Ticker(Model):
    """``ticker/24hr`` (FULL or MINI), ``ticker`` (rolling window) and ``ticker/tradingDay``."""

    symbol: str
    last_price: Decimal
    open_price: Decimal
    high_price: Decimal
    low_price: Decimal
    volume: Decimal
    quote_volume: Decimal
    open_time: int
    close_time: int
    first_id: int
    last_id: int
    count: int
    price_change: Decimal | None = None
    price_change_percent: Decimal | None = None
    weighted_avg_price: Decimal | None = None
    prev_close_price: Decimal | None = None
    last_qty: Decimal | None = None
    bid_price: Decimal | None = None
    bid_qty: Decimal | None = None
    ask_price: Decimal | None = None
    ask_qty: Decimal | None = None


@dataclass(frozen=True, slots=True)
class TickerPrice(Model):
    symbol: str
    price: Decimal


@dataclass(frozen=True, slots=True)
class BookTicker(Model):
    symbol: str
    bid_price: Decimal
    bid_qty: Decimal
    ask_price: Decimal
    ask_qty: Decimal


# -- orders --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Fill(Model):
    price: Decimal
    qty: Decimal
    commission: Decimal
    commission_asset: str
    trade_id: int = -1


@dataclass(frozen=True, slots=True)
class Order(Model):
    """A new-order answer (ACK/RESULT/FULL), an order query, or a cancel answer."""

    symbol: str
    order_id: int
    client_order_id: str
    order_list_id: int = -1
    transact_time: int | None = None
    price: Decimal | None = None
    orig_qty: Decimal | None = None
    executed_qty: Decimal | None = None
    cummulative_quote_qty: Decimal | None = None  # sic: Binance's spelling
    orig_quote_order_qty: Decimal | None = None
    status: str | None = None
    time_in_force: str | None = None
    type: str | None = None
    side: str | None = None
    stop_price: Decimal | None = None
    iceberg_qty: Decimal | None = None
    time: int | None = None
    update_time: int | None = None
    is_working: bool | None = None
    working_time: int | None = None
    self_trade_prevention_mode: str | None = None
    orig_client_order_id: str | None = None
    fills: tuple[Fill, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def avg_price(self) -> Decimal | None:
        """Average fill price (cumulative quote / executed), None before any fill."""
        if not self.executed_qty or self.cummulative_quote_qty is None:
            return None
        return self.cummulative_quote_qty / self.executed_qty


@dataclass(frozen=True, slots=True)
class OrderRef(Model):
    symbol: str
    order_id: int
    client_order_id: str


@dataclass(frozen=True, slots=True)
class OrderList(Model):
    order_list_id: int
    contingency_type: str
    list_status_type: str
    list_order_status: str
    list_client_order_id: str
    transaction_time: int
    symbol: str
    orders: tuple[OrderRef, ...] = ()
    order_reports: tuple[Order, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


def order_or_list(data: Any) -> Order | OrderList:
    """An element of ``DELETE /openOrders``: an order report or an order list."""
    if isinstance(data, dict) and "contingencyType" in data:
        return OrderList.from_json(data)
    return Order.from_json(data)


@dataclass(frozen=True, slots=True)
class CancelReplaceResult(Model):
    cancel_result: str
    new_order_result: str
    cancel_response: dict[str, Any] = field(default_factory=dict)
    new_order_response: dict[str, Any] | None = None

    @property
    def cancelled(self) -> Order | None:
        return Order.from_json(self.cancel_response) if "orderId" in self.cancel_response else None

    @property
    def new_order(self) -> Order | None:
        return Order.from_json(self.new_order_response) if self.new_order_response else None


@dataclass(frozen=True, slots=True)
class OrderTestResult(Model):
    """``{}``, or the commission rates when ``computeCommissionRates`` was asked."""

    standard_commission_for_order: dict[str, Any] | None = None
    tax_commission_for_order: dict[str, Any] | None = None
    special_commission_for_order: dict[str, Any] | None = None
    discount: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class MyTrade(Model):
    symbol: str
    id: int
    order_id: int
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    commission: Decimal
    commission_asset: str
    time: int
    is_buyer: bool
    is_maker: bool
    order_list_id: int = -1
    is_best_match: bool = True


# -- account -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Balance(Model):
    asset: str
    free: Decimal
    locked: Decimal

    @property
    def total(self) -> Decimal:
        return self.free + self.locked


@dataclass(frozen=True, slots=True)
class CommissionRates(Model):
    maker: Decimal
    taker: Decimal
    buyer: Decimal
    seller: Decimal


@dataclass(frozen=True, slots=True)
class Account(Model):
    maker_commission: int
    taker_commission: int
    can_trade: bool
    can_withdraw: bool
    can_deposit: bool
    update_time: int
    account_type: str
    balances: tuple[Balance, ...]
    buyer_commission: int = 0
    seller_commission: int = 0
    commission_rates: CommissionRates | None = None
    permissions: tuple[str, ...] = ()
    uid: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def balance(self, asset: str) -> Balance:
        for b in self.balances:
            if b.asset == asset:
                return b
        return Balance(asset, Decimal(0), Decimal(0))


@dataclass(frozen=True, slots=True)
class AccountCommission(Model):
    symbol: str
    standard_commission: CommissionRates
    tax_commission: CommissionRates | None = None
    special_commission: CommissionRates | None = None
    discount: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ApiRestrictions(Model):
    """``GET /sapi/v1/account/apiRestrictions``: what the calling key may do."""

    ip_restrict: bool
    create_time: int
    enable_reading: bool
    enable_spot_and_margin_trading: bool
    enable_withdrawals: bool
    enable_internal_transfer: bool = False
    enable_margin: bool = False
    enable_futures: bool = False
    permits_universal_transfer: bool = False
    enable_vanilla_options: bool = False
    enable_portfolio_margin_trading: bool = False
    enable_fix_api_trade: bool = False
    enable_fix_read_only: bool = False
    trading_authority_expiration_time: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class ListenKey(Model):
    listen_key: str

    def __repr__(self) -> str:  # a listen key opens the account's private stream
        return f"ListenKey({self.listen_key[:6]}…)"


# -- wallet --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class WithdrawResult(Model):
    id: str


@dataclass(frozen=True, slots=True)
class Network(Model):
    network: str
    coin: str
    withdraw_enable: bool = False
    deposit_enable: bool = False
    is_default: bool = False
    withdraw_fee: Decimal | None = None
    withdraw_min: Decimal | None = None
    withdraw_max: Decimal | None = None


@dataclass(frozen=True, slots=True)
class CoinInfo(Model):
    coin: str
    name: str = ""
    free: Decimal = Decimal(0)
    locked: Decimal = Decimal(0)
    deposit_all_enable: bool = False
    withdraw_all_enable: bool = False
    networks: tuple[Network, ...] = field(default=(), metadata={"wire": "networkList"})


@dataclass(frozen=True, slots=True)
class WithdrawRecord(Model):
    id: str
    amount: Decimal
    coin: str
    status: int
    address: str
    transaction_fee: Decimal = Decimal(0)
    network: str = ""
    tx_id: str = ""
    apply_time: str = ""
    withdraw_order_id: str | None = None
    address_tag: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class DepositRecord(Model):
    amount: Decimal
    coin: str
    status: int
    address: str = ""
    network: str = ""
    tx_id: str = ""
    insert_time: int | None = None
    id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class TradeFee(Model):
    symbol: str
    maker_commission: Decimal
    taker_commission: Decimal
