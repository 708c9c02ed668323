"""Accounts: names, uids and commissions live in the store; balances live in the engine's ledger."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from minance.domain.account import Account, Balance
from minance.domain.clock import Clock
from minance.store.base import Store, StoreError

_NAME_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_ASSET_RE = re.compile(r"[A-Z0-9]{1,20}")
RESERVED_PREFIX = "minance-"  # the market maker and tape accounts


class AccountError(ValueError):
    pass


def parse_amount(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise AccountError(f"not an amount: {text!r}") from None
    if not value.is_finite() or value <= 0:
        raise AccountError(f"amount must be positive: {text!r}")
    if value.as_tuple().exponent < -8:
        raise AccountError(f"at most 8 decimals: {text!r}")
    if value >= Decimal("1e12"):
        raise AccountError(f"amount too large: {text!r}")
    return value


def parse_asset(text: str) -> str:
    asset = text.strip().upper()
    if not _ASSET_RE.fullmatch(asset):
        raise AccountError(f"not an asset: {text!r}")
    return asset


def balances_json(balances: list[Balance]) -> list[dict]:
    return [{"asset": b.asset, "free": f"{b.free:.8f}", "locked": f"{b.locked:.8f}"} for b in balances]


class AccountService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._by_id: dict[int, Account] = {}

    def by_id(self, account_id: int) -> Account:
        """Accounts never change once created (balances and commissions live in the engine): read each once."""
        account = self._by_id.get(account_id)
        if account is None:
            account = self.store.get_account(account_id)
            if account is None:
                raise AccountError(f"no account with id {account_id}")
            self._by_id[account_id] = account
        return account

    def create(self, name: str, *, system: bool = False) -> Account:
        if not _NAME_RE.fullmatch(name):
            raise AccountError("account names are 1-64 letters, digits, '_', '.', '-'")
        if name.startswith(RESERVED_PREFIX) and not system:
            raise AccountError(f"names starting with {RESERVED_PREFIX!r} are reserved")
        try:
            return self.store.create_account(name, self.clock.now_ms())
        except StoreError as exc:
            raise AccountError(str(exc)) from None

    def ensure(self, name: str) -> Account:
        """The system account ``name``, created on first use."""
        return self.store.get_account(name) or self.create(name, system=True)

    def get(self, name: str) -> Account:
        account = self.store.get_account(name)
        if account is None:
            raise AccountError(f"no such account: {name!r}")
        return account

    def describe(self, account: Account, balances: list[Balance]) -> dict:
        return {"name": account.name, "uid": account.uid, "createTime": account.created_ms,
                "balances": balances_json(balances)}
