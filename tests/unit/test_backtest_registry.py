"""The backtests index (minance/backtest_registry.py): where it lives, what an entry holds, atomic private writes,
one entry per report folder, and that a reader only ever reaches the served files of a folder the index names."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

from minance import backtest_registry as reg

SUMMARY = {
    "symbol": "BTCUSDT", "interval": "1m", "start": 1_704_067_200_000, "end": 1_704_326_400_000,
    "strategy": "cross", "params": {"fast": "4", "slow": "20"}, "fillModel": "default", "bars": 4320,
    "metrics": {"total_return": 0.0123, "cagr": None, "sharpe": None, "sortino": None, "max_drawdown": 0.02,
                "max_drawdown_days": 1.5, "calmar": None, "trades": 12, "win_rate": 0.5, "profit_factor": 1.2,
                "expectancy": 0.4, "exposure": 0.6, "fees": 3.5, "fills": 24, "start_equity": 5000.0,
                "end_equity": 5061.5, "days": 3.0, "annualised": False, "note": ""},
    "buyAndHold": {"total_return": -0.01, "max_drawdown": 0.03},
    "fingerprint": "ab" * 32, "flaggedBars": [{"index": 3}],
}


def report_dir(root: Path, name: str) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "report.html").write_text(f"<!doctype html><title>{name}</title>")
    (folder / "equity.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return folder


def test_where_the_index_lives(tmp_path):
    assert reg.index_path({"MINANCE_BACKTESTS": str(tmp_path / "i.json")}) == tmp_path / "i.json"
    assert reg.index_path({"XDG_DATA_HOME": str(tmp_path)}) == tmp_path / "minance" / "backtests" / "index.json"
    assert reg.index_path({}) == Path.home() / ".local" / "share" / "minance" / "backtests" / "index.json"


def test_record_and_list_newest_first(tmp_path):
    index = tmp_path / "idx" / "index.json"
    one = reg.record(report_dir(tmp_path, "one"), SUMMARY, index=index, now_ms=1000)
    two = reg.record(report_dir(tmp_path, "two"), {**SUMMARY, "strategy": "dca"}, index=index, now_ms=2000)
    assert one["path"] == str((tmp_path / "one").resolve()) and Path(one["path"]).is_absolute()
    assert one["metrics"]["totalReturn"] == 0.0123 and one["metrics"]["trades"] == 12
    assert one["metrics"]["sharpe"] is None and one["buyAndHold"]["totalReturn"] == -0.01
    assert (one["symbol"], one["interval"], one["start"], one["end"]) == ("BTCUSDT", "1m", *map(SUMMARY.get,
                                                                                                 ("start", "end")))
    assert one["params"] == {"fast": "4", "slow": "20"} and one["flaggedBars"] == 1 and one["created"] == 1000
    assert [e["id"] for e in reg.entries(index)] == [two["id"], one["id"]]
    assert reg.valid_id(one["id"]) and one["id"] != two["id"]
    # private: the index file is 0600, its folder 0700, and no temp file is left behind
    assert stat.S_IMODE(index.stat().st_mode) == 0o600
    assert stat.S_IMODE(index.parent.stat().st_mode) == 0o700
    assert sorted(p.name for p in index.parent.iterdir()) == ["index.json", "index.json.lock"]
    assert json.loads(index.read_text())["version"] == 1


def test_the_same_folder_again_replaces_its_entry(tmp_path):
    index = tmp_path / "index.json"
    folder = report_dir(tmp_path, "r")
    first = reg.record(folder, SUMMARY, index=index, now_ms=1)
    again = reg.record(tmp_path / "." / "r", {**SUMMARY, "strategy": "second"}, index=index, now_ms=2)
    assert again["id"] == first["id"]
    assert [(e["strategy"], e["created"]) for e in reg.entries(index)] == [("second", 2)]


def test_the_index_keeps_the_newest(tmp_path, monkeypatch):
    monkeypatch.setattr(reg, "MAX_ENTRIES", 3)
    index = tmp_path / "index.json"
    for i in range(5):
        reg.record(tmp_path / f"r{i}", SUMMARY, index=index, now_ms=i)
    assert [Path(e["path"]).name for e in reg.entries(index)] == ["r4", "r3", "r2"]


def test_concurrent_writers_lose_nothing(tmp_path):
    index = tmp_path / "index.json"

    def work(k: int) -> None:
        for i in range(15):
            reg.record(tmp_path / f"w{k}-{i}", SUMMARY, index=index)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(reg.entries(index)) == 45


def test_a_corrupt_index_reads_empty_and_is_rewritten(tmp_path):
    index = tmp_path / "index.json"
    index.write_text("{not json")
    assert reg.entries(index) == []
    index.write_text('{"reports": [{"id": "../../etc"}, {"id": "0123456789abcdef", "path": "/x"}, 7]}')
    assert [e["id"] for e in reg.entries(index)] == ["0123456789abcdef"]  # entries with a bad id are dropped
    reg.record(report_dir(tmp_path, "ok"), SUMMARY, index=index)
    assert len(reg.entries(index)) == 2


@pytest.mark.parametrize("bad", ["", "..", "../../etc/passwd", "0123456789ABCDEF", "0123456789abcdef0", "%2e%2e",
                                 "0123456789abcde/", "/etc/passwd"])
def test_a_reader_names_an_id_never_a_path(tmp_path, bad):
    index = tmp_path / "index.json"
    reg.record(report_dir(tmp_path, "r"), SUMMARY, index=index)
    assert reg.find(bad, index) is None
    assert reg.report_file(bad, "report.html", index) is None


def test_only_the_served_files_of_an_indexed_folder(tmp_path):
    index = tmp_path / "index.json"
    folder = report_dir(tmp_path, "r")
    (folder / "summary.json").write_text("{}")
    entry = reg.record(folder, SUMMARY, index=index)
    assert reg.report_file(entry["id"], "report.html", index) == (folder / "report.html").resolve()
    assert reg.report_file(entry["id"], "equity.png", index) == (folder / "equity.png").resolve()
    for name in ("summary.json", "../r/report.html", "/etc/passwd", "report.html/", ""):
        assert reg.report_file(entry["id"], name, index) is None, name
    assert reg.report_file("f" * 16, "report.html", index) is None  # well-formed, not recorded
    # a report.html that links out of its folder is not followed
    secret = tmp_path / "secret.html"
    secret.write_text("secret")
    (folder / "report.html").unlink()
    os.symlink(secret, folder / "report.html")
    assert reg.report_file(entry["id"], "report.html", index) is None
    # a folder moved away: recorded still, but nothing to serve
    (folder / "equity.png").rename(tmp_path / "moved.png")
    assert reg.report_file(entry["id"], "equity.png", index) is None
    assert reg.find(entry["id"], index) is not None
