"""A local order book kept from a REST depth snapshot plus diff-depth events, as Binance's "How to manage a
local order book correctly" says (REFERENCE §5.9): buffer events, take a snapshot, drop events with
``u <= lastUpdateId``, the first applied event must straddle ``lastUpdateId + 1``, and every later one must
start at the previous ``u + 1``. Anything else is a gap: the book is stale and needs a new snapshot.

Pure: no I/O. The streams client feeds it and fetches snapshots.
"""

from __future__ import annotations

from decimal import Decimal

from minance.client.models import OrderBook, PriceLevel
from minance.client.stream_events import DepthUpdate

__all__ = ["BookGap", "LocalOrderBook"]


class BookGap(Exception):
    """An update id was skipped: the local book no longer matches the exchange's."""

    def __init__(self, expected: int, got: int) -> None:
        super().__init__(f"depth gap: expected update {expected}, got {got}")
        self.expected, self.got = expected, got


class LocalOrderBook:
    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.last_update_id: int | None = None  # None until a snapshot is loaded
        self._bids: dict[Decimal, Decimal] = {}
        self._asks: dict[Decimal, Decimal] = {}
        self._synced = False  # the first event after the snapshot has been applied

    @property
    def ready(self) -> bool:
        return self.last_update_id is not None

    def load(self, snapshot: OrderBook) -> None:
        self.last_update_id = snapshot.last_update_id
        self._bids = {lv.price: lv.qty for lv in snapshot.bids if lv.qty}
        self._asks = {lv.price: lv.qty for lv in snapshot.asks if lv.qty}
        self._synced = False

    def reset(self) -> None:
        self.last_update_id = None
        self._bids.clear()
        self._asks.clear()
        self._synced = False

    def apply(self, event: DepthUpdate) -> bool:
        """Apply one diff; False when it is older than the book (dropped). Raises :class:`BookGap`."""
        if self.last_update_id is None:
            raise RuntimeError("load a snapshot first")
        if event.final_update_id <= self.last_update_id:
            return False
        expected = self.last_update_id + 1
        if (not self._synced and event.first_update_id > expected) or (self._synced
                                                                      and event.first_update_id != expected):
            raise BookGap(expected, event.first_update_id)
        for book, levels in ((self._bids, event.bids), (self._asks, event.asks)):
            for lv in levels:
                if lv.qty == 0:
                    book.pop(lv.price, None)
                else:
                    book[lv.price] = lv.qty
        self.last_update_id = event.final_update_id
        self._synced = True
        return True

    def bids(self, limit: int | None = None) -> tuple[PriceLevel, ...]:
        prices = sorted(self._bids, reverse=True)[:limit]
        return tuple(PriceLevel(p, self._bids[p]) for p in prices)

    def asks(self, limit: int | None = None) -> tuple[PriceLevel, ...]:
        prices = sorted(self._asks)[:limit]
        return tuple(PriceLevel(p, self._asks[p]) for p in prices)

    def best_bid(self) -> PriceLevel | None:
        if not self._bids:
            return None
        p = max(self._bids)
        return PriceLevel(p, self._bids[p])

    def best_ask(self) -> PriceLevel | None:
        if not self._asks:
            return None
        p = min(self._asks)
        return PriceLevel(p, self._asks[p])

    def __repr__(self) -> str:
        return f"LocalOrderBook({self.symbol}, update {self.last_update_id}, {len(self._bids)}x{len(self._asks)})"
