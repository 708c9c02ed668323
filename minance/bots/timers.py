"""Timers on the venue's clock: ``every(interval)`` slots and one-shot ``at(time)``.

Slots are numbered from an anchor (``slot k`` is due at ``anchor + k × interval``), the anchor and the last slot
run are persisted, so after a restart a timer resumes at the next slot it has not run, fires each missed slot
at most ``catch_up`` times late, and never runs a slot twice. The slot number is part of the cause of the
orders placed in it, so the orders of an interrupted slot get the same client order ids when it re-runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Scheduler", "Timer"]


@dataclass
class Timer:
    name: str
    fn: Callable[..., Any]
    interval_ms: int  # 0 for a one-shot ``at`` timer
    anchor_ms: int
    next_slot: int = 0
    catch_up: int = 1  # at most this many overdue slots are run late; older ones are skipped (and counted)
    skipped: int = 0
    done: bool = False
    meta: dict[str, Any] = field(default_factory=dict)

    def due_ms(self, slot: int | None = None) -> int:
        return self.anchor_ms + (self.next_slot if slot is None else slot) * self.interval_ms


class Scheduler:
    """Keeps the timers; ``due(now)`` yields ``(timer, slot)`` to run, in time order."""

    def __init__(self, saved: dict[str, dict[str, int]] | None = None) -> None:
        self.timers: dict[str, Timer] = {}
        self._saved = dict(saved or {})

    def every(self, name: str, interval_ms: int, fn: Callable[..., Any], now_ms: int, *,
              start_ms: int | None = None, catch_up: int = 1) -> Timer:
        if interval_ms <= 0:
            raise ValueError("a timer's interval must be positive")
        saved = self._saved.get(name)
        if saved and saved.get("interval") == interval_ms:
            timer = Timer(name, fn, interval_ms, saved["anchor"], saved["next"], catch_up, saved.get("skipped", 0))
        else:
            anchor = now_ms if start_ms is None else start_ms
            timer = Timer(name, fn, interval_ms, anchor, 0, catch_up)
        self.timers[name] = timer
        return timer

    def at(self, name: str, when_ms: int, fn: Callable[..., Any]) -> Timer:
        saved = self._saved.get(name)
        done = bool(saved and saved.get("anchor") == when_ms and saved.get("next", 0) > 0)
        timer = Timer(name, fn, 0, when_ms, 1 if done else 0, done=done)
        self.timers[name] = timer
        return timer

    def cancel(self, name: str) -> None:
        self.timers.pop(name, None)

    def next_due_ms(self) -> int | None:
        pending = [t.due_ms() for t in self.timers.values() if not t.done]
        return min(pending) if pending else None

    def due(self, now_ms: int) -> list[tuple[Timer, int]]:
        """The (timer, slot) pairs due at ``now_ms``, oldest first; skips slots beyond ``catch_up``."""
        out: list[tuple[Timer, int]] = []
        for timer in self.timers.values():
            if timer.done or timer.due_ms() > now_ms:
                continue
            if timer.interval_ms == 0:
                out.append((timer, 0))
                continue
            last = (now_ms - timer.anchor_ms) // timer.interval_ms  # the newest slot that is due
            first = max(timer.next_slot, last - timer.catch_up + 1)
            timer.skipped += first - timer.next_slot
            timer.next_slot = first
            out.extend((timer, slot) for slot in range(first, last + 1))
        out.sort(key=lambda pair: (pair[0].due_ms(pair[1]), pair[0].name))
        return out

    def mark_done(self, timer: Timer, slot: int) -> None:
        if timer.interval_ms == 0:
            timer.done = True
            timer.next_slot = 1
        else:
            timer.next_slot = max(timer.next_slot, slot + 1)

    def to_json(self) -> dict[str, dict[str, int]]:
        saved = dict(self._saved)
        for t in self.timers.values():
            saved[t.name] = {"interval": t.interval_ms, "anchor": t.anchor_ms, "next": t.next_slot,
                             "skipped": t.skipped}
        return saved
