"""Replay pace: market time as a function of wall time.

``market = start_market + (wall − start_wall) × speed``, in integer µs with an exact rational speed.

* **Real time** (the default, ``speed=1``, no ``start_market_ms``): market time *is* wall time, so klines,
  trades and ``/time`` agree with the client's clock.
* **Speed N** (``minance serve --speed N``): market time runs N× faster from the moment the clock is made (it
  starts at wall time unless ``start_market_ms`` says otherwise). Signed-request checks (``timestamp``,
  ``recvWindow``) must keep using the *wall* clock; everything market-side (replayed prices, trade times,
  klines, tickers) uses this one.
* **Stepped** (tests, backtests): pass a :class:`~minance.domain.clock.SimClock` as ``wall`` and advance it; or
  use the SimClock directly as the market clock.

A :class:`MarketClock` satisfies the :class:`~minance.domain.clock.Clock` protocol. Changing speed re-anchors it,
so market time never jumps.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from minance.domain.clock import Clock

__all__ = ["MarketClock", "parse_speed"]


def parse_speed(raw: str | int | float | Decimal | Fraction) -> Fraction:
    """``--speed`` → an exact positive rational (``"10"``, ``"0.5"``, ``"1/60"``). ValueError otherwise."""
    try:
        speed = Fraction(str(raw)) if not isinstance(raw, Fraction) else raw
    except (ValueError, ZeroDivisionError) as e:
        raise ValueError(f"invalid speed {raw!r}") from e
    if speed <= 0:
        raise ValueError(f"speed must be positive, got {raw!r}")
    return speed


class MarketClock:
    """Market time derived from a wall clock at a (changeable) speed."""

    def __init__(self, wall: Clock, *, speed: str | int | Decimal | Fraction = 1,
                 start_market_ms: int | None = None) -> None:
        self._wall = wall
        self._speed = parse_speed(speed)
        self._wall0_us = wall.now_us()
        self._market0_us = self._wall0_us if start_market_ms is None else start_market_ms * 1000

    @property
    def speed(self) -> Fraction:
        return self._speed

    def now_us(self) -> int:
        elapsed = self._wall.now_us() - self._wall0_us
        return self._market0_us + elapsed * self._speed.numerator // self._speed.denominator

    def now_ms(self) -> int:
        return self.now_us() // 1000

    def set_speed(self, speed: str | int | Decimal | Fraction) -> None:
        """Change pace from now on (market time is continuous across the change)."""
        new = parse_speed(speed)
        market_now = self.now_us()
        self._wall0_us, self._market0_us, self._speed = self._wall.now_us(), market_now, new

    def wall_delay_ms(self, market_ms: int) -> int:
        """Wall-clock ms until market time reaches ``market_ms`` (0 if already there): for schedulers."""
        ahead_us = market_ms * 1000 - self.now_us()
        if ahead_us <= 0:
            return 0
        wall_us = -(-ahead_us * self._speed.denominator // self._speed.numerator)
        return -(-wall_us // 1000)
