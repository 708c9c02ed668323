"""What the portfolio needs from the exchange, through the SDK: pairs and prices, the account, its trades
(``myTrades``, paged), deposits and withdrawals, and historical prices from 1-minute klines.

A price "at time t" is the close of the last 1-minute kline that ended before t's minute began: a bar that can
no longer change, so the same history always gives the same numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from minance.portfolio.ledger import Fill, Transfer
from minance.portfolio.valuation import Pair, PairGraph, route_price

__all__ = ["HistoricalPrices", "fetch_fills", "fetch_pairs", "fetch_prices", "fetch_transfers", "symbols_to_scan"]

MINUTE_MS = 60_000
ALL_SYMBOLS_UP_TO = 50  # a small exchange (minance): read the trades of every pair
DEPOSIT_OK, WITHDRAW_DONE = 1, 6


def fetch_pairs(client: Any) -> list[Pair]:
    info = client.exchange_info()
    return [Pair(s.symbol, s.base_asset, s.quote_asset, s.base_asset_precision, s.quote_asset_precision)
            for s in info.symbols if s.status == "TRADING"]


def fetch_prices(client: Any) -> dict[str, Decimal]:
    return {p.symbol: p.price for p in client.ticker_prices()}


def symbols_to_scan(pairs: list[Pair], assets: Iterable[str], extra: Iterable[str] = ()) -> list[str]:
    """Pairs whose trades may matter: all of them on a small exchange, else those between assets the account
    holds or moved (plus ``extra``)."""
    if len(pairs) <= ALL_SYMBOLS_UP_TO:
        return sorted(p.symbol for p in pairs)
    wanted = set(assets)
    return sorted({p.symbol for p in pairs if p.base in wanted and p.quote in wanted} | set(extra))


def fetch_fills(client: Any, symbols: Iterable[str], pairs: list[Pair]) -> list[Fill]:
    by_symbol = {p.symbol: p for p in pairs}
    out: list[Fill] = []
    for symbol in symbols:
        pair = by_symbol[symbol]
        from_id = 0
        while True:
            page = client.my_trades(symbol, from_id=from_id, limit=1000)
            out += [Fill(symbol, pair.base, pair.quote, t.id, t.time, t.is_buyer, t.price, t.qty, t.quote_qty,
                         t.commission, t.commission_asset) for t in page]
            if len(page) < 1000:
                break
            from_id = page[-1].id + 1
    return out


def _apply_time(text: str) -> int:
    moment = datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def fetch_transfers(client: Any) -> list[Transfer]:
    """Completed deposits (+) and withdrawals (−); none on a target without ``/sapi`` (the testnet)."""
    if not client.target.has_sapi:
        return []
    out = [Transfer(d.coin, d.amount, d.insert_time or 0) for d in client.deposit_history()
           if d.status == DEPOSIT_OK]
    out += [Transfer(w.coin, -w.amount, _apply_time(w.apply_time)) for w in client.withdraw_history()
            if w.status == WITHDRAW_DONE and w.apply_time]
    return out


class HistoricalPrices:
    """``price_at(asset, t)`` in the quote asset, along today's route, from immutable 1-minute closes."""

    def __init__(self, client: Any, graph: PairGraph, prices: dict[str, Decimal], quote: str) -> None:
        self._client, self._graph, self._prices, self._quote = client, graph, prices, quote
        self._closes: dict[tuple[str, int], Decimal | None] = {}

    def close_before(self, symbol: str, time_ms: int) -> Decimal | None:
        minute = time_ms - time_ms % MINUTE_MS
        key = (symbol, minute)
        if key not in self._closes:
            bars = self._client.klines(symbol, "1m", end_time=minute - 1, limit=1)
            self._closes[key] = bars[-1].close if bars and bars[-1].close > 0 else None
        return self._closes[key]

    def __call__(self, asset: str, time_ms: int) -> Decimal | None:
        route = self._graph.route(asset, self._quote, self._prices)
        if route is None:
            return None
        prices: dict[str, Decimal] = {}
        for leg in route:
            close = self.close_before(leg.symbol, time_ms)
            if close is None:
                return None
            prices[leg.symbol] = close
        return route_price(route, prices)
