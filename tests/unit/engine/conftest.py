"""A small harness over the engine: Decimal-friendly commands, a moving clock, invariants after each step."""

from __future__ import annotations

from decimal import Decimal

import pytest

from minance.engine import (
    CancelOrder,
    Deposit,
    Exchange,
    NewOrder,
    Result,
    check_invariants,
)

T0 = 1_700_000_000_000
_DECIMAL_FIELDS = ("quantity", "quote_order_qty", "price", "stop_price", "avg_price")


def d(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


class Harness:
    def __init__(self, ex: Exchange | None = None) -> None:
        self.ex = ex or Exchange(keep_entries=True)
        self.ts = T0
        self.log: list = []

    def tick(self, ms: int = 1) -> int:
        self.ts += ms
        return self.ts

    def run(self, cmd) -> Result:
        self.log.append(cmd)
        result = self.ex.handle(cmd)
        check_invariants(self.ex)
        return result

    def fund(self, account_id: int, **assets) -> None:
        for asset, amount in assets.items():
            assert self.run(Deposit(account_id, asset, d(amount), self.tick())).ok

    def order(self, account_id: int, side: str, order_type: str = "LIMIT", symbol: str = "BTCUSDT", **kw) -> Result:
        for name in _DECIMAL_FIELDS:
            if name in kw:
                kw[name] = d(kw[name])
        if order_type in ("LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT") and "time_in_force" not in kw:
            kw["time_in_force"] = "GTC"
        return self.run(NewOrder(account_id, symbol, side, order_type, self.tick(), **kw))

    def placed(self, *args, **kw):
        """Place an order that must be accepted; returns its OrderReply."""
        result = self.order(*args, **kw)
        assert result.ok, result.error
        return result.reply

    def cancel(self, account_id: int, symbol: str = "BTCUSDT", **kw) -> Result:
        return self.run(CancelOrder(account_id, symbol, self.tick(), **kw))

    def free(self, account_id: int, asset: str) -> Decimal:
        return self.ex.balance(account_id, asset).free

    def locked(self, account_id: int, asset: str) -> Decimal:
        return self.ex.balance(account_id, asset).locked

    @staticmethod
    def rejected(result: Result, code: int, msg: str | None = None) -> None:
        assert not result.ok, "expected a rejection"
        assert result.error.code == code, (result.error.code, result.error.msg)
        if msg is not None:
            assert result.error.msg == msg, result.error.msg
        assert result.events == []

    @staticmethod
    def events(result: Result, kind: type) -> list:
        return [e for e in result.events if isinstance(e, kind)]

    def status(self, order_id: int, account_id: int, symbol: str = "BTCUSDT") -> str:
        return self.ex.get_order(account_id, symbol, order_id).status.value


@pytest.fixture
def h() -> Harness:
    """Accounts 1 and 2 funded with 1,000,000 USDT and 100 BTC each; account 0 collects fees."""
    harness = Harness()
    for account in (1, 2, 3):
        harness.fund(account, USDT="1000000", BTC="100", ETH="1000")
    return harness
