"""Order requests as values: what a strategy asks for, before a venue sends it.

``ctx.buy``/``ctx.sell``/``ctx.stop_loss``/... build these; a venue turns an :class:`OrderRequest` into its own
call (the SDK's ``create_order`` live, the matching engine's ``NewOrder`` in a backtest). ``client_id`` is
filled in by the context (deterministic, :mod:`minance.bots.ids`) when the strategy leaves it empty.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from typing import Any

from minance.domain.orders import OrderType, Side, TimeInForce

__all__ = ["ListKind", "ListRequest", "OrderRequest"]


class ListKind(StrEnum):
    OCO = "OCO"  # one cancels the other: ``above`` and ``below`` legs
    OTO = "OTO"  # one triggers the other: ``working`` then ``pending``
    OTOCO = "OTOCO"  # ``working`` then an OCO of ``above`` and ``below``


@dataclass(frozen=True, slots=True)
class OrderRequest:
    symbol: str
    side: Side
    type: OrderType
    quantity: Decimal | None = None
    quote_qty: Decimal | None = None  # MARKET by quote amount (quoteOrderQty)
    price: Decimal | None = None
    stop_price: Decimal | None = None
    trailing_delta: int | None = None  # BIPS
    time_in_force: TimeInForce | None = None
    client_id: str = ""

    def with_client_id(self, client_id: str) -> OrderRequest:
        return replace(self, client_id=client_id)

    def sdk_params(self) -> dict[str, Any]:
        """Keyword arguments of the SDK's ``create_order`` (snake_case Binance names), None values left out."""
        out: dict[str, Any] = {"quantity": self.quantity, "quote_order_qty": self.quote_qty, "price": self.price,
                               "stop_price": self.stop_price, "trailing_delta": self.trailing_delta,
                               "time_in_force": self.time_in_force.value if self.time_in_force else None,
                               "new_client_order_id": self.client_id or None}
        return {k: v for k, v in out.items() if v is not None}

    def describe(self) -> str:
        amount = f"{self.quantity}" if self.quantity is not None else f"{self.quote_qty} {self.symbol}-quote"
        price = f" @ {self.price}" if self.price is not None else ""
        stop = f" stop {self.stop_price}" if self.stop_price is not None else ""
        trail = f" trail {self.trailing_delta}bps" if self.trailing_delta else ""
        tif = f" {self.time_in_force}" if self.time_in_force else ""
        return f"{self.side} {amount} {self.symbol} {self.type}{price}{stop}{trail}{tif}"


@dataclass(frozen=True, slots=True)
class ListRequest:
    kind: ListKind
    symbol: str
    working: OrderRequest | None = None  # OTO / OTOCO
    pending: OrderRequest | None = None  # OTO
    above: OrderRequest | None = None  # OCO / OTOCO: the leg priced above the market
    below: OrderRequest | None = None  # OCO / OTOCO: the leg priced below
    client_id: str = ""

    def legs(self) -> tuple[OrderRequest, ...]:
        return tuple(x for x in (self.working, self.pending, self.above, self.below) if x is not None)

    def with_client_ids(self, list_id: str, leg_ids: list[str]) -> ListRequest:
        ids = iter(leg_ids)
        fields = {name: getattr(self, name).with_client_id(next(ids))
                  for name in ("working", "pending", "above", "below") if getattr(self, name) is not None}
        return replace(self, client_id=list_id, **fields)
