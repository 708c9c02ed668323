"""Kline history through the REST API: ``GET /api/v3/klines`` paged 1000 bars a request.

Works on any target the SDK reaches (the local exchange, Binance's testnet, Binance, a URL). The SDK's client
tracks ``X-MBX-USED-WEIGHT-*`` and holds a call that would cross the limit, backs off on 429 and stops on 418,
so paging a year of minutes (≈ 526 calls, weight 2 each) never trips a ban. Klines are identified by their open
time; ``startTime`` is inclusive, so the next page starts one interval after the last bar received.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol

from minance.history.dumps import KlineRow

__all__ = ["PAGE_LIMIT", "KlineSource", "page_klines"]

PAGE_LIMIT = 1000


class KlineSource(Protocol):
    """What paging needs of the SDK client: its ``klines`` method."""

    def klines(self, symbol: str, interval: str, **options: object) -> list: ...


def page_klines(client: KlineSource, symbol: str, interval: str, start_ms: int, end_ms: int,
                on_page: Callable[[int], None] | None = None) -> Iterator[list[KlineRow]]:
    """Pages of closed klines opening in ``[start_ms, end_ms)``, oldest first; stops at the first short page
    (nothing more has been traded yet) or at ``end_ms``. ``on_page(last_open_ms)`` reports progress."""
    cursor = start_ms
    while cursor < end_ms:
        batch = client.klines(symbol, interval, start_time=cursor, end_time=end_ms - 1, limit=PAGE_LIMIT)
        rows: list[KlineRow] = [
            (k.open_time, str(k.open), str(k.high), str(k.low), str(k.close), str(k.volume), k.close_time,
             str(k.quote_volume), k.trades, str(k.taker_buy_base_volume), str(k.taker_buy_quote_volume))
            for k in batch if start_ms <= k.open_time < end_ms
        ]
        if not rows:
            return
        yield rows
        if on_page is not None:
            on_page(rows[-1][0])
        if len(batch) < PAGE_LIMIT:
            return
        cursor = rows[-1][0] + 1
