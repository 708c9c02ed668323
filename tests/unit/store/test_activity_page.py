"""The activity log's keyset pages (the console's Activity page and GET /admin/activity)."""

from __future__ import annotations

from minance.domain.activity import ActivityRecord
from minance.store import open_store


def _rec(i: int, ts: int) -> ActivityRecord:
    return ActivityRecord(ts, 1 + i % 3, "k…", 1, f"10.0.0.{i % 4}", "GET", "/api/v3/account",
                          -2015 if i % 5 == 0 else 0, 401 if i % 5 == 0 else 200, 1, 100)


def test_pages_are_disjoint_newest_first_and_filtered(tmp_path) -> None:
    store = open_store(tmp_path)
    # times mostly increase but not strictly with insertion order (a slow request is logged late)
    times = [1000 + i * 10 - (15 if i % 7 == 0 else 0) for i in range(100)]
    store.record_activity([_rec(i, t) for i, t in enumerate(times)], [], [], {})

    seen, before = [], None
    while True:
        page = store.activity_page(before_id=before, limit=30)
        seen += [row_id for row_id, _ in page]
        if len(page) < 30:
            break
        before = page[-1][0]
    assert seen == list(range(100, 0, -1))

    refused = store.activity_page(outcome="error", limit=100)
    assert len(refused) == 20 and all(r.code == -2015 for _, r in refused)
    assert len(store.activity_page(outcome=-2015, limit=100)) == 20
    assert len(store.activity_page(outcome="ok", limit=100)) == 80
    assert {r.ip for _, r in store.activity_page(ip="10.0.0.2", limit=100)} == {"10.0.0.2"}
    assert {r.key_id for _, r in store.activity_page(key_id=2, limit=100)} == {2}

    # a time range is exact even where ids and times disagree
    window = store.activity_page(since_ms=1200, until_ms=1500, limit=100)
    expected = sorted((i + 1 for i, t in enumerate(times) if 1200 <= t <= 1500), reverse=True)
    assert [row_id for row_id, _ in window] == expected
    assert store.activity_page(since_ms=10_000, limit=10) == []
    assert store.activity_page(until_ms=0, limit=10) == []
    store.close()
