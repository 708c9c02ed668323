"""The SDK streams client's own cost and reaction time (``minance.client.streams``).

1. **CPU per event** of the client's receive path, in process: JSON text → ``orjson.loads`` → typed event
   (``parse_market`` / ``parse_user``) → the subscription's queue → the consumer, for each stream kind. This is the
   per-event overhead a bot pays before its own code runs.
2. **Reaction time** against a real ``minance serve`` (manual market clock, one dedicated server): MARKET orders
   sent over REST, BUY and SELL in turn; for each, the time from sending it to its TRADE ``executionReport``
   arriving through ``AsyncStreams.user_data()`` (WebSocket API subscription), p50/p99.

    .venv/bin/python bench/streams_client.py            # 50k events per kind, 200 orders
    .venv/bin/python bench/streams_client.py --quick
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from minance.client import AsyncClient, AsyncStreams
from minance.client.stream_events import ExecutionReport, parse_market, parse_user
from minance.domain.orders import ExecutionType

SAMPLES = {
    "btcusdt@bookTicker": {"u": 400900217, "s": "BTCUSDT", "b": "25.35190000", "B": "31.21000000",
                           "a": "25.36520000", "A": "40.66000000"},
    "btcusdt@trade": {"e": "trade", "E": 1672515782136, "s": "BTCUSDT", "t": 12345, "p": "0.00100000",
                      "q": "100.00000000", "T": 1672515782136, "m": True, "M": True},
    "btcusdt@kline_1m": {"e": "kline", "E": 1672515782136, "s": "BTCUSDT", "k": {
        "t": 1672515780000, "T": 1672515839999, "s": "BTCUSDT", "i": "1m", "f": 100, "L": 200, "o": "0.00100000",
        "c": "0.00200000", "h": "0.00250000", "l": "0.00150000", "v": "1000.00000000", "n": 100, "x": False,
        "q": "1.00000000", "V": "500.00000000", "Q": "0.50000000", "B": "0"}},
    "btcusdt@depth@100ms": {"e": "depthUpdate", "E": 1672515782136, "s": "BTCUSDT", "U": 157, "u": 160,
                            "b": [["0.0024", "10"], ["0.0023", "0"]], "a": [["0.0026", "100"]]},
}
REPORT = {"e": "executionReport", "E": 1499405658658, "s": "ETHBTC", "c": "mUvoqJxFIILMdfAW5iGSOW", "S": "BUY",
          "o": "LIMIT", "f": "GTC", "q": "1.00000000", "p": "0.10264410", "P": "0.00000000", "F": "0.00000000",
          "g": -1, "C": "", "x": "TRADE", "X": "FILLED", "r": "NONE", "i": 4293153, "l": "1.00000000",
          "z": "1.00000000", "L": "0.10264410", "n": "0.001", "N": "ETH", "T": 1499405658657, "t": 77, "I": 8641984,
          "w": False, "m": False, "M": False, "O": 1499405658657, "Z": "0.10264410", "Y": "0.10264410",
          "Q": "0.00000000", "W": 1499405658657, "V": "NONE"}


async def cpu_per_event(n: int) -> dict[str, float]:
    out = {}
    queue: asyncio.Queue = asyncio.Queue()
    cases = [(name, json.dumps({"stream": name, "data": data}), False) for name, data in SAMPLES.items()]
    cases.append(("executionReport", json.dumps({"subscriptionId": 0, "event": REPORT}), True))
    for name, text, user in cases:
        best = float("inf")
        for _ in range(5):  # best of 5 rounds: the machine is shared, the minimum is the code's own cost
            start = time.perf_counter()
            for _ in range(n // 5):
                message = orjson.loads(text)
                event = parse_user(message["event"]) if user else parse_market(message["stream"], message["data"])
                queue.put_nowait(event)
                queue.get_nowait()
            best = min(best, (time.perf_counter() - start) / (n // 5) * 1e6)
        out[name] = best
    return out


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


async def reaction(orders: int) -> list[float]:
    from tests.support import create_account, issue_key, running_server

    data = Path(tempfile.mkdtemp()) / "data"
    with running_server(data, "--market-clock", "manual", env={"MINANCE_RATE_LIMITS": "0"}) as srv:
        create_account(data, "bench", "USDT=1000000", "BTC=100")
        creds = issue_key(data, "bench", "--permissions", "reading,spot")
        delays = []
        async with (AsyncStreams(creds.api_key, creds.secret, target=srv.url) as streams,
                    AsyncClient(creds.api_key, creds.secret, target=srv.url) as client):
            user = streams.user_data()
            await user.ready()
            for i in range(orders):
                sent = time.perf_counter()
                order = await client.create_order("BTCUSDT", "BUY" if i % 2 == 0 else "SELL", "MARKET",
                                                  quantity="0.0002", new_order_resp_type="ACK")
                while True:
                    event = await user.next(10)
                    if (isinstance(event, ExecutionReport) and event.order_id == order.order_id
                            and event.execution_type is ExecutionType.TRADE):
                        delays.append((time.perf_counter() - sent) * 1000)
                        break
        return delays


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n, orders = (5_000, 40) if args.quick else (50_000, 200)
    print(f"CPU per event (orjson.loads + typed event + queue hand-off), {n} events each:")
    for name, us in (await cpu_per_event(n)).items():
        print(f"  {name:24s} {us:6.1f} µs")
    delays = await reaction(orders)
    print(f"order sent → TRADE executionReport through AsyncStreams.user_data(), {orders} MARKET orders: "
          f"p50 {statistics.median(delays):.2f} ms, p99 {pct(delays, 99):.2f} ms, max {max(delays):.2f} ms")


if __name__ == "__main__":
    asyncio.run(main())
