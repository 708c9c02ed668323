from __future__ import annotations

import asyncio

from minance.store.journal import Journal


def test_group_commit_is_ordered_and_durable(tmp_path):
    async def scenario() -> list[int]:
        journal = Journal(tmp_path / "j.db")
        journal.start()
        futures = [journal.append(f"cmd{i}".encode()) for i in range(500)]
        journal.append_nowait(b"maker")
        seqs = await asyncio.gather(*futures)
        journal.close()
        assert journal.commits < 500  # many records share one fsync
        return seqs

    seqs = asyncio.run(scenario())
    assert seqs == list(range(1, 501))
    reopened = Journal(tmp_path / "j.db")
    records = list(reopened.replay())
    assert [p for _, p in records] == [f"cmd{i}".encode() for i in range(500)] + [b"maker"]
    assert reopened.last_seq() == 501


def test_snapshot_truncates_and_replay_resumes_after_it(tmp_path):
    journal = Journal(tmp_path / "j.db")
    for i in range(10):
        journal.append_sync(f"c{i}".encode())
    journal.snapshot(6, b"state@6")
    journal.append_sync(b"c10")
    journal.close()
    reopened = Journal(tmp_path / "j.db")
    assert reopened.latest_snapshot() == (6, b"state@6")
    assert [p for _, p in reopened.replay(6)] == [b"c6", b"c7", b"c8", b"c9", b"c10"]
    assert reopened.last_seq() == 11


def test_barrier_waits_for_everything_before_it(tmp_path):
    async def scenario() -> None:
        journal = Journal(tmp_path / "j.db")
        journal.start()
        for i in range(50):
            journal.append_nowait(f"m{i}".encode())
        await journal.barrier()
        assert journal.records == 50
        journal.close()

    asyncio.run(scenario())
    assert len(list(Journal(tmp_path / "j.db").replay())) == 50
