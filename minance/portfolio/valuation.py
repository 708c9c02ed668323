"""Valuing balances in a quote asset through the exchange's pairs: the direct pair when there is one, else the
shortest chain of pairs (ETH → BTC → USDT), never a silent 0 — assets no chain reaches are listed as unpriced.

Pure: prices (symbol → last price) and the exchange's symbols in, Decimal values and routes out.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

__all__ = [
    "AssetValue",
    "Leg",
    "Pair",
    "PairGraph",
    "UnknownAsset",
    "Valuation",
    "route_price",
    "value_balances",
]

MAX_HOPS = 3
# when two routes have as many hops, prefer these bridges (the deepest markets) in this order
BRIDGE_RANK = {"USDT": 0, "BTC": 1, "USDC": 2, "FDUSD": 3, "ETH": 4, "BNB": 5}


class UnknownAsset(ValueError):
    """The quote asset is not traded on the exchange at all."""


@dataclass(frozen=True, slots=True)
class Pair:
    symbol: str
    base: str
    quote: str
    base_precision: int = 8
    quote_precision: int = 8


@dataclass(frozen=True, slots=True)
class Leg:
    """One step of a route: through ``symbol``, multiplying by its price (base → quote) or dividing
    (``inverse``: quote → base)."""

    symbol: str
    inverse: bool
    source: str
    target: str


@dataclass(frozen=True, slots=True)
class AssetValue:
    asset: str
    amount: Decimal
    price: Decimal | None  # one unit in the quote asset (full precision); None when unpriced
    value: Decimal | None  # amount × price at the quote asset's precision
    route: tuple[Leg, ...]

    @property
    def path(self) -> str:
        """``ETH→BTC→USDT`` (just the asset when it is the quote)."""
        return "→".join([self.asset, *(leg.target for leg in self.route)])


@dataclass(frozen=True, slots=True)
class Valuation:
    quote: str
    precision: int
    assets: tuple[AssetValue, ...]
    total: Decimal

    @property
    def unpriced(self) -> tuple[str, ...]:
        return tuple(a.asset for a in self.assets if a.value is None)

    def get(self, asset: str) -> AssetValue | None:
        return next((a for a in self.assets if a.asset == asset), None)


class PairGraph:
    """The exchange's pairs as a graph of assets; edges only where a price is known (and positive)."""

    def __init__(self, pairs: Iterable[Pair]) -> None:
        self.pairs = {p.symbol: p for p in pairs}
        self.assets = {a for p in self.pairs.values() for a in (p.base, p.quote)}

    def precision(self, asset: str) -> int:
        """The asset's precision as the exchange states it (quoteAssetPrecision where it is a quote)."""
        quoted = [p.quote_precision for p in self.pairs.values() if p.quote == asset]
        if quoted:
            return max(quoted)
        based = [p.base_precision for p in self.pairs.values() if p.base == asset]
        if based:
            return max(based)
        raise UnknownAsset(asset)

    def route(self, asset: str, quote: str, prices: Mapping[str, Decimal]) -> tuple[Leg, ...] | None:
        """The shortest chain of priced pairs from ``asset`` to ``quote`` (``()`` when they are the same)."""
        if asset == quote:
            return ()
        edges: dict[str, list[Leg]] = {}
        for p in self.pairs.values():
            if prices.get(p.symbol, 0) > 0:
                edges.setdefault(p.base, []).append(Leg(p.symbol, False, p.base, p.quote))
                edges.setdefault(p.quote, []).append(Leg(p.symbol, True, p.quote, p.base))
        for legs in edges.values():  # deterministic: preferred bridges first, then by name
            legs.sort(key=lambda leg: (leg.target != quote, BRIDGE_RANK.get(leg.target, 99), leg.target, leg.symbol))
        queue: deque[tuple[str, tuple[Leg, ...]]] = deque([(asset, ())])
        seen = {asset}
        while queue:
            node, path = queue.popleft()
            if len(path) >= MAX_HOPS:
                continue
            for leg in edges.get(node, ()):
                if leg.target in seen:
                    continue
                found = (*path, leg)
                if leg.target == quote:
                    return found
                seen.add(leg.target)
                queue.append((leg.target, found))
        return None


def route_price(route: Iterable[Leg], prices: Mapping[str, Decimal]) -> Decimal:
    """One unit of the route's first asset in its last asset."""
    price = Decimal(1)
    for leg in route:
        price = price / prices[leg.symbol] if leg.inverse else price * prices[leg.symbol]
    return price


def quantize(value: Decimal, precision: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_EVEN)


def value_balances(amounts: Mapping[str, Decimal], prices: Mapping[str, Decimal], pairs: Iterable[Pair] | PairGraph,
                   quote: str) -> Valuation:
    """Each asset's amount valued in ``quote`` at the quote asset's precision, with its route; raises
    :class:`UnknownAsset` when no pair trades ``quote``."""
    graph = pairs if isinstance(pairs, PairGraph) else PairGraph(pairs)
    if quote not in graph.assets:
        raise UnknownAsset(quote)
    precision = graph.precision(quote)
    out, total = [], Decimal(0)
    for asset in sorted(amounts):
        amount = amounts[asset]
        route = graph.route(asset, quote, prices)
        if route is None:
            out.append(AssetValue(asset, amount, None, None, ()))
            continue
        price = route_price(route, prices)
        value = quantize(amount * price, precision)
        total += value
        out.append(AssetValue(asset, amount, price, value, route))
    return Valuation(quote, precision, tuple(out), quantize(total, precision))
