"""How the server runs Python's cyclic garbage collector around a large engine.

The engine's state is hundreds of thousands of long-lived objects (orders, book levels, reservations, trades).
With CPython's default settings every full collection walks all of them: at 100k resting orders that is ~35% of
the engine's CPU and pauses of 100–265 ms. None of it is garbage: the engine frees what it forgets by reference
counting.

So: after the state is loaded it is frozen (``gc.freeze``: moved to a generation the collector never scans),
and every ``refreeze_every`` commands what survived since is frozen too, after a young-generation collection
(cheap: it only walks objects created since). The oldest generation's threshold is raised so that a full
collection in between is rare, and the youngest one's so that fewer, still short, collections run. Measured
by ``bench/engine.py`` at 100k resting orders: the worst collection went from ~250–420 ms to ~10 ms.

The price: a reference cycle that becomes garbage after it was frozen (an order list and its legs forgotten by
retention, a closed WebSocket connection's objects) is not freed until the next full sweep, which unfreezes,
collects everything once and freezes again every ``full_sweep_s`` (an hour): one pause of the old size an hour
instead of several a minute.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass

__all__ = ["CollectorPolicy"]


@dataclass
class CollectorPolicy:
    threshold0: int = 5_000
    threshold1: int = 10
    threshold2: int = 1_000
    refreeze_every: int = 10_000  # commands between two freezes of what survived
    full_sweep_s: float = 3600.0
    _since: int = 0
    _installed: bool = False
    _saved: tuple[int, int, int] = (700, 10, 10)
    _last_sweep: float = 0.0

    def install(self) -> None:
        """Call once the engine is loaded (the process's GC settings change: servers and benchmarks only)."""
        self._saved = gc.get_threshold()
        gc.collect()
        gc.freeze()
        gc.set_threshold(self.threshold0, self.threshold1, self.threshold2)
        self._installed = True
        self._since = 0
        self._last_sweep = time.monotonic()

    def on_command(self) -> None:
        if not self._installed:
            return
        self._since += 1
        if self._since >= self.refreeze_every:
            self.refreeze()

    def refreeze(self) -> None:
        self._since = 0
        if time.monotonic() - self._last_sweep >= self.full_sweep_s:
            self.sweep()
            return
        gc.collect(1)  # the young generations only: what is garbage among the newest objects goes first
        gc.freeze()

    def sweep(self) -> None:
        """Everything once, the frozen objects included (frees cycles that died after they were frozen)."""
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self._last_sweep = time.monotonic()

    def release(self) -> None:
        """Back to the defaults (tests and benchmarks comparing settings)."""
        if self._installed:
            gc.unfreeze()
            gc.set_threshold(*self._saved)
            self._installed = False
