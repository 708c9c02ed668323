"""The typed methods of the SDK, one per REST endpoint (REFERENCE §3, §5), shared by both clients.

Each method builds its parameters and hands them to ``self._call`` — which returns the result in
:class:`~minance.client.sync.Client` and an awaitable of it in
:class:`~minance.client.async_.AsyncClient`. Optional keyword arguments are snake_case versions of
Binance's camelCase parameter names (``time_in_force`` → ``timeInForce``); ``None`` means "not sent".
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from minance.client._parse import camel
from minance.client.base import Endpoint, Flow, Security, new_client_order_id
from minance.client.models import (
    Account,
    AccountCommission,
    AggTrade,
    ApiRestrictions,
    AvgPrice,
    BookTicker,
    CancelReplaceResult,
    CoinInfo,
    DepositRecord,
    ExchangeInfo,
    Kline,
    ListenKey,
    MyTrade,
    Order,
    OrderBook,
    OrderList,
    OrderTestResult,
    RateLimit,
    ServerTime,
    SystemStatus,
    Ticker,
    TickerPrice,
    Trade,
    TradeFee,
    WithdrawRecord,
    WithdrawResult,
    order_or_list,
)

__all__ = ["ENDPOINTS", "ApiMethods"]

Number = Decimal | int | str
_N, _K, _S = Security.NONE, Security.API_KEY, Security.SIGNED


def _ep(method: str, path: str, security: Security = _N, weight: int = 1, counts_order: bool = False) -> Endpoint:
    return Endpoint(method, path, security, weight, counts_order)


ENDPOINTS: dict[str, Endpoint] = {
    # general
    "ping": _ep("GET", "/api/v3/ping"),
    "time": _ep("GET", "/api/v3/time"),
    "exchange_info": _ep("GET", "/api/v3/exchangeInfo", weight=20),
    "system_status": _ep("GET", "/sapi/v1/system/status"),
    # market data
    "depth": _ep("GET", "/api/v3/depth", weight=5),
    "trades": _ep("GET", "/api/v3/trades", weight=25),
    "historical_trades": _ep("GET", "/api/v3/historicalTrades", weight=25),
    "agg_trades": _ep("GET", "/api/v3/aggTrades", weight=4),
    "klines": _ep("GET", "/api/v3/klines", weight=2),
    "ui_klines": _ep("GET", "/api/v3/uiKlines", weight=2),
    "avg_price": _ep("GET", "/api/v3/avgPrice", weight=2),
    "ticker_24hr": _ep("GET", "/api/v3/ticker/24hr", weight=2),
    "ticker_trading_day": _ep("GET", "/api/v3/ticker/tradingDay", weight=4),
    "ticker_rolling": _ep("GET", "/api/v3/ticker", weight=4),
    "ticker_price": _ep("GET", "/api/v3/ticker/price", weight=2),
    "book_ticker": _ep("GET", "/api/v3/ticker/bookTicker", weight=2),
    # trading
    "order_new": _ep("POST", "/api/v3/order", _S, 1, counts_order=True),
    "order_test": _ep("POST", "/api/v3/order/test", _S, 1),
    "order_get": _ep("GET", "/api/v3/order", _S, 4),
    "order_cancel": _ep("DELETE", "/api/v3/order", _S, 1),
    "open_orders_cancel": _ep("DELETE", "/api/v3/openOrders", _S, 1),
    "cancel_replace": _ep("POST", "/api/v3/order/cancelReplace", _S, 1, counts_order=True),
    "open_orders": _ep("GET", "/api/v3/openOrders", _S, 6),
    "all_orders": _ep("GET", "/api/v3/allOrders", _S, 20),
    "my_trades": _ep("GET", "/api/v3/myTrades", _S, 20),
    "rate_limit_order": _ep("GET", "/api/v3/rateLimit/order", _S, 40),
    # order lists
    "oco_new": _ep("POST", "/api/v3/orderList/oco", _S, 1, counts_order=True),
    "oto_new": _ep("POST", "/api/v3/orderList/oto", _S, 1, counts_order=True),
    "otoco_new": _ep("POST", "/api/v3/orderList/otoco", _S, 1, counts_order=True),
    "oco_legacy": _ep("POST", "/api/v3/order/oco", _S, 1, counts_order=True),
    "order_list_cancel": _ep("DELETE", "/api/v3/orderList", _S, 1),
    "order_list_get": _ep("GET", "/api/v3/orderList", _S, 4),
    "all_order_lists": _ep("GET", "/api/v3/allOrderList", _S, 20),
    "open_order_lists": _ep("GET", "/api/v3/openOrderList", _S, 6),
    # account
    "account": _ep("GET", "/api/v3/account", _S, 20),
    "account_commission": _ep("GET", "/api/v3/account/commission", _S, 20),
    "api_restrictions": _ep("GET", "/sapi/v1/account/apiRestrictions", _S, 1),
    "account_status": _ep("GET", "/sapi/v1/account/status", _S, 1),
    "api_trading_status": _ep("GET", "/sapi/v1/account/apiTradingStatus", _S, 1),
    # wallet
    "coins": _ep("GET", "/sapi/v1/capital/config/getall", _S, 10),
    "withdraw": _ep("POST", "/sapi/v1/capital/withdraw/apply", _S, 1),
    "withdraw_history": _ep("GET", "/sapi/v1/capital/withdraw/history", _S, 1),
    "deposit_history": _ep("GET", "/sapi/v1/capital/deposit/hisrec", _S, 1),
    "deposit_address": _ep("GET", "/sapi/v1/capital/deposit/address", _S, 10),
    "trade_fee": _ep("GET", "/sapi/v1/asset/tradeFee", _S, 1),
    # user data stream (legacy listenKey)
    "listen_key_new": _ep("POST", "/api/v3/userDataStream", _K, 2),
    "listen_key_keepalive": _ep("PUT", "/api/v3/userDataStream", _K, 2),
    "listen_key_close": _ep("DELETE", "/api/v3/userDataStream", _K, 2),
}


def _depth_weight(limit: int | None) -> int:
    n = 100 if limit is None else limit
    return 5 if n <= 100 else 25 if n <= 500 else 50 if n <= 1000 else 250


def _params(fixed: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    """Fixed camelCase params plus snake_case options converted to Binance's names."""
    out = dict(fixed)
    out.update({camel(k): v for k, v in options.items()})
    return out


def _list(parse: Callable[[Any], Any]) -> Callable[[Any], list[Any]]:
    return lambda data: [parse(x) for x in data]


def _nothing(_: Any) -> None:
    return None


class ApiMethods:
    """Binance Spot REST, typed. Mixed into a class that provides ``_call`` and ``_drive``."""

    # provided by the client class
    def _call(self, endpoint: Endpoint, params: dict[str, Any], parse: Callable[[Any], Any],
              recover: Callable[[], Flow[Any]] | None = None) -> Any:
        raise NotImplementedError

    def _drive(self, flow: Flow[Any]) -> Any:
        raise NotImplementedError

    # -- general ---------------------------------------------------------------------------------
    def ping(self) -> None:
        return self._call(ENDPOINTS["ping"], {}, _nothing)

    def server_time(self) -> ServerTime:
        return self._call(ENDPOINTS["time"], {}, ServerTime.from_json)

    def sync_time(self) -> int:
        """Measure the server clock's offset from ours (used for every signed request); returns it in ms."""
        return self._drive(self._sync_time_flow())  # type: ignore[attr-defined]

    def exchange_info(self, symbol: str | None = None, symbols: list[str] | None = None,
                      **options: Any) -> ExchangeInfo:
        def parse(data: Any) -> ExchangeInfo:
            info = ExchangeInfo.from_json(data)
            self.limits.learn(list(info.rate_limits))  # type: ignore[attr-defined]
            return info

        return self._call(ENDPOINTS["exchange_info"], _params({"symbol": symbol, "symbols": symbols}, options), parse)

    def system_status(self) -> SystemStatus:
        return self._call(ENDPOINTS["system_status"], {}, SystemStatus.from_json)

    # -- market data ---------------------------------------------------------------------------
    def depth(self, symbol: str, limit: int | None = None) -> OrderBook:
        ep = ENDPOINTS["depth"]
        ep = Endpoint(ep.method, ep.path, ep.security, _depth_weight(limit))
        return self._call(ep, {"symbol": symbol, "limit": limit}, OrderBook.from_json)

    def trades(self, symbol: str, limit: int | None = None) -> list[Trade]:
        return self._call(ENDPOINTS["trades"], {"symbol": symbol, "limit": limit}, _list(Trade.from_json))

    def historical_trades(self, symbol: str, limit: int | None = None, from_id: int | None = None) -> list[Trade]:
        return self._call(ENDPOINTS["historical_trades"], {"symbol": symbol, "limit": limit, "fromId": from_id},
                          _list(Trade.from_json))

    def agg_trades(self, symbol: str, **options: Any) -> list[AggTrade]:
        """Options: from_id, start_time, end_time, limit."""
        return self._call(ENDPOINTS["agg_trades"], _params({"symbol": symbol}, options), _list(AggTrade.from_json))

    def klines(self, symbol: str, interval: str, **options: Any) -> list[Kline]:
        """Options: start_time, end_time, time_zone, limit."""
        return self._call(ENDPOINTS["klines"], _params({"symbol": symbol, "interval": interval}, options),
                          _list(Kline.from_json))

    def ui_klines(self, symbol: str, interval: str, **options: Any) -> list[Kline]:
        return self._call(ENDPOINTS["ui_klines"], _params({"symbol": symbol, "interval": interval}, options),
                          _list(Kline.from_json))

    def avg_price(self, symbol: str) -> AvgPrice:
        return self._call(ENDPOINTS["avg_price"], {"symbol": symbol}, AvgPrice.from_json)

    def ticker_24hr(self, symbol: str, type: str | None = None) -> Ticker:
        return self._call(ENDPOINTS["ticker_24hr"], {"symbol": symbol, "type": type}, Ticker.from_json)

    def tickers_24hr(self, symbols: list[str] | None = None, type: str | None = None) -> list[Ticker]:
        ep = ENDPOINTS["ticker_24hr"]
        weight = 80 if not symbols or len(symbols) > 100 else 40 if len(symbols) > 20 else 2
        return self._call(Endpoint(ep.method, ep.path, ep.security, weight), {"symbols": symbols, "type": type},
                          _list(Ticker.from_json))

    def ticker_trading_day(self, symbol: str, **options: Any) -> Ticker:
        return self._call(ENDPOINTS["ticker_trading_day"], _params({"symbol": symbol}, options), Ticker.from_json)

    def ticker_rolling(self, symbol: str, window_size: str | None = None, **options: Any) -> Ticker:
        return self._call(ENDPOINTS["ticker_rolling"], _params({"symbol": symbol, "windowSize": window_size}, options),
                          Ticker.from_json)

    def ticker_price(self, symbol: str) -> TickerPrice:
        return self._call(ENDPOINTS["ticker_price"], {"symbol": symbol}, TickerPrice.from_json)

    def ticker_prices(self, symbols: list[str] | None = None) -> list[TickerPrice]:
        ep = ENDPOINTS["ticker_price"]
        return self._call(Endpoint(ep.method, ep.path, ep.security, 4), {"symbols": symbols},
                          _list(TickerPrice.from_json))

    def book_ticker(self, symbol: str) -> BookTicker:
        return self._call(ENDPOINTS["book_ticker"], {"symbol": symbol}, BookTicker.from_json)

    def book_tickers(self, symbols: list[str] | None = None) -> list[BookTicker]:
        ep = ENDPOINTS["book_ticker"]
        return self._call(Endpoint(ep.method, ep.path, ep.security, 4), {"symbols": symbols},
                          _list(BookTicker.from_json))

    # -- trading ---------------------------------------------------------------------------------
    def create_order(self, symbol: str, side: str, type: str, **options: Any) -> Order:
        """``POST /api/v3/order``. Options: quantity, quote_order_qty, price, time_in_force, stop_price,
        trailing_delta, iceberg_qty, new_client_order_id, new_order_resp_type, self_trade_prevention_mode,
        strategy_id, strategy_type, ...

        Safe to retry: the order carries a ``newClientOrderId`` (one is made when not given), and when an
        answer is lost the order is looked up by it before being sent again — so it is placed at most once.
        """
        params = _params({"symbol": symbol, "side": side, "type": type}, options)
        client_id = params.get("newClientOrderId") or new_client_order_id()
        params["newClientOrderId"] = client_id

        def recover() -> Flow[Order | None]:
            return self._find_order_flow(symbol, client_id, Order.from_json)  # type: ignore[attr-defined]

        return self._call(ENDPOINTS["order_new"], params, Order.from_json, recover)

    def limit_order(self, symbol: str, side: str, quantity: Number, price: Number, time_in_force: str = "GTC",
                    **options: Any) -> Order:
        return self.create_order(symbol, side, "LIMIT", quantity=quantity, price=price, time_in_force=time_in_force,
                                 **options)

    def market_order(self, symbol: str, side: str, quantity: Number | None = None,
                     quote_order_qty: Number | None = None, **options: Any) -> Order:
        return self.create_order(symbol, side, "MARKET", quantity=quantity, quote_order_qty=quote_order_qty,
                                 **options)

    def test_order(self, symbol: str, side: str, type: str, **options: Any) -> OrderTestResult:
        """``POST /api/v3/order/test``: validated like a real order, never placed."""
        ep = ENDPOINTS["order_test"]
        if options.get("compute_commission_rates"):
            ep = Endpoint(ep.method, ep.path, ep.security, 20)
        return self._call(ep, _params({"symbol": symbol, "side": side, "type": type}, options),
                          OrderTestResult.from_json)

    def get_order(self, symbol: str, order_id: int | None = None, orig_client_order_id: str | None = None) -> Order:
        return self._call(ENDPOINTS["order_get"], {"symbol": symbol, "orderId": order_id,
                                                   "origClientOrderId": orig_client_order_id}, Order.from_json)

    def cancel_order(self, symbol: str, order_id: int | None = None, orig_client_order_id: str | None = None,
                     **options: Any) -> Order:
        """Options: new_client_order_id, cancel_restrictions."""
        params = _params({"symbol": symbol, "orderId": order_id, "origClientOrderId": orig_client_order_id}, options)
        return self._call(ENDPOINTS["order_cancel"], params, Order.from_json)

    def cancel_open_orders(self, symbol: str) -> list[Order | OrderList]:
        return self._call(ENDPOINTS["open_orders_cancel"], {"symbol": symbol}, _list(order_or_list))

    def cancel_replace(self, symbol: str, side: str, type: str, cancel_replace_mode: str = "STOP_ON_FAILURE",
                       **options: Any) -> CancelReplaceResult:
        """Options: cancel_order_id or cancel_orig_client_order_id, and the new order's parameters."""
        params = _params({"symbol": symbol, "side": side, "type": type, "cancelReplaceMode": cancel_replace_mode},
                         options)
        return self._call(ENDPOINTS["cancel_replace"], params, CancelReplaceResult.from_json)

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        ep = ENDPOINTS["open_orders"]
        if symbol is None:
            ep = Endpoint(ep.method, ep.path, ep.security, 80)
        return self._call(ep, {"symbol": symbol}, _list(Order.from_json))

    def all_orders(self, symbol: str, **options: Any) -> list[Order]:
        """Options: order_id, start_time, end_time, limit."""
        return self._call(ENDPOINTS["all_orders"], _params({"symbol": symbol}, options), _list(Order.from_json))

    def my_trades(self, symbol: str, **options: Any) -> list[MyTrade]:
        """Options: order_id, start_time, end_time, from_id, limit."""
        return self._call(ENDPOINTS["my_trades"], _params({"symbol": symbol}, options), _list(MyTrade.from_json))

    def order_rate_limits(self) -> list[RateLimit]:
        """``GET /api/v3/rateLimit/order``: the account's unfilled order counts."""
        return self._call(ENDPOINTS["rate_limit_order"], {}, _list(RateLimit.from_json))

    # -- order lists -----------------------------------------------------------------------------
    def _place_list(self, name: str, params: dict[str, Any]) -> OrderList:
        list_id = params.get("listClientOrderId") or new_client_order_id()
        params["listClientOrderId"] = list_id

        def recover() -> Flow[OrderList | None]:
            return self._find_list_flow(list_id)

        return self._call(ENDPOINTS[name], params, OrderList.from_json, recover)

    def _find_list_flow(self, list_client_order_id: str) -> Flow[OrderList | None]:
        from minance.client.errors import OrderNotFound

        try:
            return (yield from self._flow(ENDPOINTS["order_list_get"],  # type: ignore[attr-defined]
                                          {"origClientOrderId": list_client_order_id}, OrderList.from_json))
        except OrderNotFound:
            return None

    def create_oco(self, symbol: str, side: str, quantity: Number, above_type: str, below_type: str,
                   **options: Any) -> OrderList:
        """``POST /api/v3/orderList/oco``. Options: above_price, above_stop_price, above_time_in_force,
        below_price, below_stop_price, below_time_in_force, list_client_order_id, ..."""
        return self._place_list("oco_new", _params(
            {"symbol": symbol, "side": side, "quantity": quantity, "aboveType": above_type, "belowType": below_type},
            options))

    def create_oto(self, symbol: str, working_type: str, working_side: str, working_price: Number,
                   working_quantity: Number, pending_type: str, pending_side: str, pending_quantity: Number,
                   **options: Any) -> OrderList:
        """``POST /api/v3/orderList/oto``. Options: working_time_in_force, pending_price, ..."""
        return self._place_list("oto_new", _params(
            {"symbol": symbol, "workingType": working_type, "workingSide": working_side,
             "workingPrice": working_price, "workingQuantity": working_quantity, "pendingType": pending_type,
             "pendingSide": pending_side, "pendingQuantity": pending_quantity}, options))

    def create_otoco(self, symbol: str, working_type: str, working_side: str, working_price: Number,
                     working_quantity: Number, pending_side: str, pending_quantity: Number,
                     pending_above_type: str, **options: Any) -> OrderList:
        """``POST /api/v3/orderList/otoco``. Options: pending_above_price, pending_below_type, ..."""
        return self._place_list("otoco_new", _params(
            {"symbol": symbol, "workingType": working_type, "workingSide": working_side,
             "workingPrice": working_price, "workingQuantity": working_quantity, "pendingSide": pending_side,
             "pendingQuantity": pending_quantity, "pendingAboveType": pending_above_type}, options))

    def create_oco_legacy(self, symbol: str, side: str, quantity: Number, price: Number, stop_price: Number,
                          **options: Any) -> OrderList:
        """``POST /api/v3/order/oco`` (deprecated by Binance, still served)."""
        return self._place_list("oco_legacy", _params(
            {"symbol": symbol, "side": side, "quantity": quantity, "price": price, "stopPrice": stop_price}, options))

    def cancel_order_list(self, symbol: str, order_list_id: int | None = None,
                          list_client_order_id: str | None = None) -> OrderList:
        return self._call(ENDPOINTS["order_list_cancel"], {"symbol": symbol, "orderListId": order_list_id,
                                                           "listClientOrderId": list_client_order_id},
                          OrderList.from_json)

    def get_order_list(self, order_list_id: int | None = None, orig_client_order_id: str | None = None) -> OrderList:
        return self._call(ENDPOINTS["order_list_get"], {"orderListId": order_list_id,
                                                        "origClientOrderId": orig_client_order_id},
                          OrderList.from_json)

    def all_order_lists(self, **options: Any) -> list[OrderList]:
        """Options: from_id, start_time, end_time, limit."""
        return self._call(ENDPOINTS["all_order_lists"], _params({}, options), _list(OrderList.from_json))

    def open_order_lists(self) -> list[OrderList]:
        return self._call(ENDPOINTS["open_order_lists"], {}, _list(OrderList.from_json))

    # -- account ---------------------------------------------------------------------------------
    def account(self, omit_zero_balances: bool | None = None) -> Account:
        return self._call(ENDPOINTS["account"], {"omitZeroBalances": omit_zero_balances}, Account.from_json)

    def account_commission(self, symbol: str) -> AccountCommission:
        return self._call(ENDPOINTS["account_commission"], {"symbol": symbol}, AccountCommission.from_json)

    def api_restrictions(self) -> ApiRestrictions:
        """``GET /sapi/v1/account/apiRestrictions``: what this key may do (not on the testnet)."""
        return self._call(ENDPOINTS["api_restrictions"], {}, ApiRestrictions.from_json)

    def account_status(self) -> str:
        return self._call(ENDPOINTS["account_status"], {}, lambda d: str(d["data"]))

    def api_trading_status(self) -> dict[str, Any]:
        return self._call(ENDPOINTS["api_trading_status"], {}, lambda d: dict(d["data"]))

    # -- wallet ----------------------------------------------------------------------------------
    def coins(self) -> list[CoinInfo]:
        """``GET /sapi/v1/capital/config/getall``."""
        return self._call(ENDPOINTS["coins"], {}, _list(CoinInfo.from_json))

    def withdraw(self, coin: str, address: str, amount: Number, **options: Any) -> WithdrawResult:
        """``POST /sapi/v1/capital/withdraw/apply``. Options: network, address_tag, withdraw_order_id, name,
        wallet_type, transaction_fee_flag. Never re-sent when its answer is lost."""
        return self._call(ENDPOINTS["withdraw"], _params({"coin": coin, "address": address, "amount": amount},
                                                         options), WithdrawResult.from_json)

    def withdraw_history(self, **options: Any) -> list[WithdrawRecord]:
        """Options: coin, withdraw_order_id, status, start_time, end_time, offset, limit, id_list."""
        return self._call(ENDPOINTS["withdraw_history"], _params({}, options), _list(WithdrawRecord.from_json))

    def deposit_history(self, **options: Any) -> list[DepositRecord]:
        """Options: coin, status, start_time, end_time, offset, limit, tx_id."""
        return self._call(ENDPOINTS["deposit_history"], _params({}, options), _list(DepositRecord.from_json))

    def trade_fee(self, symbol: str | None = None) -> list[TradeFee]:
        """``GET /sapi/v1/asset/tradeFee``."""
        return self._call(ENDPOINTS["trade_fee"], {"symbol": symbol}, _list(TradeFee.from_json))

    def deposit_address(self, coin: str, network: str | None = None) -> dict[str, Any]:
        return self._call(ENDPOINTS["deposit_address"], {"coin": coin, "network": network}, dict)

    # -- user data stream (listenKey) --------------------------------------------------------------
    def new_listen_key(self) -> str:
        return self._call(ENDPOINTS["listen_key_new"], {}, lambda d: ListenKey.from_json(d).listen_key)

    def keepalive_listen_key(self, listen_key: str) -> None:
        return self._call(ENDPOINTS["listen_key_keepalive"], {"listenKey": listen_key}, _nothing)

    def close_listen_key(self, listen_key: str) -> None:
        return self._call(ENDPOINTS["listen_key_close"], {"listenKey": listen_key}, _nothing)
