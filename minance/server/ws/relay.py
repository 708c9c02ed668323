"""The engine's events reach the streams once the journal has them on disk.

The venue calls its listeners right after the engine applied a command, before the command is journalled.
A trade published then and lost in a crash a millisecond later would be a trade the exchange never made
after its restart, so stream events follow the same rule as replies: nothing is told before it is durable.

The relay keeps each command's events, and once the command has been handed to the journal (the venue does
that synchronously after its listeners return, hence ``call_soon``) it queues a journal barrier; when the
barrier resolves, everything before it is on disk and the events go to the streams, in engine order. One
barrier serves every command applied in the same turn of the event loop (a market-maker tick, a burst of
orders), as one fsync serves many replies. With nobody listening, events are not even kept.

When the barrier fails (the journal could not commit, or it is closed or failed already), the kept events are
dropped: their commands may not be on disk, and the venue stops (fail-stop) so a restart recovers from the
journal, where those commands do not exist.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

log = logging.getLogger("minance.ws")

Listener = Callable[[list], None]


class DurableRelay:
    def __init__(self, journal, listeners: list[Listener], active: Callable[[], bool]) -> None:
        self.journal = journal
        self.listeners = listeners
        self.active = active  # False when no stream has a subscriber: events are dropped at the door
        self._pending: list[list] = []
        self._scheduled = False

    def __call__(self, events: list) -> None:
        """Venue listener: keep, never wait."""
        if not events or not self.active():
            return
        self._pending.append(events)
        if self._scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (offline use): nothing to wait for
            self._deliver(self._take())
            return
        self._scheduled = True
        loop.call_soon(self._after_append)

    def _take(self) -> list[list]:
        batch, self._pending = self._pending, []
        return batch

    def _after_append(self) -> None:
        self._scheduled = False
        batch = self._take()
        try:
            barrier = self.journal.barrier()
        except Exception as exc:  # closed or failed: nothing more will be durable, so nothing is told
            log.warning("dropping the events of %d commands: %s", len(batch), exc)
            return
        barrier.add_done_callback(lambda done: self._settled(done, batch))

    def _settled(self, done: asyncio.Future, batch: list[list]) -> None:
        if done.cancelled() or done.exception() is not None:
            log.warning("dropping the events of %d commands: the journal did not commit them", len(batch))
            return
        self._deliver(batch)

    def _deliver(self, batch: list[list]) -> None:
        for events in batch:
            for listener in self.listeners:
                try:
                    listener(events)
                except Exception:  # one stream's bug must not starve the others
                    log.exception("stream listener failed")
