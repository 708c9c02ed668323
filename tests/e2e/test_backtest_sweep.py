"""``minance backtest sweep``: a grid across local processes and across a real Dask scheduler and workers started
here; both give the same, deterministic table, and each point equals a ``backtest run`` of the same parameters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from minance.history import cache

START = 1704067200000  # 2024-01-01
DAYS = 3
MIN = 60_000

SMA = '''
from decimal import Decimal
from minance.bots import Param, Strategy


class SmaCross(Strategy):
    """Long when the fast SMA is above the slow one, flat otherwise."""

    symbol = Param(str, "BTCUSDT", "market")
    fast = Param(int, 10, "fast window", min=1)
    slow = Param(int, 30, "slow window", min=2)
    history = 400

    def on_bar(self, ctx, bar):
        closes = ctx.closes(self.slow)
        if len(closes) < self.slow:
            return
        fast = sum(closes[-self.fast:]) / self.fast
        slow = sum(closes) / self.slow
        held = ctx.balance("BTC").free
        if fast > slow and held < Decimal("0.0001"):
            ctx.buy(quote=Decimal("1000"))
        elif fast < slow and held >= Decimal("0.0001"):
            ctx.sell(ctx.rules().round_qty(held))
'''


def cli(*args: str, history: Path, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "minance", "backtest", *args, "--history", str(history)],
                          capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"minance backtest {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    base = tmp_path_factory.mktemp("sweep")
    history = base / "history"
    rng = np.random.default_rng(7)
    n = DAYS * 1440
    close = np.round(30000 * np.exp(np.cumsum(rng.normal(0, 0.001, n))), 2)
    open_ = np.concatenate([[30000.0], close[:-1]])
    rows = []
    for i in range(n):
        o, c = open_[i], close[i]
        t = START + i * MIN
        rows.append((t, f"{o:.2f}", f"{max(o, c) + 0.5:.2f}", f"{min(o, c) - 0.5:.2f}", f"{c:.2f}", "5", t + MIN - 1,
                     "150000", 10, "2.5", "75000"))
    cache.write_bars("BTCUSDT", "1m", rows, root=history)
    strategy = base / "sma.py"
    strategy.write_text(SMA)
    return history, strategy


GRID = ["--grid", "fast=3:7:2", "--grid", "slow=20,40"]
RANGE = ["--symbol", "BTCUSDT", "--interval", "1m", "--start", "2024-01-01", "--end", "2024-01-03"]


def _by_params(data: dict) -> dict[tuple, dict]:
    return {(r["params"]["fast"], r["params"]["slow"]): r["metrics"] for r in data["results"]}


def test_local_sweep_is_sorted_and_matches_single_runs(setup):
    history, strategy = setup
    out = cli("sweep", str(strategy), *RANGE, *GRID, "--workers", "2", "--sort", "total_return", "--json",
              history=history)
    data = json.loads(out.stdout)
    assert data["points"] == 6 and data["failed"] == 0
    returns = [r["metrics"]["total_return"] for r in data["results"]]
    assert returns == sorted(returns, reverse=True)
    assert any(r["metrics"]["trades"] > 0 for r in data["results"])
    best = data["results"][0]
    single = json.loads(cli("run", str(strategy), *RANGE, "--param", f"fast={best['params']['fast']}",
                            "--param", f"slow={best['params']['slow']}", "--json", history=history).stdout)
    assert single["fingerprint"] == best["metrics"]["fingerprint"]
    assert single["metrics"]["total_return"] == best["metrics"]["total_return"]
    # the table form
    table = cli("sweep", str(strategy), *RANGE, *GRID, "--workers", "1", "--sort", "max_drawdown",
                history=history).stdout
    assert "fast" in table and "slow" in table and "max_drawdown" in table


def test_sweep_bad_input(setup):
    history, strategy = setup
    for extra, needle in [
        (["--grid", "fast=9:3:1"], "below START"),
        (["--grid", "fast=1:2"], "START:STOP:STEP"),
        (["--grid", "nope=1,2"], "nope"),
        (["--grid", "fast=a,b"], "fast"),
    ]:
        proc = cli("sweep", str(strategy), *RANGE, *extra, history=history, check=False)
        assert proc.returncode == 2, proc.stderr
        assert needle in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    proc = cli("sweep", str(strategy), "--symbol", "BTCUSDT", "--start", "2023-01-01", "--end", "2023-01-02",
               *GRID, history=history, check=False)
    assert proc.returncode == 2 and "minance data download BTCUSDT" in proc.stderr


def _wait_for(path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size:
            return
        time.sleep(0.1)
    raise AssertionError(f"{path} did not appear")


def test_dask_sweep_equals_local(setup, tmp_path):
    history, strategy = setup
    bin_dir = Path(sys.executable).parent
    sched_file = tmp_path / "scheduler.json"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False", "PYTHONPATH": os.getcwd()}
    procs = [subprocess.Popen([str(bin_dir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--no-dashboard", "--scheduler-file", str(sched_file)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)]
    try:
        _wait_for(sched_file)
        address = json.loads(sched_file.read_text())["address"]
        procs.append(subprocess.Popen([str(bin_dir / "dask"), "worker", address, "--nworkers", "2", "--nthreads",
                                       "1", "--no-dashboard", "--host", "127.0.0.1"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env))
        from distributed import Client
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        remote = json.loads(cli("sweep", str(strategy), *RANGE, *GRID, "--dask", address, "--json",
                                history=history).stdout)
        local = json.loads(cli("sweep", str(strategy), *RANGE, *GRID, "--workers", "1", "--json",
                               history=history).stdout)
        assert remote["failed"] == 0
        assert _by_params(remote) == _by_params(local)
        proc = cli("sweep", str(strategy), *RANGE, *GRID, "--dask", "tcp://127.0.0.1:9", history=history,
                   check=False)
        assert proc.returncode == 2 and "127.0.0.1:9" in proc.stderr
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
