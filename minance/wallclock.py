"""The wall clock: the one ``Clock`` that reads real time. It lives outside ``minance.domain`` (which stays pure)
and is handed to whatever needs time by the server or the CLI; tests hand in ``domain.clock.SimClock`` instead."""

from __future__ import annotations

import time

__all__ = ["LiveClock"]


class LiveClock:
    """Wall-clock time (UTC epoch)."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def now_us(self) -> int:
        return time.time_ns() // 1_000
