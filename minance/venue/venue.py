"""The exchange behind the HTTP server: one single-writer engine, journalled before every reply.

``submit`` encodes a command for the journal first (a command the journal cannot hold is refused before the
engine sees it), applies it to the in-memory engine, publishes its events (klines; the streams hold theirs
until the journal has them, see ``server/ws/relay.py``), queues it in the journal and waits until the group
commit has it on disk. Only then does the caller answer the client, so an acknowledged order survives
``kill -9``. Commands that the engine declined changed nothing and are not journalled.

A failed commit is fail-stop: the engine now holds state the disk does not, so the venue refuses everything
after it (-1001, the engine included), never snapshots again, and calls ``on_fatal`` so that the process exits
and a restart rebuilds the engine from the journal.

On start the engine is rebuilt from the latest snapshot plus the journal after it (``open_engine``); the
kline history is rebuilt from the engine's trades. Periodic snapshots are written by a forked child
(``snapshotter.py``), so the event loop does not stop for them.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from minance.domain.errors import Err
from minance.domain.symbols import DEFAULT_SYMBOLS, SymbolSpec
from minance.engine import BalanceUpdate, Exchange, Result, Trade
from minance.market.history import MarketHistory
from minance.market.klines import Trade as KlineTrade
from minance.store.codec import Unencodable, decode, encode
from minance.store.journal import Journal, JournalError
from minance.venue.collector import CollectorPolicy
from minance.venue.snapshotter import BackgroundSnapshots

log = logging.getLogger("minance.venue")

JOURNAL_FILE = "journal.db"
_UNIT = Decimal("0.00000001")
# Public trades kept per symbol: ~5 h of the tape's one trade a second, and snapshots of ~20 MB for six symbols.
PUBLIC_TRADES_KEPT = 20_000

Listener = Callable[[list], None]


def open_engine(journal: Journal, specs: dict[str, SymbolSpec] = DEFAULT_SYMBOLS) -> tuple[Exchange, int]:
    """Latest snapshot + every journalled command after it; returns the engine and how many were replayed."""
    engine = Exchange(specs, keep_trades=PUBLIC_TRADES_KEPT)
    snapshot = journal.latest_snapshot()
    after = 0
    if snapshot is not None:
        after, state = snapshot
        engine.restore(state)
        engine.list_symbols(specs.values())  # symbols listed since the snapshot was written
    replayed = 0
    for _, payload in journal.replay(after):
        result = engine.handle(decode(payload))
        if result.error is not None and not result.events:
            log.warning("journalled command declined on replay: %s", result.error)
        replayed += 1
    return engine, replayed


def kline_trade(t: Trade) -> KlineTrade:
    return KlineTrade(t.trade_id, Decimal(t.price_u) * _UNIT, Decimal(t.qty_u) * _UNIT,
                      Decimal(t.quote_qty_u) * _UNIT, t.time_ms, t.is_buyer_maker)


FAULT_ENV = "MINANCE_FAULT_JOURNAL_FAIL_AFTER"  # test hook: see store/journal.py


class Venue:
    def __init__(self, engine: Exchange, journal: Journal, history: MarketHistory, *,
                 snapshot_every: int = 100_000, snapshots: BackgroundSnapshots | None = None,
                 collector: CollectorPolicy | None = None) -> None:
        self._engine = engine
        self.journal = journal
        self.history = history
        self.snapshot_every = snapshot_every
        self.snapshots = snapshots or BackgroundSnapshots(journal.queue_snapshot, use_fork=False)
        self.collector = collector  # the process's GC policy, installed by start() (servers only)
        self.failure: BaseException | None = None
        self.on_fatal: Callable[[BaseException], None] | None = None  # the process owner's exit
        self._fatal_told = False
        self._failure_listeners: list[Callable[[BaseException], None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._since_snapshot = 0
        self._listeners: list[Listener] = []
        self._account_update_ms: dict[int, int] = {}
        journal.on_failure = self._journal_failed
        for sym in engine.symbols.values():  # klines built from local trades, as before the restart
            for t in sym.trades:  # a tape print (both order ids 0) leaves its minute to the feed
                history.record(sym.symbol, kline_trade(t), tape=not (t.buyer_order_id or t.seller_order_id))

    @classmethod
    def open(cls, data_dir: Path, history: MarketHistory, *, durable: bool = True,
             specs: dict[str, SymbolSpec] = DEFAULT_SYMBOLS) -> Venue:
        """The server's venue: snapshots in a forked child, the tuned collector, and the fault hook."""
        fail_after = os.environ.get(FAULT_ENV)
        if fail_after is not None:
            log.warning("%s=%s: the journal will fail on purpose (a test hook)", FAULT_ENV, fail_after)
        journal = Journal(data_dir / JOURNAL_FILE, durable=durable,
                          fail_after=int(fail_after) if fail_after is not None else None)
        engine, replayed = open_engine(journal, specs)
        if replayed:
            log.info("replayed %d journalled commands", replayed)
        return cls(engine, journal, history, snapshots=BackgroundSnapshots(journal.queue_snapshot),
                   collector=CollectorPolicy())

    @property
    def engine(self) -> Exchange:
        """The engine, for reads; after a journal failure it holds state the disk does not: -1001."""
        if self.failure is not None:
            raise Err.DISCONNECTED()
        return self._engine

    @property
    def failed(self) -> bool:
        return self.failure is not None

    def start(self) -> None:
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        self.journal.start()
        if self.collector is not None:
            self.collector.install()

    def close(self) -> None:
        """Snapshot (so the next start replays nothing) and stop the journal writer. After a failure no
        snapshot is taken: the engine holds commands the journal does not."""
        try:
            self.snapshots.wait(timeout=60)
            if self.failure is None:
                self.journal.snapshot(self.journal.last_seq(), self._engine.snapshot())
        except Exception as exc:  # the journal still holds every committed command: nothing is lost
            log.warning("no snapshot at shutdown: %s", exc)
        finally:
            self.journal.close()
            if self.collector is not None:
                self.collector.release()

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def when_failed(self, listener: Callable[[BaseException], None]) -> None:
        """Called on the loop when the journal fails, before ``on_fatal`` (e.g. streams stop rendering)."""
        self._failure_listeners.append(listener)

    def account_update_ms(self, account_id: int) -> int | None:
        """When the account's balances last changed (since this server started)."""
        return self._account_update_ms.get(account_id)

    # -- commands ------------------------------------------------------------------------------
    def _encode(self, command) -> bytes:
        """The journal record, made before the engine sees the command; -1001 once the journal failed."""
        if self.failure is not None:
            raise Err.DISCONNECTED()
        try:
            return encode(command)
        except Unencodable as exc:  # e.g. an integer past 64 bits: refused, nothing applied
            log.warning("command refused, it cannot be journalled: %s", exc)
            raise Err.ILLEGAL_CHARS() from None

    def _apply(self, command, payload: bytes, waiter: bool):
        """Apply and queue the record in the same step (no await between): the engine's state is always
        exactly the journal's records up to ``journal.last_seq()``, which is what a snapshot relies on."""
        result = self._engine.handle(command)
        changed = result.error is None or bool(result.events)
        future = None
        if changed:
            self._publish(result.events)
            try:
                if waiter:
                    future = self.journal.append(payload)
                else:
                    self.journal.append_nowait(payload)
            except JournalError as exc:
                self._fail(exc)
                raise Err.DISCONNECTED() from None
            self._count()
        return result, future

    async def submit(self, command) -> Result:
        """Encode, apply, journal and wait until durable. Declined commands return at once."""
        result, future = self._apply(command, self._encode(command), True)
        if future is not None:
            try:
                await future
            except JournalError as exc:
                self._fail(exc)
                raise Err.DISCONNECTED() from None
        return result

    def submit_nowait(self, command) -> Result:
        """For the market maker: applied and journalled in order, nobody waits for the disk."""
        result, _ = self._apply(command, self._encode(command), False)
        return result

    def _count(self) -> None:
        if self.collector is not None:
            self.collector.on_command()
        self._since_snapshot += 1
        if self._since_snapshot >= self.snapshot_every and self.snapshots.take(self.journal.last_seq(),
                                                                                self._engine.snapshot):
            self._since_snapshot = 0

    # -- fail-stop -----------------------------------------------------------------------------
    def _journal_failed(self, failure: BaseException) -> None:
        """From the journal's writer thread: mark at once (later submits refuse), stop on the loop."""
        self.failure = self.failure or failure
        loop = self._loop
        if loop is None:
            self._fail(failure)
        elif not loop.is_closed():
            loop.call_soon_threadsafe(self._fail, failure)

    def _fail(self, failure: BaseException) -> None:
        self.failure = self.failure or failure
        if not self._fatal_told:
            self._fatal_told = True
            log.critical("the journal failed (%s): refusing every request; the process must restart and "
                         "recover from the journal", failure)
            for listener in self._failure_listeners:
                try:
                    listener(self.failure)
                except Exception:
                    log.exception("failure listener failed")
            if self.on_fatal is not None:
                self.on_fatal(self.failure)

    def _publish(self, events: list) -> None:
        history = self.history
        for event in events:
            if isinstance(event, Trade):
                history.record(event.symbol, kline_trade(event),
                               tape=not (event.buyer_order_id or event.seller_order_id))
            elif isinstance(event, BalanceUpdate):
                self._account_update_ms[event.account_id] = event.time_ms
        for listener in self._listeners:
            listener(events)
