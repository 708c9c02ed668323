"""The venue's state when no server is running: the CLI reads balances by replaying the journal and
appends deposits to it directly. It holds the data dir's server lock meanwhile, so a server cannot start
half-way through and miss the write."""

from __future__ import annotations

from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from minance.domain.account import Balance
from minance.domain.clock import Clock
from minance.domain.wallet import deposit_record
from minance.engine import Deposit
from minance.store import open_store
from minance.store.codec import encode
from minance.store.journal import Journal
from minance.store.lock import ServerLock
from minance.venue.venue import JOURNAL_FILE, open_engine


class OfflineVenue:
    def __init__(self, data_dir: Path, clock: Clock) -> None:
        self.data_dir = data_dir
        self.clock = clock

    @contextmanager
    def _journal(self):
        lock = ServerLock(self.data_dir)
        journal = Journal(self.data_dir / JOURNAL_FILE)
        try:
            yield journal
        finally:
            journal.close()
            lock.release()

    def deposit(self, account_id: int, asset: str, amount: Decimal) -> None:
        now = self.clock.now_ms()
        with self._journal() as journal:
            journal.append_sync(encode(Deposit(account_id, asset, amount, now)))
            store = open_store(self.data_dir)  # the deposit's history record (deposit/hisrec)
            try:
                store.record_transfer(deposit_record(account_id, asset, amount, now))
            finally:
                store.close()

    def balances(self, account_id: int) -> list[Balance]:
        with self._journal() as journal:
            engine, _ = open_engine(journal)
        return engine.balances(account_id)
