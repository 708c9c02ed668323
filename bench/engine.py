"""In-process throughput of the matching engine (ledger, fees, events included) on a realistic mix.

Mix: 70% limit orders near the touch, 20% cancels of recent orders, 10% marketable (MARKET or crossing IOC),
spread over 500 accounts on BTCUSDT. The same stream also runs through a minimal plain-Python price-level
book (below, no ledger, no events, no validation) as a reference for what the data structure alone costs.
Prints the median of 3 runs of each: orders/s and p50/p99 latency per command.

Then the pauses at scale (issue 9 §6): the same mix over a book that already holds ``--resting`` (100,000)
resting orders, once with CPython's default collector settings and once with the server's policy
(``venue/collector.py``: freeze after load, raised thresholds, periodic re-freeze). For each: throughput,
p50/p99/p99.9 and the worst command latency (the longest pause a request could see), and the collector's
own worst pause and share of the time (measured with ``gc.callbacks``). Last, what a snapshot of that engine
costs the event loop: encoded on the loop (as before) versus forked (``venue/snapshotter.py``).

The pre-built command stream (200,000 command objects a server never holds at once) is moved out of the
cyclic GC's reach with ``gc.freeze()`` before timing, so the collections the engine's own allocations cause
do not also rescan the harness's input; ``--no-freeze`` measures the old way.

    .venv/bin/python bench/engine.py [--orders 200000] [--no-freeze] [--resting 100000 | --resting 0]
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
from bisect import bisect_left, insort
from collections import deque
from decimal import Decimal

from minance.engine import CancelOrder, Deposit, Exchange, NewOrder
from minance.venue.collector import CollectorPolicy
from minance.venue.snapshotter import BackgroundSnapshots

ACCOUNTS = 500  # enough that no account reaches MAX_NUM_ORDERS (200 per symbol)
MID = 5_000_000  # cents: 50,000.00
TICK = 1  # one cent
STEP_UNITS = 1000  # 0.00001 BTC in 1e-8 units


# the reference: a minimal price-level book --------------------------------------------------------------
class MiniBook:
    """Price levels ([live count, deque of [order_id, qty, side, price]]), sorted keys per side with the best
    last (bids by price, asks by -price), cancels by id in O(1) plus lazy removal from the queue."""

    def __init__(self) -> None:
        self.levels = ({}, {})  # bids, asks: price -> [live, deque]
        self.keys = ([], [])
        self.orders = {}  # order_id -> order

    def add(self, oid: int, is_buy: bool, price: int, qty: int) -> None:
        qty = self.take(is_buy, qty, price)
        if qty:
            side = 0 if is_buy else 1
            level = self.levels[side].get(price)
            if level is None:
                level = self.levels[side][price] = [0, deque()]
                insort(self.keys[side], price if is_buy else -price)
            order = [oid, qty, side, price]
            level[0] += 1
            level[1].append(order)
            self.orders[oid] = order

    def cancel(self, oid: int) -> None:
        order = self.orders.pop(oid, None)
        if order is not None:
            order[1] = 0
            side, price = order[2], order[3]
            level = self.levels[side][price]
            level[0] -= 1
            if not level[0]:
                del self.levels[side][price]
                keys = self.keys[side]
                del keys[bisect_left(keys, price if side == 0 else -price)]

    def take(self, is_buy: bool, qty: int, limit: int | None) -> int:
        side = 1 if is_buy else 0
        levels, keys = self.levels[side], self.keys[side]
        while qty and keys:
            price = -keys[-1] if is_buy else keys[-1]
            if limit is not None and (price > limit if is_buy else price < limit):
                break
            level = levels[price]
            queue = level[1]
            while qty and level[0]:
                maker = queue[0]
                if not maker[1]:
                    queue.popleft()
                    continue
                fill = min(qty, maker[1])
                qty -= fill
                maker[1] -= fill
                if not maker[1]:
                    queue.popleft()
                    level[0] -= 1
                    del self.orders[maker[0]]
            if not level[0]:
                del levels[price]
                keys.pop()
        return qty


# the command stream ---------------------------------------------------------------------------------------
def make_stream(n: int, seed: int = 7) -> list[tuple]:
    """Abstract commands: ('add', acct, is_buy, price_cents, qty_steps, oid), ('cancel', acct, oid),
    ('market', acct, is_buy, qty_steps, oid) and ('ioc', acct, is_buy, price_cents, qty_steps, oid).

    The stream is generated against a MiniBook so that adds sit near the current touch and cancels pick
    orders that are still live. Every command is valid for the engine (ids follow its sequential order ids).
    """
    rng = random.Random(seed)
    book = MiniBook()
    owner: dict[int, int] = {}
    live: list[int] = []
    stream: list[tuple] = []
    next_oid = 1
    for _ in range(n):
        r = rng.random()
        acct = rng.randrange(1, ACCOUNTS + 1)
        bids, asks = book.keys
        best_bid = bids[-1] if bids else MID - 5
        best_ask = -asks[-1] if asks else MID + 5
        if r < 0.70:
            is_buy = rng.random() < 0.5
            offset = int(rng.expovariate(1 / 20))  # cents behind the touch: mostly at or near it
            price = min(best_bid - offset, best_ask - 1) if is_buy else max(best_ask + offset, best_bid + 1)
            cmd = ("add", acct, is_buy, price, rng.randrange(11, 200), next_oid)
            book.add(next_oid, is_buy, price, cmd[4])
            owner[next_oid] = acct
            live.append(next_oid)
            next_oid += 1
        elif r < 0.90 and live:
            while live:
                i = rng.randrange(len(live))
                oid = live[i]
                live[i] = live[-1]
                live.pop()
                if oid in book.orders:
                    break
            cmd = ("cancel", owner[oid], oid)
            book.cancel(oid)
        else:
            is_buy = rng.random() < 0.5
            qty = rng.randrange(11, 300)
            if rng.random() < 0.5:
                cmd = ("market", acct, is_buy, qty, next_oid)
                book.take(is_buy, qty, None)
            else:
                price = best_ask + 20 if is_buy else best_bid - 20
                cmd = ("ioc", acct, is_buy, price, qty, next_oid)
                book.take(is_buy, qty, price)
            next_oid += 1
        stream.append(cmd)
    return stream


def engine_commands(stream: list[tuple]) -> list:
    ts = 1_700_000_000_000
    cents = {}
    steps = {}

    def price(p: int) -> Decimal:
        d = cents.get(p)
        if d is None:
            d = cents[p] = Decimal(p).scaleb(-2)
        return d

    def qty(q: int) -> Decimal:
        d = steps.get(q)
        if d is None:
            d = steps[q] = Decimal(q).scaleb(-5)
        return d

    out = []
    for i, c in enumerate(stream):
        t = ts + i // 100
        if c[0] == "add":
            out.append(NewOrder(c[1], "BTCUSDT", "BUY" if c[2] else "SELL", "LIMIT", t, quantity=qty(c[4]),
                                price=price(c[3]), time_in_force="GTC", stp_mode="NONE"))
        elif c[0] == "cancel":
            out.append(CancelOrder(c[1], "BTCUSDT", t, order_id=c[2]))
        elif c[0] == "market":
            out.append(NewOrder(c[1], "BTCUSDT", "BUY" if c[2] else "SELL", "MARKET", t, quantity=qty(c[3]),
                                stp_mode="NONE"))
        else:
            out.append(NewOrder(c[1], "BTCUSDT", "BUY" if c[2] else "SELL", "LIMIT", t, quantity=qty(c[4]),
                                price=price(c[3]), time_in_force="IOC", stp_mode="NONE"))
    return out


# runs -----------------------------------------------------------------------------------------------------
def fresh_exchange() -> Exchange:
    ex = Exchange()
    for acct in range(1, ACCOUNTS + 1):
        ex.handle(Deposit(acct, "USDT", Decimal(10**9), 0))
        ex.handle(Deposit(acct, "BTC", Decimal(10**5), 0))
    return ex


def run_engine(commands: list) -> tuple[float, list[int], int]:
    ex = fresh_exchange()
    handle = ex.handle
    clock = time.perf_counter_ns
    lat = [0] * len(commands)
    rejected = 0
    start = time.perf_counter()
    for i, cmd in enumerate(commands):
        t0 = clock()
        result = handle(cmd)
        lat[i] = clock() - t0
        if result.error is not None:
            rejected += 1
    return time.perf_counter() - start, lat, rejected


def run_reference(stream: list[tuple]) -> tuple[float, list[int]]:
    book = MiniBook()
    clock = time.perf_counter_ns
    lat = [0] * len(stream)
    start = time.perf_counter()
    for i, c in enumerate(stream):
        t0 = clock()
        kind = c[0]
        if kind == "add":
            book.add(c[5], c[2], c[3], c[4])
        elif kind == "cancel":
            book.cancel(c[2])
        elif kind == "market":
            book.take(c[2], c[3], None)
        else:
            book.take(c[2], c[4], c[3])
        lat[i] = clock() - t0
    return time.perf_counter() - start, lat


# pauses at 100k resting orders --------------------------------------------------------------------------------
RESTING_ACCOUNTS = range(10_001, 11_001)  # 1,000 accounts of 100 resting orders each (MAX_NUM_ORDERS is 200)


def resting_exchange(n: int, seed: int = 11) -> Exchange:
    """``fresh_exchange`` plus ``n`` GTC limit orders 5–300 USDT away from the mix's prices: they rest all along."""
    ex = fresh_exchange()
    rng = random.Random(seed)
    for acct in RESTING_ACCOUNTS:
        ex.handle(Deposit(acct, "USDT", Decimal(10**9), 0))
        ex.handle(Deposit(acct, "BTC", Decimal(10**5), 0))
    accounts = list(RESTING_ACCOUNTS)
    for i in range(n):
        is_buy = i % 2 == 0
        away = rng.randrange(500, 30_000)
        price = Decimal(MID - away if is_buy else MID + away).scaleb(-2)
        result = ex.handle(NewOrder(accounts[i % len(accounts)], "BTCUSDT", "BUY" if is_buy else "SELL", "LIMIT", 0,
                                    quantity=Decimal(rng.randrange(11, 200)).scaleb(-5), price=price,
                                    time_in_force="GTC", stp_mode="NONE"))
        assert result.error is None, result.error
    return ex


class GcPauses:
    """Every collection's duration, from ``gc.callbacks``."""

    def __init__(self) -> None:
        self.pauses: list[int] = []
        self._started = 0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter_ns()
        else:
            self.pauses.append(time.perf_counter_ns() - self._started)

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc) -> None:
        gc.callbacks.remove(self)


def _pct(ordered: list[int], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000


def run_at_scale(commands: list, resting: int, policy: CollectorPolicy | None) -> Exchange:
    ex = resting_exchange(resting)
    gc.collect()
    if policy is not None:
        policy.install()
    handle = ex.handle
    clock = time.perf_counter_ns
    lat = [0] * len(commands)
    with GcPauses() as collections:
        start = time.perf_counter()
        for i, cmd in enumerate(commands):
            t0 = clock()
            handle(cmd)
            if policy is not None:
                policy.on_command()  # what the venue does after every journalled command
            lat[i] = clock() - t0
        secs = time.perf_counter() - start
    if policy is not None:
        policy.release()
    ordered = sorted(lat)
    gc_worst = max(collections.pauses, default=0) / 1e6
    gc_share = sum(collections.pauses) / 1e9 / secs * 100
    name = "server GC policy (freeze, thresholds)" if policy else "CPython default GC"
    print(f"  {name:<38} {len(commands) / secs:>9,.0f} orders/s   p50 {_pct(ordered, 0.5):6.1f} µs"
          f"   p99 {_pct(ordered, 0.99):7.1f} µs   p99.9 {_pct(ordered, 0.999):8.1f} µs"
          f"   worst {ordered[-1] / 1e6:6.1f} ms")
    print(f"  {'':<38} GC: {len(collections.pauses)} collections, worst {gc_worst:.1f} ms, "
          f"{gc_share:.1f}% of the time")
    return ex


def snapshot_costs(ex: Exchange) -> None:
    t0 = time.perf_counter()
    data = ex.snapshot()
    inline = time.perf_counter() - t0
    stored: list[int] = []
    snapshots = BackgroundSnapshots(lambda seq, state: stored.append(len(state)))
    t0 = time.perf_counter()
    assert snapshots.take(1, ex.snapshot)
    loop_pause = time.perf_counter() - t0
    assert snapshots.wait(120)
    written = time.perf_counter() - t0
    assert stored == [len(data)], "the forked snapshot must be the same state"
    print(f"  snapshot of {len(data) / 1e6:.1f} MB: on the loop {inline * 1000:,.0f} ms;"
          f" forked: loop pause {loop_pause * 1000:.1f} ms, handed to the journal after {written * 1000:,.0f} ms")


def summarize(name: str, runs: list[tuple[float, list[int]]], n: int) -> None:
    rates = [n / secs for secs, _ in runs]
    p50 = [statistics.quantiles(lat, n=100)[49] for _, lat in runs]
    p99 = [statistics.quantiles(lat, n=100)[98] for _, lat in runs]
    print(f"{name:<44} {statistics.median(rates):>12,.0f} orders/s   p50 {statistics.median(p50) / 1000:7.2f} µs"
          f"   p99 {statistics.median(p99) / 1000:7.2f} µs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--resting", type=int, default=100_000,
                        help="resting orders for the pause measurements (0: skip them)")
    parser.add_argument("--no-gc", action="store_true", help="disable the cyclic GC while timing (an upper bound)")
    parser.add_argument("--no-freeze", action="store_true",
                        help="leave the pre-built command stream to the cyclic GC (every collection rescans it)")
    args = parser.parse_args()
    stream = make_stream(args.orders)
    commands = engine_commands(stream)
    if not args.no_freeze:
        gc.collect()
        gc.freeze()  # the harness's input, not the engine's state
    mix = {k: sum(1 for c in stream if c[0] == k) for k in ("add", "cancel", "market", "ioc")}
    print(f"{args.orders:,} commands: {mix}")
    engine_runs, reference_runs = [], []
    for _ in range(args.runs):
        gc.collect()
        if args.no_gc:
            gc.disable()
        secs, lat, rejected = run_engine(commands)
        engine_runs.append((secs, lat))
        gc.enable()
        gc.collect()
        if args.no_gc:
            gc.disable()
        reference_runs.append(run_reference(stream))
        gc.enable()
    summarize("minance engine (ledger, fees, events, filters)", engine_runs, args.orders)
    summarize("reference: minimal price-level book", reference_runs, args.orders)
    print(f"engine rejections: {rejected} (the stream is built to be fully valid)")
    if args.resting:
        gc.unfreeze()  # from here on the collector sees what a server sees
        print(f"\nthe same {args.orders:,} commands over {args.resting:,} resting orders:")
        run_at_scale(commands, args.resting, None)
        ex = run_at_scale(commands, args.resting, CollectorPolicy())
        snapshot_costs(ex)


if __name__ == "__main__":
    main()
