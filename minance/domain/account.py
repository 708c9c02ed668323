"""Accounts and balances as values."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    name: str
    uid: int
    created_ms: int
    maker_bps: int = 10  # commissions in basis points (10 = 0.10%), Binance's default tier
    taker_bps: int = 10
    update_ms: int = 0


@dataclass(frozen=True, slots=True)
class Balance:
    asset: str
    free: Decimal
    locked: Decimal
