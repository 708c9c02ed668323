"""A failed commit is final: its waiters and every later one fail, nothing after it is written, and snapshots
are stored only behind committed records."""

from __future__ import annotations

import asyncio

import pytest

from minance.store.journal import Journal, JournalFailed


def test_a_failed_commit_fails_everything_after_it(tmp_path):
    told: list[BaseException] = []

    async def scenario() -> None:
        journal = Journal(tmp_path / "j.db", fail_after=1)
        journal.on_failure = told.append
        journal.start()
        assert await journal.append(b"one") == 1
        second = journal.append(b"two")
        with pytest.raises(JournalFailed):
            await second
        for call in (lambda: journal.append(b"three"), journal.barrier, lambda: journal.append_nowait(b"x"),
                     lambda: journal.queue_snapshot(2, b"state")):
            with pytest.raises(JournalFailed):
                call()
        journal.close()

    asyncio.run(scenario())
    assert len(told) == 1
    reopened = Journal(tmp_path / "j.db")
    assert [p for _, p in reopened.replay()] == [b"one"] and reopened.latest_snapshot() is None
    reopened.close()


def test_a_snapshot_waits_for_the_records_before_it(tmp_path):
    async def scenario() -> None:
        journal = Journal(tmp_path / "j.db")
        journal.start()
        for i in range(20):
            journal.append_nowait(f"r{i}".encode())
        done = journal.queue_snapshot(15, b"state@15")
        await journal.barrier()
        assert done.wait(5)
        journal.close()

    asyncio.run(scenario())
    reopened = Journal(tmp_path / "j.db")
    assert reopened.latest_snapshot() == (15, b"state@15")
    assert [s for s, _ in reopened.replay(15)] == [16, 17, 18, 19, 20]
    reopened.close()
