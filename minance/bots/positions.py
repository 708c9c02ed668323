"""Position and average-cost tracking from the bot's own fills, the same on every venue.

A BUY adds ``qty`` (less a commission charged in the base asset) at its quote cost (plus a commission charged
in the quote asset); a SELL removes ``qty`` at the average cost and realises ``proceeds − cost of what was
sold − quote fees``. A commission in a third asset (BNB) is valued with ``fee_price`` when given, else only
counted in ``fees_quote`` at zero (said in the bot's log by the caller).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

from minance.bots.records import Fill, Position
from minance.domain.orders import Side

__all__ = ["PositionBook"]

ZERO = Decimal(0)


class PositionBook:
    def __init__(self) -> None:
        self._positions: dict[str, Position] = {}

    def get(self, symbol: str) -> Position:
        return self._positions.get(symbol) or Position(symbol)

    def all(self) -> dict[str, Position]:
        return dict(self._positions)

    def set(self, position: Position) -> None:
        self._positions[position.symbol] = position

    def apply(self, fill: Fill, base: str, quote: str,
              fee_price: Callable[[str], Decimal | None] | None = None) -> Position:
        pos = self.get(fill.symbol)
        notional = fill.price * fill.qty
        fee_in_quote = ZERO
        base_fee = ZERO
        if fill.commission_asset == quote:
            fee_in_quote = fill.commission
        elif fill.commission_asset == base:
            base_fee = fill.commission
            fee_in_quote = fill.commission * fill.price
        elif fill.commission and fee_price is not None:
            rate = fee_price(fill.commission_asset)
            fee_in_quote = fill.commission * rate if rate is not None else ZERO
        if fill.side is Side.BUY:
            cost_added = notional + (fee_in_quote if fill.commission_asset != base else ZERO)
            pos = replace(pos, qty=pos.qty + fill.qty - base_fee, cost=pos.cost + cost_added,
                          fees_quote=pos.fees_quote + fee_in_quote)
        else:
            sold = fill.qty + base_fee
            avg = pos.cost / pos.qty if pos.qty > 0 else fill.price
            take = min(sold, pos.qty) if pos.qty > 0 else ZERO
            cost_removed = avg * take
            proceeds = notional - (fee_in_quote if fill.commission_asset != base else ZERO)
            # selling more than the bot bought (inventory it started with) realises against the fill price
            realized = proceeds - cost_removed - (sold - take) * fill.price
            pos = replace(pos, qty=pos.qty - take, cost=pos.cost - cost_removed if take < pos.qty else ZERO,
                          realized=pos.realized + realized, fees_quote=pos.fees_quote + fee_in_quote)
        self._positions[fill.symbol] = pos
        return pos

    # -- persistence -----------------------------------------------------------------------------
    def to_json(self) -> dict[str, dict[str, str]]:
        return {s: {"qty": str(p.qty), "cost": str(p.cost), "realized": str(p.realized),
                    "feesQuote": str(p.fees_quote)} for s, p in self._positions.items()}

    @classmethod
    def from_json(cls, data: dict[str, dict[str, str]]) -> PositionBook:
        book = cls()
        for symbol, p in (data or {}).items():
            book.set(Position(symbol, Decimal(p["qty"]), Decimal(p["cost"]), Decimal(p["realized"]),
                              Decimal(p.get("feesQuote", "0"))))
        return book
