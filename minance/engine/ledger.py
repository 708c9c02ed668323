"""The ledger: free/locked balances per account and asset, moved only by balanced postings.

Amounts are integer units of 1e-8. Every movement is one of a few posting kinds; each kind is counted, and
with ``keep_entries`` every posting is also recorded, so conservation can be proven: for every asset, the
sum of free+locked over all accounts (the fee collector included) equals deposits minus withdrawals.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Cell", "Entry", "Ledger", "Reservation"]


class Cell:
    """One account's balance in one asset (mutable; the ledger alone changes it)."""

    __slots__ = ("account_id", "asset", "free", "locked")

    def __init__(self, account_id: int, asset: str, free: int = 0, locked: int = 0) -> None:
        self.account_id = account_id
        self.asset = asset
        self.free = free
        self.locked = locked


class Reservation:
    """Funds locked for open orders. One order owns one; the legs of an OCO share one.

    ``users`` counts the open orders drawing on it: the remainder is released when the last one finishes.
    """

    __slots__ = ("amount", "cell", "users")

    def __init__(self, cell: Cell, amount: int, users: int = 1) -> None:
        self.cell = cell
        self.amount = amount
        self.users = users


class Entry(NamedTuple):
    """One posting, recorded when the ledger keeps entries (tests, audits)."""

    kind: str  # deposit, withdraw, reserve, release, trade, fee
    account_id: int
    asset: str
    free_delta: int
    locked_delta: int


class Ledger:
    """Balances and postings. The engine is its only writer; reads are cheap attribute accesses."""

    __slots__ = ("cells", "counts", "entries", "supply", "touched")

    def __init__(self, keep_entries: bool = False) -> None:
        self.cells: dict[int, dict[str, Cell]] = {}
        self.supply: dict[str, int] = {}  # deposits minus withdrawals, per asset
        self.counts: dict[str, int] = {"deposit": 0, "withdraw": 0, "reserve": 0, "release": 0, "trade": 0,
                                       "fee": 0}
        self.entries: list[Entry] | None = [] if keep_entries else None
        self.touched: dict[Cell, None] = {}  # cells changed by the current command, in first-touch order

    def cell(self, account_id: int, asset: str) -> Cell:
        cells = self.cells.get(account_id)
        if cells is None:
            cells = self.cells[account_id] = {}
        cell = cells.get(asset)
        if cell is None:
            cell = cells[asset] = Cell(account_id, asset)
        return cell

    def _record(self, kind: str, cell: Cell, free_delta: int, locked_delta: int) -> None:
        self.counts[kind] += 1
        if self.entries is not None:
            self.entries.append(Entry(kind, cell.account_id, cell.asset, free_delta, locked_delta))
        self.touched[cell] = None

    # external flows -------------------------------------------------------------------------------------
    def deposit(self, cell: Cell, amount: int) -> None:
        assert amount > 0
        cell.free += amount
        self.supply[cell.asset] = self.supply.get(cell.asset, 0) + amount
        self._record("deposit", cell, amount, 0)

    def withdraw(self, cell: Cell, amount: int) -> None:
        assert 0 < amount <= cell.free
        cell.free -= amount
        self.supply[cell.asset] -= amount
        self._record("withdraw", cell, -amount, 0)

    # reservations ---------------------------------------------------------------------------------------
    def reserve(self, res: Reservation, amount: int) -> None:
        """Move ``amount`` from free to locked for ``res`` (the caller checked it is available)."""
        cell = res.cell
        assert 0 <= amount <= cell.free, (amount, cell.free)
        if amount:
            cell.free -= amount
            cell.locked += amount
            res.amount += amount
            self.counts["reserve"] += 1  # self._record("reserve", cell, -amount, amount), inlined
            if self.entries is not None:
                self.entries.append(Entry("reserve", cell.account_id, cell.asset, -amount, amount))
            self.touched[cell] = None

    def release(self, res: Reservation, amount: int) -> None:
        cell = res.cell
        assert 0 <= amount <= res.amount <= cell.locked, (amount, res.amount, cell.locked)
        if amount:
            cell.locked -= amount
            cell.free += amount
            res.amount -= amount
            self.counts["release"] += 1  # self._record("release", cell, amount, -amount), inlined
            if self.entries is not None:
                self.entries.append(Entry("release", cell.account_id, cell.asset, amount, -amount))
            self.touched[cell] = None

    # trades ---------------------------------------------------------------------------------------------
    def settle(self, buyer_res: Reservation, buyer_base: Cell, seller_res: Reservation, seller_quote: Cell,
               qty: int, quote: int, buyer_fee: int, seller_fee: int, fee_base: Cell, fee_quote: Cell) -> None:
        """One fill: quote leaves the buyer's lock for the seller, base the seller's lock for the buyer.

        Each side's commission is taken from what it receives and credited to the fee collector.
        """
        bq = buyer_res.cell
        sb = seller_res.cell
        assert quote <= buyer_res.amount and qty <= seller_res.amount, (quote, buyer_res.amount, qty,
                                                                         seller_res.amount)
        buyer_res.amount -= quote
        bq.locked -= quote
        seller_res.amount -= qty
        sb.locked -= qty
        buyer_base.free += qty - buyer_fee
        seller_quote.free += quote - seller_fee
        fee_base.free += buyer_fee
        fee_quote.free += seller_fee
        counts = self.counts
        counts["trade"] += 4
        counts["fee"] += 2
        touched = self.touched
        touched[bq] = None
        touched[buyer_base] = None
        touched[sb] = None
        touched[seller_quote] = None
        touched[fee_base] = None
        touched[fee_quote] = None
        if self.entries is not None:
            self.entries.extend((
                Entry("trade", bq.account_id, bq.asset, 0, -quote),
                Entry("trade", seller_quote.account_id, seller_quote.asset, quote, 0),
                Entry("trade", sb.account_id, sb.asset, 0, -qty),
                Entry("trade", buyer_base.account_id, buyer_base.asset, qty, 0),
                Entry("fee", buyer_base.account_id, buyer_base.asset, -buyer_fee, 0),
                Entry("fee", fee_base.account_id, fee_base.asset, buyer_fee, 0),
                Entry("fee", seller_quote.account_id, seller_quote.asset, -seller_fee, 0),
                Entry("fee", fee_quote.account_id, fee_quote.asset, seller_fee, 0),
            ))

    # checks ---------------------------------------------------------------------------------------------
    def totals(self) -> dict[str, int]:
        """free+locked per asset, summed over every account."""
        out: dict[str, int] = {}
        for cells in self.cells.values():
            for asset, cell in cells.items():
                out[asset] = out.get(asset, 0) + cell.free + cell.locked
        return out

    def check_conservation(self) -> None:
        totals = self.totals()
        for asset in set(totals) | set(self.supply):
            assert totals.get(asset, 0) == self.supply.get(asset, 0), (asset, totals.get(asset), self.supply.get(asset))
        for cells in self.cells.values():
            for cell in cells.values():
                assert cell.free >= 0 and cell.locked >= 0, (cell.account_id, cell.asset, cell.free, cell.locked)
        if self.entries is not None:
            net: dict[str, int] = {}
            for e in self.entries:
                if e.kind in ("deposit", "withdraw"):
                    net[e.asset] = net.get(e.asset, 0) + e.free_delta
            for asset, amount in net.items():
                assert amount == self.supply.get(asset, 0), (asset, amount)
