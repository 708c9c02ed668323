"""Nothing lives in the engine that is not in the journal: a command the journal cannot hold never reaches the
engine, and a failed commit stops the venue (every later request -1001, no snapshot, no stream event) so that a
restart rebuilds exactly the committed state."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from minance.domain.errors import BinanceError
from minance.domain.orders import OrderType, Side, StpMode, TimeInForce
from minance.engine import Deposit, NewOrder
from minance.market.feed import SyntheticFeed
from minance.market.history import MarketHistory
from minance.server.ws.relay import DurableRelay
from minance.store.journal import Journal, JournalFailed
from minance.venue.snapshotter import BackgroundSnapshots
from minance.venue.venue import Venue, open_engine


def _venue(path, *, fail_after: int | None = None, **kw) -> Venue:
    journal = Journal(path / "journal.db", fail_after=fail_after)
    engine, _ = open_engine(journal)
    return Venue(engine, journal, MarketHistory(SyntheticFeed(0), earliest_ms=0), **kw)


def _buy(i: int = 0, **kw) -> NewOrder:
    return NewOrder(1, "BTCUSDT", Side.BUY, OrderType.LIMIT, 1_700_000_000_000 + i, quantity=Decimal("0.001"),
                    price=Decimal("20000") + i, time_in_force=TimeInForce.GTC, stp_mode=StpMode.NONE, **kw)


def _recovered_hash(path) -> str:
    journal = Journal(path / "journal.db")
    try:
        return open_engine(journal)[0].state_hash()
    finally:
        journal.close()


def test_a_command_the_journal_cannot_hold_never_reaches_the_engine(tmp_path):
    async def scenario() -> None:
        venue = _venue(tmp_path)
        venue.start()
        await venue.submit(Deposit(1, "USDT", Decimal(1000), 1))
        before, seq = venue.engine.state_hash(), venue.journal.last_seq()
        with pytest.raises(BinanceError) as refused:
            await venue.submit(_buy(strategy_id=2**64))  # the reproducer, past any parser check
        assert refused.value.code == -1100 and refused.value.http_status == 400
        assert venue.engine.state_hash() == before and venue.journal.last_seq() == seq
        assert not venue.failed
        await venue.submit(_buy())  # the venue goes on
        venue.close()

    asyncio.run(scenario())


def test_a_failed_commit_stops_the_venue_and_a_restart_recovers_the_committed_state(tmp_path):
    fatal: list[object] = []
    streamed: list[list] = []

    async def scenario() -> str:
        venue = _venue(tmp_path, fail_after=2)  # two records commit, the third fails
        venue.when_failed(lambda failure: fatal.append("streams stopped"))
        venue.on_fatal = fatal.append
        venue.subscribe(DurableRelay(venue.journal, [streamed.append], lambda: True))
        venue.start()
        await venue.submit(Deposit(1, "USDT", Decimal(1000), 1))
        await venue.submit(_buy(0))
        await asyncio.sleep(0)  # the relay's barrier for the committed order resolves
        committed = venue.engine.state_hash()
        told = len(streamed)
        assert told >= 1
        with pytest.raises(BinanceError) as failed:
            await venue.submit(_buy(1))  # applied in memory, then its commit fails
        assert failed.value.code == -1001 and failed.value.http_status == 500
        await asyncio.sleep(0.01)
        assert venue.failed and len(fatal) == 2 and fatal[0] == "streams stopped"
        assert isinstance(fatal[1], JournalFailed)
        assert len(streamed) == told  # nothing of the uncommitted order reached a stream
        for attempt in (lambda: venue.engine, lambda: venue.submit_nowait(_buy(2))):
            with pytest.raises(BinanceError) as refused:
                attempt()
            assert refused.value.code == -1001
        with pytest.raises(BinanceError):
            await venue.submit(Deposit(1, "USDT", Decimal(1), 2))
        venue.close()  # no snapshot of the uncommitted state
        assert len(fatal) == 2
        return committed

    committed = asyncio.run(scenario())
    assert _recovered_hash(tmp_path) == committed
    reopened = Journal(tmp_path / "journal.db")
    assert reopened.latest_snapshot() is None and reopened.last_seq() == 2
    reopened.close()


def test_no_snapshot_is_stored_after_a_failure(tmp_path):
    async def scenario() -> None:
        venue = _venue(tmp_path, fail_after=3, snapshot_every=4)
        venue.start()
        await venue.submit(Deposit(1, "USDT", Decimal(1000), 1))
        for i in range(2):
            await venue.submit(_buy(i))
        venue.submit_nowait(_buy(2))  # the 4th record: fails, and triggers a snapshot that must not be kept
        with pytest.raises(BinanceError):
            await venue.submit(_buy(3))
        venue.close()

    asyncio.run(scenario())
    reopened = Journal(tmp_path / "journal.db")
    assert reopened.latest_snapshot() is None and reopened.last_seq() == 3
    reopened.close()


def test_a_forked_snapshot_is_the_state_at_its_journal_position(tmp_path):
    async def scenario() -> str:
        venue = _venue(tmp_path, snapshot_every=10,
                       snapshots=None)
        venue.snapshots = BackgroundSnapshots(venue.journal.queue_snapshot, use_fork=True)
        venue.start()
        await venue.submit(Deposit(1, "USDT", Decimal(100000), 1))
        for i in range(9):  # the 10th command forks a snapshot at seq 10 ...
            await venue.submit(_buy(i))
        for i in range(9, 14):  # ... while more commands are applied
            venue.submit_nowait(_buy(i))
        assert venue.snapshots.wait(timeout=30)
        await venue.journal.barrier()
        assert venue.snapshots.taken == 1 and venue.snapshots.failed == 0
        live = venue.engine.state_hash()
        venue.journal.close()  # no shutdown snapshot: the forked one must carry the restart
        return live

    live = asyncio.run(scenario())
    reopened = Journal(tmp_path / "journal.db")
    snapshot = reopened.latest_snapshot()
    assert snapshot is not None and snapshot[0] == 10
    assert [seq for seq, _ in reopened.replay(snapshot[0])] == [11, 12, 13, 14, 15]
    reopened.close()
    assert _recovered_hash(tmp_path) == live
