"""The exchange behind the HTTP server: one single-writer engine, journalled before every reply.

``submit`` applies a command to the in-memory engine, publishes its events (klines, later streams), queues
it in the journal and waits until the journal's group commit has it on disk. Only then does the caller
answer the client, so an acknowledged order survives ``kill -9``. Commands that the engine declined
changed nothing and are not journalled.

On start the engine is rebuilt from the latest snapshot plus the journal after it (``open_engine``); the
kline history is rebuilt from the engine's trades.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from minance.engine import BalanceUpdate, Exchange, Result, Trade
from minance.market.history import MarketHistory
from minance.market.klines import Trade as KlineTrade
from minance.market.symbols import DEFAULT_SYMBOLS, SymbolSpec
from minance.store.codec import decode, encode
from minance.store.journal import Journal

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


class Venue:
    def __init__(self, engine: Exchange, journal: Journal, history: MarketHistory, *,
                 snapshot_every: int = 100_000) -> None:
        self.engine = engine
        self.journal = journal
        self.history = history
        self.snapshot_every = snapshot_every
        self._since_snapshot = 0
        self._listeners: list[Listener] = []
        self._account_update_ms: dict[int, int] = {}
        for sym in engine.symbols.values():  # klines built from local trades, as before the restart
            for t in sym.trades:
                history.record(sym.symbol, kline_trade(t))

    @classmethod
    def open(cls, data_dir: Path, history: MarketHistory, *, durable: bool = True,
             specs: dict[str, SymbolSpec] = DEFAULT_SYMBOLS) -> Venue:
        journal = Journal(data_dir / JOURNAL_FILE, durable=durable)
        engine, replayed = open_engine(journal, specs)
        if replayed:
            log.info("replayed %d journalled commands", replayed)
        return cls(engine, journal, history)

    def start(self) -> None:
        self.journal.start()

    def close(self) -> None:
        """Snapshot (so the next start replays nothing) and stop the journal writer."""
        try:
            self.journal.snapshot(self.journal.last_seq(), self.engine.snapshot())
        finally:
            self.journal.close()

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def account_update_ms(self, account_id: int) -> int | None:
        """When the account's balances last changed (since this server started)."""
        return self._account_update_ms.get(account_id)

    # -- commands ------------------------------------------------------------------------------
    def _apply(self, command) -> tuple[Result, bool]:
        result = self.engine.handle(command)
        changed = result.error is None or bool(result.events)
        if changed:
            self._publish(result.events)
        return result, changed

    async def submit(self, command) -> Result:
        """Apply, journal and wait until durable. Declined commands return at once."""
        result, changed = self._apply(command)
        if changed:
            await self.journal.append(encode(command))
            self._count()
        return result

    def submit_nowait(self, command) -> Result:
        """For the market maker: applied and journalled in order, nobody waits for the disk."""
        result, changed = self._apply(command)
        if changed:
            self.journal.append_nowait(encode(command))
            self._count()
        return result

    def _count(self) -> None:
        self._since_snapshot += 1
        if self._since_snapshot >= self.snapshot_every:
            self._since_snapshot = 0
            self.journal.snapshot(self.journal.last_seq(), self.engine.snapshot())

    def _publish(self, events: list) -> None:
        history = self.history
        for event in events:
            if isinstance(event, Trade):
                history.record(event.symbol, kline_trade(event))
            elif isinstance(event, BalanceUpdate):
                self._account_update_ms[event.account_id] = event.time_ms
        for listener in self._listeners:
            listener(events)
