"""``minance data download`` from a real ``minance serve`` (API paging) and from a public-data tree served over
HTTP (checksums, µs and ms archives, header-less CSVs, refusal of a tampered archive, resume, gaps)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import threading
import time
import zipfile
from decimal import Decimal
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from minance.history import cache
from tests.support import Server

NOV_2024 = 1730419200000  # 2024-11-01
DEC_2024 = 1733011200000
JAN_2025 = 1735689600000
MIN = 60_000


def data_cli(*args: str, history: Path, check: bool = True, env: dict | None = None
             ) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "minance", "data", *args, "--history", str(history)],
                          capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})})
    if check and proc.returncode != 0:
        raise AssertionError(f"minance data {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
    return proc


# -- a public-data tree ------------------------------------------------------------------------------------
def _rows(start_ms: int, minutes: int, *, micro: bool, skip: range = range(0)) -> list[str]:
    out = []
    price = Decimal("30000.00")
    scale = 1000 if micro else 1
    for i in range(minutes):
        if i in skip:
            continue
        t = start_ms + i * MIN
        o = price
        price += Decimal((i * 7919) % 13 - 6)
        c = price
        h, lo = max(o, c) + Decimal("1.5"), min(o, c) - Decimal("2.25")
        out.append(f"{t * scale},{o},{h},{lo},{c},1.23456789,{(t + MIN) * scale - 1},37037.03,42,0.6,18000.5,0")
    return out


def _publish(root: Path, symbol: str, period: str, lines: list[str], *, header: bool = False,
             tamper: bool = False) -> Path:
    kind = "monthly" if len(period) == 7 else "daily"
    folder = root / "data" / "spot" / kind / "klines" / symbol / "1m"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{symbol}-1m-{period}.zip"
    text = ("open_time,open,high,low,close,volume,close_time,qv,count,tbb,tbq,ignore\n" if header else "")
    text += "\n".join(lines) + "\n"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(name.replace(".zip", ".csv"), text)
    data = buf.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    if tamper:
        data = data[:-30] + bytes(30)
    (folder / name).write_bytes(data)
    (folder / (name + ".CHECKSUM")).write_text(f"{digest}  {name}")  # no trailing newline, as Binance sometimes
    return folder / name


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture
def dumps(tmp_path):
    root = tmp_path / "public"
    root.mkdir()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def _digest(history: Path) -> dict[str, str]:
    return {str(p.relative_to(history)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(history.rglob("*.parquet"))}


def test_dumps_ms_and_us_archives_gaps_and_tamper_refusal(dumps, tmp_path):
    root, url = dumps
    # November 2024 (ms, header-less) with a 5-minute hole; December 2024 with a header row; January 2025 in µs
    _publish(root, "BTCUSDT", "2024-11", _rows(NOV_2024, 30 * 1440, micro=False, skip=range(100, 105)))
    _publish(root, "BTCUSDT", "2024-12", _rows(DEC_2024, 31 * 1440, micro=False), header=True)
    _publish(root, "BTCUSDT", "2025-01", _rows(JAN_2025, 31 * 1440, micro=True))
    history = tmp_path / "history"
    out = data_cli("download", "BTCUSDT", "--source", "dumps", "--dumps-url", url, "--interval", "1m",
                   "--start", "2024-11-01", "--end", "2025-01-31", "--json", history=history)
    [report] = json.loads(out.stdout)
    assert report["archivesImported"] == ["BTCUSDT-1m-2024-11.zip", "BTCUSDT-1m-2024-12.zip",
                                          "BTCUSDT-1m-2025-01.zip"]
    assert report["gaps"] == [{"start": NOV_2024 + 100 * MIN, "end": NOV_2024 + 105 * MIN}]  # reported, not filled
    bars = cache.load_bars("BTCUSDT", "1m", NOV_2024, JAN_2025 + 31 * 1440 * MIN, root=history)
    assert len(bars) == 92 * 1440 - 5
    assert bars.open_time[-1] == JAN_2025 + (31 * 1440 - 1) * MIN  # µs normalised to ms
    assert (np.diff(bars.open_time) > 0).all()
    assert bars.decimal("open", 0) == Decimal("30000.00")
    assert bars.decimal("volume", 0) == Decimal("1.23456789")

    # show and list see it; verify is clean
    shown = json.loads(data_cli("show", "BTCUSDT", "--interval", "1m", "--json", history=history).stdout)
    assert shown["bars"] == len(bars) and shown["ok"] and len(shown["gaps"]) == 1
    listed = json.loads(data_cli("list", "--json", history=history).stdout)
    assert listed == [{"symbol": "BTCUSDT", "interval": "1m", "first": NOV_2024,
                       "last": int(bars.open_time[-1]), "bars": len(bars)}]
    assert data_cli("verify", history=history).returncode == 0

    # a re-run imports nothing (resume); a tampered archive is refused and the cache is not touched
    before = _digest(history)
    again = json.loads(data_cli("download", "BTCUSDT", "--source", "dumps", "--dumps-url", url, "--start",
                                "2024-11-01", "--end", "2025-01-31", "--json", history=history).stdout)[0]
    assert again["archivesImported"] == [] and len(again["archivesSkipped"]) == 3
    _publish(root, "BTCUSDT", "2025-02", _rows(JAN_2025 + 31 * 1440 * MIN, 28 * 1440, micro=True), tamper=True)
    bad = data_cli("download", "BTCUSDT", "--source", "dumps", "--dumps-url", url, "--start", "2025-02-01",
                   "--end", "2025-02-28", history=history, check=False)
    assert bad.returncode == 2
    assert "BTCUSDT-1m-2025-02.zip" in bad.stderr and "does not match" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert _digest(history) == before

    # a file changed behind minance's back fails verify
    victim = next(history.rglob("2024.parquet"))
    victim.write_bytes(victim.read_bytes()[:-8] + b"\0" * 8)
    proc = data_cli("verify", history=history, check=False)
    assert proc.returncode == 2 and "changed since minance wrote it" in proc.stdout


def test_dumps_bad_input(dumps, tmp_path):
    _, url = dumps
    history = tmp_path / "h"
    for args, needle in [
        (["--interval", "7m"], "unknown interval"),
        (["--start", "2024-12-31", "--end", "2024-12-01"], "not after"),
        (["--start", "yesterday"], "not a date"),
    ]:
        base = {"--interval": "1m", "--start": "2024-11-01", "--end": "2024-11-30"}
        for i in range(0, len(args), 2):
            base[args[i]] = args[i + 1]
        flat = [x for kv in base.items() for x in kv]
        proc = data_cli("download", "BTCUSDT", "--source", "dumps", "--dumps-url", url, *flat, history=history,
                        check=False)
        assert proc.returncode == 2 and needle in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
    proc = data_cli("download", "NOSUCHCOIN", "--source", "dumps", "--dumps-url", url, "--start", "2024-11-01",
                    "--end", "2024-11-30", history=history, check=False)
    assert proc.returncode == 2 and "no NOSUCHCOIN 1m archives" in proc.stderr


@pytest.fixture(scope="module")
def market(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("dl") / "data", "--no-rate-limits")
    yield server
    server.stop()


def test_api_download_pages_resumes_and_equals_an_uninterrupted_one(market, tmp_path):
    now = int(time.time() * 1000)
    day = now // 86_400_000 * 86_400_000 - 3 * 86_400_000
    start, end = day, day + 2 * 86_400_000  # 2880 bars = 3 pages
    iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(start / 1000))
    iso_end = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(end / 1000))
    whole, resumed = tmp_path / "whole", tmp_path / "resumed"
    out = data_cli("download", "BTCUSDT", "ETHUSDT", "--interval", "1m", "--start", iso, "--end", iso_end,
                   "--target", market.url, "--json", history=whole)
    reports = json.loads(out.stdout)
    assert [r["barsWritten"] for r in reports] == [2880, 2880]
    assert all(r["gaps"] == [] for r in reports)

    # interrupted: only the first half-day arrived; then the same command finishes the job
    mid = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime((start + 43_200_000) / 1000))
    data_cli("download", "BTCUSDT", "--interval", "1m", "--start", iso, "--end", mid, "--target", market.url,
             history=resumed)
    out = data_cli("download", "BTCUSDT", "--interval", "1m", "--start", iso, "--end", iso_end, "--target",
                   market.url, "--json", history=resumed)
    assert json.loads(out.stdout)[0]["barsWritten"] == 2880 - 720  # only what was missing was fetched
    a = cache.load_bars("BTCUSDT", "1m", start, end, root=whole)
    b = cache.load_bars("BTCUSDT", "1m", start, end, root=resumed)
    for column in cache.COLUMNS:
        assert np.array_equal(getattr(a, column), getattr(b, column)), column

    # the cache holds what the exchange serves, exactly
    import httpx
    served = httpx.get(market.url + "/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "1m",
                                                              "startTime": start, "limit": 3}).json()
    for i, k in enumerate(served):
        assert int(a.open_time[i]) == k[0]
        assert a.decimal("close", i) == Decimal(k[4]) and a.decimal("volume", i) == Decimal(k[5])


def test_api_download_errors_are_one_line(market, tmp_path):
    proc = data_cli("download", "NOPE", "--interval", "1m", "--start", "2026-11-01", "--end", "2026-11-02",
                    "--target", market.url, history=tmp_path / "h", check=False)
    assert proc.returncode == 2 and "-1121" in proc.stderr and "Traceback" not in proc.stderr
    proc = data_cli("download", "BTCUSDT", "--start", "2026-11-01", "--end", "2026-11-02",
                    "--target", "http://127.0.0.1:9", history=tmp_path / "h", check=False)
    assert proc.returncode == 2 and "127.0.0.1:9" in proc.stderr and "Traceback" not in proc.stderr
