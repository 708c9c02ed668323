"""The kill switch: per-bot limits checked on every order and every price update, on every venue."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from decimal import Decimal

from minance.bots.errors import KillSwitchTripped

__all__ = ["KillSwitch", "Limits"]


@dataclass(frozen=True, slots=True)
class Limits:
    max_loss: Decimal | None = None  # in the quote asset: realised + unrealised PnL below −max_loss stops the bot
    max_orders_per_min: int | None = 60  # orders sent in any 60 s window of the venue's clock
    max_position: Decimal | None = None  # base quantity the bot may hold per symbol


class KillSwitch:
    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._sent: deque[int] = deque()
        self.tripped: str | None = None

    def trip(self, reason: str) -> None:
        self.tripped = reason
        raise KillSwitchTripped(reason)

    def before_order(self, now_ms: int, symbol: str, buy_qty: Decimal | None, held: Decimal) -> None:
        """Refuse (and trip) when one more order breaks the rate or the position limit."""
        if self.tripped:
            raise KillSwitchTripped(self.tripped)
        limit = self.limits.max_orders_per_min
        if limit is not None:
            while self._sent and self._sent[0] <= now_ms - 60_000:
                self._sent.popleft()
            if len(self._sent) >= limit:
                self.trip(f"kill switch: more than {limit} orders in a minute")
            self._sent.append(now_ms)
        cap = self.limits.max_position
        if cap is not None and buy_qty is not None and held + buy_qty > cap:
            self.trip(f"kill switch: buying {buy_qty} {symbol} would hold {held + buy_qty}, over max_position {cap}")

    def check_loss(self, pnl: Decimal) -> None:
        cap = self.limits.max_loss
        if cap is not None and pnl < -cap:
            self.trip(f"kill switch: loss {-pnl} is over max_loss {cap}")
