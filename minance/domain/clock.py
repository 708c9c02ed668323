"""Clocks: the server reads time only through one of these, so tests can step it.

The wall clock itself (``LiveClock``) is ``minance.wallclock``: the domain reads no clock.
"""

from __future__ import annotations

from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int: ...

    def now_us(self) -> int: ...


class SimClock:
    """A clock that only moves when told to."""

    def __init__(self, start_ms: int = 1_700_000_000_000) -> None:
        self._us = start_ms * 1000

    def now_ms(self) -> int:
        return self._us // 1000

    def now_us(self) -> int:
        return self._us

    def advance_ms(self, ms: int) -> None:
        self._us += ms * 1000

    def set_ms(self, ms: int) -> None:
        self._us = ms * 1000
