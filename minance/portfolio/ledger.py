"""Cost basis and realised PnL in a quote asset Q from the account's trades (``myTrades``) and transfers
(TRADING §5): a BUY adds a lot (quantity net of a fee charged in the bought asset; cost = what was paid, valued in
Q, plus a fee charged in any other asset at its Q value at fill time); a SELL realises proceeds (net of the fee)
minus the cost of the lots sold — average cost by default, FIFO on request. The asset given up in a trade on a
non-Q pair (BTC in ETHBTC when Q is USDT) and a fee paid in a third asset (BNB) are disposals at their Q value at
fill time. Deposits add lots at their market value at arrival; withdrawals remove lots at cost (no PnL).

Pure: the caller supplies ``price_at(asset, time_ms)`` (one unit in Q then, or None) for non-Q legs.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

__all__ = ["CashFlow", "CostMethod", "Fill", "Ledger", "Position", "Transfer"]

ZERO = Decimal(0)
PriceAt = Callable[[str, int], Decimal | None]


class CostMethod(StrEnum):
    AVERAGE = "average"
    FIFO = "fifo"


@dataclass(frozen=True, slots=True)
class Fill:
    """One of the account's trades, as ``myTrades`` gives it, with the pair's assets."""

    symbol: str
    base: str
    quote: str
    trade_id: int
    time: int
    is_buyer: bool
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    commission: Decimal
    commission_asset: str


@dataclass(frozen=True, slots=True)
class Transfer:
    """A deposit (``amount`` > 0) or a withdrawal (``amount`` < 0): the balance change it made."""

    asset: str
    amount: Decimal
    time: int


@dataclass(frozen=True, slots=True)
class CashFlow:
    """An external flow valued in Q at its time, with the portfolio's equity just before it (for TWR)."""

    time: int
    asset: str
    amount: Decimal
    value: Decimal | None
    equity_before: Decimal | None


@dataclass
class Position:
    asset: str
    qty: Decimal = ZERO
    cost: Decimal = ZERO  # Q: cost of what is held
    realised: Decimal = ZERO  # Q
    fees: Decimal = ZERO  # fees charged in this asset, in the asset
    fees_value: Decimal = ZERO  # the same, in Q at fill time
    unknown_cost: bool = False  # sold more than the history explains, or a deposit with no price then
    lots: deque[list[Decimal]] = field(default_factory=deque)  # FIFO: [qty, cost]

    @property
    def avg_cost(self) -> Decimal | None:
        return self.cost / self.qty if self.qty else None


class Ledger:
    def __init__(self, quote: str, method: CostMethod = CostMethod.AVERAGE, price_at: PriceAt | None = None) -> None:
        self.quote = quote
        self.method = CostMethod(method)
        self._price_at = price_at or (lambda asset, t: None)
        self.positions: dict[str, Position] = {}
        self.flows: list[CashFlow] = []
        self.checkpoints: dict[int, dict[str, Decimal]] = {}  # time → holdings then
        self.realised_at: dict[int, dict[str, Decimal]] = {}  # time → realised PnL per asset until then

    def position(self, asset: str) -> Position:
        pos = self.positions.get(asset)
        if pos is None:
            pos = self.positions[asset] = Position(asset)
        return pos

    def holdings(self) -> dict[str, Decimal]:
        return {a: p.qty for a, p in self.positions.items() if p.qty}

    def price(self, asset: str, time_ms: int) -> Decimal | None:
        return Decimal(1) if asset == self.quote else self._price_at(asset, time_ms)

    def equity_at(self, time_ms: int, holdings: dict[str, Decimal] | None = None) -> Decimal | None:
        total = ZERO
        for asset, qty in (holdings if holdings is not None else self.holdings()).items():
            px = self.price(asset, time_ms)
            if px is None:
                return None
            total += qty * px
        return total

    # -- lots ------------------------------------------------------------------------------------
    def acquire(self, asset: str, qty: Decimal, cost: Decimal | None) -> None:
        pos = self.position(asset)
        if cost is None:
            pos.unknown_cost = True
            cost = ZERO
        pos.qty += qty
        if asset == self.quote:
            return
        pos.cost += cost
        pos.lots.append([qty, cost])

    def _remove(self, pos: Position, qty: Decimal) -> Decimal:
        """Take ``qty`` out of the lots; the cost taken out."""
        held = pos.qty
        if qty > held:
            pos.unknown_cost = True  # more than the history explains: the excess has no known cost
        if held <= 0:
            pos.qty -= qty
            return ZERO
        take = min(qty, held)
        if self.method is CostMethod.AVERAGE:
            removed = pos.cost if take == held else pos.cost * take / held
        else:
            removed, left = ZERO, take
            while left > 0 and pos.lots:
                lot = pos.lots[0]
                if lot[0] <= left:
                    removed += lot[1]
                    left -= lot[0]
                    pos.lots.popleft()
                else:
                    part = lot[1] * left / lot[0]
                    lot[0] -= left
                    lot[1] -= part
                    removed += part
                    left = ZERO
        pos.qty -= qty
        pos.cost -= removed
        if pos.qty <= 0:
            pos.cost = ZERO
            pos.lots.clear()
        return removed

    def dispose(self, asset: str, qty: Decimal, proceeds: Decimal | None) -> None:
        """Give ``qty`` up for ``proceeds`` (Q): realised = proceeds − cost of the lots."""
        pos = self.position(asset)
        if asset == self.quote:
            pos.qty -= qty
            return
        removed = self._remove(pos, qty)
        if proceeds is None:
            pos.unknown_cost = True
            return
        pos.realised += proceeds - removed

    # -- events ----------------------------------------------------------------------------------
    def _value(self, asset: str, amount: Decimal, time_ms: int) -> Decimal | None:
        px = self.price(asset, time_ms)
        return None if px is None else amount * px

    def fill(self, f: Fill) -> None:
        paid_value = self._value(f.quote, f.quote_qty, f.time)
        fee_value = self._value(f.commission_asset, f.commission, f.time) if f.commission else ZERO
        fee_pos = self.position(f.commission_asset)
        fee_pos.fees += f.commission
        fee_pos.fees_value += fee_value or ZERO
        if f.is_buyer:
            self.dispose(f.quote, f.quote_qty, paid_value)
            if f.commission_asset == f.base:  # the fee came out of what was bought
                self.acquire(f.base, f.qty - f.commission, paid_value)
            else:
                cost = None if paid_value is None or fee_value is None else paid_value + fee_value
                self.acquire(f.base, f.qty, cost)
                if f.commission:
                    self.dispose(f.commission_asset, f.commission, fee_value)
            return
        if f.commission_asset == f.quote:  # the fee came out of the proceeds
            net = f.quote_qty - f.commission
            net_value = self._value(f.quote, net, f.time)
            self.dispose(f.base, f.qty, net_value)
            self.acquire(f.quote, net, net_value)
            return
        proceeds = None if paid_value is None or fee_value is None else paid_value - fee_value
        self.dispose(f.base, f.qty, proceeds)
        self.acquire(f.quote, f.quote_qty, paid_value)
        if f.commission:
            self.dispose(f.commission_asset, f.commission, fee_value)

    def transfer(self, t: Transfer) -> None:
        value = self._value(t.asset, abs(t.amount), t.time)
        before = self.equity_at(t.time)
        if t.amount >= 0:
            self.acquire(t.asset, t.amount, value)
        else:  # out at cost: a withdrawal is not a sale
            pos = self.position(t.asset)
            if t.asset == self.quote:
                pos.qty += t.amount
            else:
                self._remove(pos, -t.amount)
        self.flows.append(CashFlow(t.time, t.asset, t.amount, None if value is None else value.copy_sign(t.amount)
                                   if t.amount else ZERO, before))

    def replay(self, fills: Iterable[Fill], transfers: Iterable[Transfer], checkpoints: Iterable[int] = ()) -> None:
        """Everything in time order (a transfer before a trade at the same millisecond); the holdings at each
        checkpoint time are kept in ``self.checkpoints``."""
        events: list[tuple[int, int, int, Fill | Transfer | None]] = []
        events += [(t.time, 0, i, t) for i, t in enumerate(transfers)]
        events += [(f.time, 1, f.trade_id, f) for f in fills]
        events += [(c, -1, 0, None) for c in checkpoints]
        for time_ms, _, _, event in sorted(events, key=lambda e: e[:3]):
            if event is None:
                self.checkpoints[time_ms] = self.holdings()
                self.realised_at[time_ms] = {a: p.realised for a, p in self.positions.items()}
            elif isinstance(event, Transfer):
                self.transfer(event)
            else:
                self.fill(event)
