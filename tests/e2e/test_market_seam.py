"""Issue 9: the market continues its history across the server's start, and ``--klines`` says where the files'
dates went (with ``--klines-keep-dates`` to keep them)."""

from __future__ import annotations

from decimal import Decimal
from statistics import median

import httpx

from tests.support import admin_token, running_server

M = 60_000


def test_the_market_tape_does_not_replace_the_feeds_minutes(tmp_path):
    """Before: every tick's tape trade made its minute "local", so minutes after the start showed 0.002 BTC and
    ~60 trades. Now the tape prints on the trade streams but the minutes stay the feed's."""
    with running_server(tmp_path / "data", "--market-clock", "manual") as server:
        admin = {"Authorization": f"Bearer {admin_token(server.data_dir)}"}
        with httpx.Client(base_url=server.url, timeout=30) as http:
            for _ in range(20):
                http.post("/admin/market/step", json={"ms": 30_000}, headers=admin).raise_for_status()
            now = http.get("/api/v3/time").json()["serverTime"]
            minute = now // M * M
            prints = [t for t in http.get("/api/v3/trades", params={"symbol": "BTCUSDT", "limit": 1000}).json()
                      if t["time"] >= minute]
            (current,) = http.get("/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "1m",
                                                            "startTime": minute, "limit": 1}).json()
            before = http.get("/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "1m", "endTime": minute - 1,
                                                        "limit": 30}).json()
    assert prints and all(Decimal(t["qty"]) > 0 for t in prints)  # the tape still prints
    print_volume = sum(Decimal(t["qty"]) for t in prints)
    assert Decimal(current[5]) != print_volume and current[8] != len(prints)  # the minute is not the prints'
    assert median(k[8] for k in before) > 100  # and the minutes before the start are the feed's, as ever


def _file(folder, day: str, t0: int) -> None:
    rows = [f"{t0 + i * M},100.00,101.00,99.00,100.50,10,{t0 + i * M + M - 1},1000,5,5,500,0" for i in range(60)]
    (folder / f"BTCUSDT-1m-{day}.csv").write_text("\n".join(rows) + "\n")


def test_the_banner_says_where_the_kline_files_dates_went(tmp_path):
    klines = tmp_path / "k"
    klines.mkdir()
    _file(klines, "2024-03-01", 1_709_251_200_000)
    with running_server(tmp_path / "a", "--klines", str(klines), "--market-clock", "manual") as server:
        log = server.log()
    assert "Replaying kline files 2024-03-01 .. 2024-03-01 moved by" in log and "--klines-keep-dates" in log
    with running_server(tmp_path / "b", "--klines", str(klines), "--klines-keep-dates", "--market-clock",
                        "manual") as server:
        log = server.log()
        state = httpx.get(server.url + "/admin/state",
                          headers={"Authorization": f"Bearer {admin_token(server.data_dir)}"}).json()
        depth = httpx.get(server.url + "/api/v3/depth", params={"symbol": "BTCUSDT", "limit": 1}).json()
    assert "at their own dates" in log
    assert state["marketTime"] == 1_709_251_200_000  # the market starts at the file's first minute
    assert Decimal(depth["bids"][0][0]) < Decimal(100) < Decimal(depth["asks"][0][0])  # around its open
