"""Symbol specs: Binance's filters and precisions for the default symbols (as listed on exchangeInfo).

A domain value: the engine validates orders against it, the market and the server describe it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

ORDER_TYPES = ("LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT",
               "TAKE_PROFIT_LIMIT")
STP_MODES = ("NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT")


@dataclass(frozen=True, slots=True)
class SymbolSpec:
    symbol: str
    base: str
    quote: str
    tick_size: Decimal
    step_size: Decimal
    min_qty: Decimal
    max_qty: Decimal
    market_max_qty: Decimal
    min_notional: Decimal
    max_notional: Decimal
    max_price: Decimal = Decimal("1000000")

    def filters(self) -> list[dict]:
        def s(d: Decimal) -> str:
            return f"{d:.8f}"

        return [
            {"filterType": "PRICE_FILTER", "minPrice": s(self.tick_size), "maxPrice": s(self.max_price),
             "tickSize": s(self.tick_size)},
            {"filterType": "LOT_SIZE", "minQty": s(self.min_qty), "maxQty": s(self.max_qty),
             "stepSize": s(self.step_size)},
            {"filterType": "ICEBERG_PARTS", "limit": 10},
            {"filterType": "MARKET_LOT_SIZE", "minQty": s(Decimal(0)), "maxQty": s(self.market_max_qty),
             "stepSize": s(Decimal(0))},
            {"filterType": "TRAILING_DELTA", "minTrailingAboveDelta": 10, "maxTrailingAboveDelta": 2000,
             "minTrailingBelowDelta": 10, "maxTrailingBelowDelta": 2000},
            {"filterType": "PERCENT_PRICE_BY_SIDE", "bidMultiplierUp": "5", "bidMultiplierDown": "0.2",
             "askMultiplierUp": "5", "askMultiplierDown": "0.2", "avgPriceMins": 5},
            {"filterType": "NOTIONAL", "minNotional": s(self.min_notional), "applyMinToMarket": True,
             "maxNotional": s(self.max_notional), "applyMaxToMarket": False, "avgPriceMins": 5},
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5},
        ]


def _spec(symbol: str, base: str, quote: str, tick: str, step: str, max_qty: str, market_max: str,
          min_notional: str, max_notional: str) -> SymbolSpec:
    return SymbolSpec(symbol, base, quote, Decimal(tick), Decimal(step), Decimal(step), Decimal(max_qty),
                      Decimal(market_max), Decimal(min_notional), Decimal(max_notional))


DEFAULT_SYMBOLS: dict[str, SymbolSpec] = {
    s.symbol: s
    for s in (
        _spec("BTCUSDT", "BTC", "USDT", "0.01", "0.00001", "9000", "76.7", "5", "9000000"),
        _spec("ETHUSDT", "ETH", "USDT", "0.01", "0.0001", "9000", "1825", "5", "9000000"),
        _spec("ETHBTC", "ETH", "BTC", "0.00001", "0.0001", "100000", "1310", "0.0001", "9000000"),
        _spec("BNBUSDT", "BNB", "USDT", "0.01", "0.001", "9000", "2400", "5", "9000000"),
        _spec("BNBBTC", "BNB", "BTC", "0.000001", "0.001", "100000", "3400", "0.0001", "9000000"),
        _spec("SOLUSDT", "SOL", "USDT", "0.01", "0.001", "9000", "18000", "5", "9000000"),
        _spec("LTCUSDT", "LTC", "USDT", "0.01", "0.001", "90000", "5000", "5", "9000000"),
    )
}


def symbol_info(spec: SymbolSpec) -> dict:
    """One entry of exchangeInfo.symbols[] with every field peers read."""
    return {
        "symbol": spec.symbol, "status": "TRADING", "baseAsset": spec.base, "baseAssetPrecision": 8,
        "quoteAsset": spec.quote, "quotePrecision": 8, "quoteAssetPrecision": 8, "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8, "orderTypes": list(ORDER_TYPES), "icebergAllowed": False,
        "ocoAllowed": True, "otoAllowed": True, "opoAllowed": False, "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": True, "cancelReplaceAllowed": True, "amendAllowed": True,
        "pegInstructionsAllowed": False, "isSpotTradingAllowed": True, "isMarginTradingAllowed": False,
        "filters": spec.filters(), "permissions": [], "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER", "allowedSelfTradePreventionModes": list(STP_MODES),
    }
