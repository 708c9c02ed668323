"""The endpoints table: method and path → security type, group, weight and handler."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from minance.server.auth import Security
from minance.server.request import Request

Handler = Callable[[Request, Any], Any]
Weight = int | Callable[[Request], int]


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    security: Security
    group: str  # market | account | trade | stream | wallet (for per-key endpoint allow-lists)
    weight: Weight
    handler: Handler
    counts_order: bool = False  # counted against the account's ORDERS limits
    free_on_success: bool = False  # Binance: successful order calls cost 0 weight
    order_count: Weight = 1  # how many orders it places (an OCO 2, an OTOCO 3); 0: the handler counts itself

    is_async: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "is_async", inspect.iscoroutinefunction(self.handler))

    def weight_for(self, req: Request) -> int:
        return self.weight(req) if callable(self.weight) else self.weight

    def orders_for(self, req: Request) -> int:
        if not self.counts_order:
            return 0
        return self.order_count(req) if callable(self.order_count) else self.order_count


class Routes:
    def __init__(self) -> None:
        self._table: dict[tuple[str, str], Endpoint] = {}
        self._paths: set[str] = set()

    def add(self, endpoint: Endpoint) -> None:
        key = (endpoint.method, endpoint.path)
        if key in self._table:
            raise ValueError(f"duplicate route {key}")
        self._table[key] = endpoint
        self._paths.add(endpoint.path)

    def extend(self, endpoints: list[Endpoint]) -> None:
        for e in endpoints:
            self.add(e)

    def match(self, method: str, path: str) -> Endpoint | None:
        return self._table.get((method, path))

    def knows_path(self, path: str) -> bool:
        return path in self._paths

    def __iter__(self):
        return iter(self._table.values())
