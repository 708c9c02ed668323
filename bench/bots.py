"""Bot reaction times and runner overhead, against one real ``minance serve --market-clock manual`` on loopback.

* **Stop-loss reaction**: a bot holds BTC behind an exchange-side STOP_LOSS; the bench moves the market through
  it (``POST /admin/market/dislocate``, the replay crossing the stop) and measures from that request being sent
  to the FILLED ``executionReport`` reaching the bot's ``on_fill``. 200 triggers (the bot buys back and re-arms
  between them). Target p99 < 5 ms.
* Both bots respect Binance's ORDERS limit (50 per 10 s; the SDK waits when it is reached), so the bench paces
  the triggers below it.
* **Arbitrage reaction**: the ``triarb`` built-in watching BTCUSDT/ETHBTC/ETHUSDT; the bench dislocates ETHBTC
  by 60 bps; measured from the bookTicker that shows the edge reaching the bot (its ``on_tick``) to the third
  IOC leg's answer. Target p50 < 10 ms.
* **Runner overhead per market event**: in-process, the CPU cost of one bookTicker message through the raw
  stream client's parsing (``json.loads`` + ``parse_market``) and through the runner on top of it (caches,
  ``BotCore.tick``, the strategy's hook, the no-change commit check), in µs.

The exchange tells events once they are durable (one fsync of its journal), so every reaction includes an fsync:
``--no-durable`` runs it without, to show what the bot and the network path cost alone.

    .venv/bin/python bench/bots.py                 # 200 stop triggers, 50 arbitrage cycles
    .venv/bin/python bench/bots.py --quick
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import ClassVar

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from minance.bots import Param, Strategy, run  # noqa: E402
from minance.bots.loader import load_strategy  # noqa: E402
from minance.bots.safety import Limits  # noqa: E402
from minance.vault.profile import Profile, Secret  # noqa: E402
from tests.support import Server  # noqa: E402

# Binance's ORDERS limit (50 per 10 s), which the SDK respects by waiting: the bench paces itself below it so that
# no measurement includes such a wait
ORDER_RATE_PER_S = 4.5
ORDERS_PER_TRIGGER = 2  # the stop's market sell, then the buy-back (the re-armed stop is a third, not timed)
ORDERS_PER_CYCLE = 3


def _pace(t0: float, orders: int) -> None:
    wait = (orders + 1) / ORDER_RATE_PER_S - (time.perf_counter() - t0)
    if wait > 0:
        time.sleep(wait)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Exchange:
    def __init__(self, root: Path, durable: bool = True) -> None:
        self.server = Server(root / "data", "--market-clock", "manual",
                             env={"MINANCE_RATE_LIMITS": "0", "MINANCE_DURABLE": "1" if durable else "0"})
        token = (self.server.data_dir / "admin.token").read_text().strip()
        self.http = httpx.Client(base_url=self.server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)

    def trader(self, name: str, **deposits: str) -> Profile:
        assert self.http.post("/admin/accounts", json={"name": name, "deposits": deposits}).status_code == 200
        issued = self.http.post("/admin/keys", json={"account": name, "permissions": ["reading", "spot"]}).json()
        return Profile(name=name, api_key=issued["apiKey"], secret=Secret(issued["secretKey"]),
                       target=self.server.url)

    def dislocate(self, symbol: str, bps: int) -> None:
        resp = self.http.post("/admin/market/dislocate", json={"symbol": symbol, "bps": bps})
        assert resp.status_code == 200, resp.text

    def close(self) -> None:
        self.http.close()
        self.server.stop()


class StopBench(Strategy):
    """Holds a little BTC behind a STOP_LOSS 0.5 % below the market; each time the stop fills it buys back and
    re-arms (the bench restores the price first)."""

    interval = None
    ticks = "bookTicker"
    durable_intents = False
    symbol = Param(str, "BTCUSDT")
    qty = Param(Decimal, "0.001")
    filled: ClassVar[list[float]] = []  # perf_counter() at each stop fill, read by the bench thread
    armed = threading.Event()

    def on_start(self, ctx):
        ctx.buy(self.qty, key="init")
        self.arm(ctx)

    def arm(self, ctx):
        ctx.stop_loss(self.qty, ctx.round_price(ctx.quote().bid * Decimal("0.995")))
        StopBench.armed.set()

    def on_fill(self, ctx, fill):
        if fill.side.value == "SELL":
            StopBench.filled.append(time.perf_counter())
            ctx.state["n"] = ctx.state.get("n", 0) + 1
            ctx.state["rearm"] = True
            ctx.state["low"] = str(fill.price)
            return
        if ctx.state.pop("rearm", False):
            self.arm(ctx)

    def on_tick(self, ctx, tick):  # after the bench restores the price: buy back (then on_fill re-arms)
        restored = tick.bid > Decimal(ctx.state.get("low", "0")) * Decimal("1.005")
        if ctx.state.get("rearm") and restored and not ctx.state.get("buying"):
            ctx.state["buying"] = True
            ctx.buy(self.qty, key=f"rebuy{ctx.state['n']}")
            ctx.state["buying"] = False


def bench_stops(ex: Exchange, home: Path, n: int) -> dict:
    profile = ex.trader("stops", USDT="100000", BTC="1")
    StopBench.filled.clear()
    StopBench.armed.clear()
    thread = threading.Thread(target=run, args=(StopBench,), daemon=True,
                              kwargs={"venue": "local", "profile": profile, "name": "stops",
                                      "state_dir": home / "stops", "stop_after": 600,
                                      "limits": Limits(max_orders_per_min=None)})
    thread.start()
    _wait_ready(home / "stops")
    latencies = []
    for i in range(n):
        if not StopBench.armed.wait(30):
            raise RuntimeError(f"the bot did not re-arm (trigger {i})")
        StopBench.armed.clear()
        before = len(StopBench.filled)
        t0 = time.perf_counter()
        ex.dislocate("BTCUSDT", -100)  # the replay crosses the stop (0.5 % below)
        deadline = time.monotonic() + 10
        while len(StopBench.filled) == before:
            if time.monotonic() > deadline:
                raise RuntimeError(f"stop {i} did not fill")
            time.sleep(0.0002)
        latencies.append((StopBench.filled[-1] - t0) * 1000)
        ex.dislocate("BTCUSDT", 0)  # back up: the bot buys back and re-arms below the restored price
        _pace(t0, ORDERS_PER_TRIGGER)
    _stop_bot(home / "stops")
    thread.join(30)
    return {"triggers": n, "p50_ms": round(pct(latencies, 0.5), 3), "p99_ms": round(pct(latencies, 0.99), 3),
            "max_ms": round(max(latencies), 3), "target_p99_ms": 5.0}


def bench_arb(ex: Exchange, home: Path, n: int) -> dict:
    profile = ex.trader("arb", USDT="1000000")
    base = load_strategy("triarb")
    samples: list[float] = []
    ends: list[float] = []
    done = threading.Event()

    class Timed(base):  # type: ignore[misc, valid-type]
        def on_tick(self, ctx, tick):
            t0 = time.perf_counter()
            before = ctx.state["totals"]["attempts"]
            super().on_tick(ctx, tick)
            if ctx.state["totals"]["attempts"] != before:
                end = time.perf_counter()
                samples.append((end - t0) * 1000)
                ends.append(end)
                done.set()

    thread = threading.Thread(target=run, args=(Timed,), daemon=True,
                              kwargs={"venue": "local", "profile": profile, "name": "arb", "state_dir": home / "arb",
                                      "stop_after": 600, "limits": Limits(max_orders_per_min=None),
                                      "params": {"amount": "1000", "min_edge_bps": "5", "cooldown": "1ms"}})
    thread.start()
    _wait_ready(home / "arb")
    from_move = []
    missed: list[list[str]] = []
    for _ in range(n):
        done.clear()
        t0 = time.perf_counter()
        ex.dislocate("ETHBTC", 60)
        if not done.wait(10):  # counted and reported, with what the bot said
            missed.append(_last_logs(home / "arb"))
            ex.dislocate("ETHBTC", 0)
            continue
        from_move.append((ends[-1] - t0) * 1000)
        ex.dislocate("ETHBTC", 0)
        _pace(t0, ORDERS_PER_CYCLE)
    _stop_bot(home / "arb")
    thread.join(30)
    return {"cycles": n, "p50_ms": round(pct(samples, 0.5), 3), "p99_ms": round(pct(samples, 0.99), 3),
            "from_move_p50_ms": round(pct(from_move, 0.5), 3), "from_move_p99_ms": round(pct(from_move, 0.99), 3),
            "missed": len(missed), "missed_logs": missed[:3], "target_p50_ms": 10.0}


def _last_logs(state_dir: Path) -> list[str]:
    from minance.bots.store import BotStore

    store = BotStore(state_dir / "bot.db")
    try:
        return [r["msg"] for r in store.logs(6)]
    finally:
        store.close()


def _wait_ready(state_dir: Path) -> None:
    from minance.bots.store import BotStore

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if (state_dir / "bot.db").exists():
            store = BotStore(state_dir / "bot.db")
            ready = store.get("ready")
            store.close()
            if ready:
                return
        time.sleep(0.05)
    raise RuntimeError(f"the bot in {state_dir} did not start")


def _stop_bot(state_dir: Path) -> None:
    from minance.bots.store import BotStore

    store = BotStore(state_dir / "bot.db")
    store.put("control", {"stop": True})
    store.close()


def bench_overhead(n: int) -> dict:
    """Per-event CPU: the raw client's parsing vs the runner's handling on top of it (no network)."""
    from minance.bots.core import BotCore
    from minance.bots.live import LiveContext
    from minance.bots.rules import SymbolRules
    from minance.bots.runner import Runner
    from minance.client.stream_events import parse_market

    msgs = [json.dumps({"stream": "btcusdt@bookTicker", "data": {"u": i, "s": "BTCUSDT", "b": f"{85000 + i % 7}.01",
                                                                  "B": "0.5", "a": f"{85001 + i % 7}.02", "A": "0.4"}})
            for i in range(n)]
    t = time.perf_counter()
    events = []
    for m in msgs:
        d = json.loads(m)
        events.append(parse_market(d["stream"], d["data"]))
    raw_us = (time.perf_counter() - t) / n * 1e6

    class Quiet(Strategy):
        interval = None
        ticks = "bookTicker"
        symbol = Param(str, "BTCUSDT")

        def on_tick(self, ctx, tick):
            if tick.bid < 0:
                ctx.log.info("never")

    class _Client:  # no exchange: only what the context touches per event
        time_offset_ms = 0

        def server_now_ms(self):
            return int(time.time() * 1000)

    strategy = Quiet()
    ctx = LiveContext("overhead", strategy, _Client())  # type: ignore[arg-type]
    ctx._rules["BTCUSDT"] = SymbolRules("BTCUSDT", "BTC", "USDT", Decimal("0.01"), Decimal("0.00001"),
                                        Decimal("0.00001"), Decimal("9000"), Decimal("5"))
    runner = Runner(strategy, ctx)
    runner.core = BotCore(strategy, ctx)
    t = time.perf_counter()
    for ev in events:
        runner.handle(ev)
    runner_us = (time.perf_counter() - t) / n * 1e6
    return {"events": n, "raw_client_parse_us": round(raw_us, 2), "runner_per_event_us": round(runner_us, 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--triggers", type=int, default=200)
    parser.add_argument("--cycles", type=int, default=50)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-durable", action="store_true",
                        help="run the exchange without fsync (MINANCE_DURABLE=0): events are told once durable, so "
                             "a durable exchange adds one fsync (~4 ms on this disk) to every reaction")
    args = parser.parse_args()
    if args.quick:
        args.triggers, args.cycles = 20, 5
    out = {"overhead": bench_overhead(20_000 if args.quick else 100_000)}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ["MINANCE_BOTS"] = str(root / "bots")
        ex = Exchange(root, durable=not args.no_durable)
        try:
            out["stop_loss"] = bench_stops(ex, root / "bots", args.triggers)
            out["arbitrage"] = bench_arb(ex, root / "bots", args.cycles)
        finally:
            ex.close()
    if args.json:
        print(json.dumps(out, indent=2))
        return
    s, a, o = out["stop_loss"], out["arbitrage"], out["overhead"]
    print(f"stop-loss reaction ({s['triggers']} triggers): p50 {s['p50_ms']} ms, p99 {s['p99_ms']} ms "
          f"(target p99 < 5 ms)")
    print(f"arbitrage reaction ({a['cycles']} cycles, bookTicker → 3rd leg filled): p50 {a['p50_ms']} ms, "
          f"p99 {a['p99_ms']} ms (target p50 < 10 ms); from the dislocation request: p50 {a['from_move_p50_ms']} "
          f"ms, p99 {a['from_move_p99_ms']} ms; {a['missed']} dislocation(s) without a cycle")
    for logs in a["missed_logs"]:
        print("  missed; the bot's last log lines:", logs)
    print(f"per bookTicker: raw stream client parse {o['raw_client_parse_us']} µs, runner on top "
          f"{o['runner_per_event_us']} µs")


if __name__ == "__main__":
    main()
