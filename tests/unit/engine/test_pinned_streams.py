"""Fixed command streams with pinned outcomes: the state hash and a digest of every event they produce.

They guard refactoring and optimisation of the engine: the same commands must keep giving exactly the same
events and the same state. Update the pins only for a deliberate change of behaviour (and say why).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import random
from decimal import Decimal
from pathlib import Path

from minance.engine import Exchange
from tests.property.test_engine_invariants import ACCOUNTS, TRADERS, Driver

ROOT = Path(__file__).resolve().parents[3]


def _bench():
    spec = importlib.util.spec_from_file_location("bench_engine", ROOT / "bench" / "engine.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _digest(results) -> str:
    h = hashlib.sha256()
    for result in results:
        h.update(repr((result.error.code if result.error else None, result.events)).encode())
    return h.hexdigest()


def _reply_digest(results) -> str:
    h = hashlib.sha256()
    for result in results:
        h.update(repr((result.error.msg if result.error else None, result.reply, result.new_orders,
                       result.first_fills)).encode())
    return h.hexdigest()


def run_bench_stream(n: int = 20_000, **engine_kw) -> tuple[Exchange, list]:
    bench = _bench()
    commands = bench.engine_commands(bench.make_stream(n))
    ex = Exchange(**engine_kw)
    results = []
    for acct in range(1, bench.ACCOUNTS + 1):
        results.append(ex.handle(bench.Deposit(acct, "USDT", Decimal(10**9), 0)))
        results.append(ex.handle(bench.Deposit(acct, "BTC", Decimal(10**5), 0)))
    results.extend(ex.handle(cmd) for cmd in commands)
    return ex, results


def random_ops(seed: int, n: int) -> list[tuple]:
    """A reproducible mix of every kind of operation the property driver knows (lists, stops, STP, ...)."""
    rng = random.Random(seed)
    stp = [None, "NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT"]
    side = lambda: rng.choice(["BUY", "SELL"])  # noqa: E731
    px = lambda: rng.randint(-25, 25)  # noqa: E731
    q = lambda: rng.randint(1, 60)  # noqa: E731
    makers = [
        lambda: ("limit", rng.choice(ACCOUNTS), side(), px(), q(), rng.choice(["GTC", "GTC", "IOC", "FOK"]),
                 rng.choice(stp)),
        lambda: ("maker", rng.choice(ACCOUNTS), side(), px(), q()),
        lambda: ("market", rng.choice(ACCOUNTS), side(), q(), rng.random() < 0.5, rng.choice(stp)),
        lambda: ("stop", rng.choice(TRADERS), side(),
                 rng.choice(["STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"]), px(), q(),
                 rng.choice([None, None, 50, 200])),
        lambda: ("cancel", rng.choice(ACCOUNTS), rng.randint(0, 50)),
        lambda: ("cancel_all", rng.choice(ACCOUNTS)),
        lambda: ("replace", rng.choice(ACCOUNTS), rng.randint(0, 50), px(), q(),
                 rng.choice(["STOP_ON_FAILURE", "ALLOW_FAILURE"])),
        lambda: ("oco", rng.choice(TRADERS), side(), rng.randint(1, 20), rng.randint(1, 20), q()),
        lambda: ("oto", rng.choice(TRADERS), side(), px(), q()),
        lambda: ("otoco", rng.choice(TRADERS), side(), px(), q()),
        lambda: ("quotes", rng.randint(-5, 5), rng.randint(1, 4)),
        lambda: ("cash", rng.choice(ACCOUNTS), rng.choice(["BTC", "USDT"]), rng.randint(-300, 300)),
        lambda: ("fees", rng.choice(ACCOUNTS), rng.randint(0, 30), rng.randint(0, 30)),
    ]
    weights = [30, 8, 10, 8, 10, 2, 6, 4, 3, 3, 8, 3, 1]
    return [rng.choices(makers, weights)[0]() for _ in range(n)]


@functools.cache
def mixed_log(seed: int = 11, n: int = 3000) -> tuple:
    """The commands of a mixed flow (built against a default exchange: they depend on its open orders)."""
    driver = Driver()
    for op in random_ops(seed, n):
        driver.apply(op)
    return tuple(driver.log)


def run_mixed_stream(seed: int = 11, n: int = 3000, **engine_kw) -> tuple[Exchange, list]:
    replay = Exchange(**engine_kw)
    results = [replay.handle(cmd) for cmd in mixed_log(seed, n)]
    return replay, results


# The state hashes changed once, deliberately: LTCUSDT was listed (the default engine holds its empty book and
# specs); the events and replies of both streams did not change.
BENCH_HASH = "1c200f15055e2b463f62ba743e2725d821212c316df1b7e12b3175a495224bff"
BENCH_EVENTS = "6874b7528bf3e2df57241805ccb3031f986bba71ea0deb98ae3106b26651cf96"
MIXED_HASH = "81fe2109488f4f08291b68e9eb092ddaa38a1b36d6e2e80ff7dfaab3b483dfbc"
# Changed once, deliberately: legs cancelled along with their list now report the cancel's client ids (108
# CANCELED executionReports of this stream used to have them empty; nothing else differs).
MIXED_EVENTS = "c6ef0a3efc7f66a55c971d7c93b0ac7e0dc70e677a0c2ecdb716652a7bb166a9"

# replies (and rate-limit hooks), pinned after the reply of a list cancel gained the cancel's client id
BENCH_REPLIES = "83155f7c5a612bc9eea28b11d5df2ee9ebbd3b86ba13786ae2f9108b15e6e36c"
MIXED_REPLIES = "739f61d0d1adb3023765939cb090906c781ed902cdd3364772681fc48669391e"


def test_bench_stream_is_pinned():
    ex, results = run_bench_stream()
    assert (ex.state_hash(), _digest(results), _reply_digest(results)) == (BENCH_HASH, BENCH_EVENTS, BENCH_REPLIES)


def test_mixed_stream_is_pinned():
    ex, results = run_mixed_stream()
    assert (ex.state_hash(), _digest(results), _reply_digest(results)) == (MIXED_HASH, MIXED_EVENTS, MIXED_REPLIES)
