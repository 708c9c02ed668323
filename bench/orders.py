"""Durable order throughput: signed POST /api/v3/order (an ack means the order is on disk) against unsigned
GET /api/v3/ping, on the same server, same HTTP stack, same run.

    .venv/bin/python bench/orders.py              # 3 interleaved rounds of 5 s at 32 connections
    .venv/bin/python bench/orders.py --quick      # one short round

The server runs with rate limits off and its market maker on (the orders go through a live book). Each
order is a LIMIT IOC buy 5% under the best bid: it is accepted, journalled and expires at once, so the book
does not fill up and every request costs one engine command plus its share of a group commit. The load
generator is a closed-loop asyncio client (raw HTTP/1.1 keep-alive) in its own process, pinned to the other
core; requests are pre-signed in a pool re-signed every second. One fsync costs ~0.5 ms here, so per-order
fsync would cap at ~2,000 orders/s: the journal's group commit is what this measures.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
TARGET_RATIO = 0.5
POOL = 256


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(data: Path, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "minance", *args, "--data", str(data), "--json"], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout)


def build_requests(kind: str, port: int, api_key: str, secret: str, price: str) -> list[bytes]:
    host = f"Host: 127.0.0.1:{port}\r\n"
    if kind == "ping":
        return [f"GET /api/v3/ping HTTP/1.1\r\n{host}\r\n".encode()]
    now = int(time.time() * 1000)
    out = []
    for i in range(POOL):
        body = urlencode({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "IOC",
                          "quantity": "0.001", "price": price, "newOrderRespType": "ACK",
                          "recvWindow": 60000, "timestamp": now - i})
        sig = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
        body = f"{body}&signature={sig}"
        out.append((f"POST /api/v3/order HTTP/1.1\r\n{host}X-MBX-APIKEY: {api_key}\r\n"
                    f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n{body}"
                    ).encode())
    return out


def client_main(spec_json: str) -> None:
    """The load generator process: prints one JSON line with the counts and latencies."""
    spec = json.loads(spec_json)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    port, conns = spec["port"], spec["connections"]
    make = lambda: build_requests(spec["kind"], port, spec["api_key"], spec["secret"], spec["price"])  # noqa: E731
    pool = make()
    latencies: list[int] = []
    state = {"measuring": False, "stop": False, "bad": 0, "sample": ""}

    async def refresh() -> None:
        nonlocal pool
        while not state["stop"]:
            await asyncio.sleep(1.0)
            pool = make()

    async def connection(offset: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        i = offset
        perf = time.perf_counter_ns
        while not state["stop"]:
            request = pool[i % len(pool)]
            i += 1
            t0 = perf()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            lower = head.lower()
            at = lower.find(b"content-length:")
            body = await reader.readexactly(int(lower[at + 15:lower.find(b"\r\n", at)]))
            if state["measuring"]:
                latencies.append(perf() - t0)
                if head[9:12] != b"200":
                    state["bad"] += 1
                    state["sample"] = body[:200].decode(errors="replace")
        writer.close()

    async def main() -> float:
        tasks = [asyncio.create_task(connection(n * 7)) for n in range(conns)]
        tasks.append(asyncio.create_task(refresh()))
        await asyncio.sleep(spec["warmup"])
        state["measuring"] = True
        t0 = time.perf_counter()
        await asyncio.sleep(spec["duration"])
        state["measuring"] = False
        elapsed = time.perf_counter() - t0
        state["stop"] = True
        await asyncio.wait(tasks, timeout=2)
        for t in tasks:
            t.cancel()
        return elapsed

    elapsed = asyncio.run(main())
    latencies.sort()
    n = len(latencies)
    pick = (lambda q: latencies[min(n - 1, int(q * n))] / 1000) if n else (lambda q: 0.0)
    print(json.dumps({"rps": n / elapsed, "p50_us": pick(0.5), "p99_us": pick(0.99), "bad": state["bad"],
                      "sample": state["sample"]}), flush=True)


def admin(url: str, token: str, path: str) -> dict:
    import httpx

    return httpx.get(url + path, headers={"Authorization": f"Bearer {token}"}, timeout=30).json()


def run_client(spec: dict, cpu: int | None) -> dict:
    cmd = [sys.executable, __file__, "--client", json.dumps(spec)]
    if cpu is not None and shutil.which("taskset"):
        cmd = ["taskset", "-c", str(cpu), *cmd]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.client:
        client_main(args.client)
        return 0
    if args.quick:
        args.duration, args.rounds = 2.0, 1
    two_cores = (os.cpu_count() or 1) >= 2
    root = Path(tempfile.mkdtemp(prefix="minance-bench-orders-"))
    data = root / "data"
    cli(data, "account", "create", "bench", "--deposit", "USDT=100000000")
    key = cli(data, "key", "create", "--account", "bench", "--permissions", "reading,spot")
    port = free_port()
    server_cmd = [sys.executable, "-m", "minance", "serve", "--data", str(data), "--port", str(port),
                  "--no-rate-limits", "--log-level", "warning"]
    if two_cores and shutil.which("taskset"):
        server_cmd = ["taskset", "-c", "0", *server_cmd]
    server = subprocess.Popen(server_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        import httpx

        for _ in range(200):
            try:
                httpx.get(url + "/api/v3/ping", timeout=0.5)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        bid = float(httpx.get(url + "/api/v3/depth", params={"symbol": "BTCUSDT", "limit": 5}).json()["bids"][0][0])
        price = f"{bid * 0.95:.2f}"
        token = (data / "admin.token").read_text().strip()
        base = {"port": port, "connections": args.connections, "duration": args.duration, "warmup": 1.0,
                "api_key": key["apiKey"], "secret": key["secretKey"], "price": price}
        rows: dict[str, list[dict]] = {"ping": [], "order": []}
        journal = []
        for _ in range(args.rounds):
            for kind in ("ping", "order"):
                before = admin(url, token, "/admin/state")
                result = run_client({**base, "kind": kind}, 1 if two_cores else None)
                after = admin(url, token, "/admin/state")
                if result["bad"]:
                    print(f"  {kind}: {result['bad']} non-200 answers, e.g. {result['sample']}")
                rows[kind].append(result)
                if kind == "order":
                    journal.append((after["journalCommits"] - before["journalCommits"],
                                    after["journalRecords"] - before["journalRecords"]))
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)

    def med(kind: str, field: str) -> float:
        return statistics.median(r[field] for r in rows[kind])

    ratios = [o["rps"] / p["rps"] for o, p in zip(rows["order"], rows["ping"])]
    ratio = statistics.median(ratios)
    commits = sum(c for c, _ in journal)
    records = sum(r for _, r in journal)
    print(f"\nbench/orders.py: {args.connections} connections, {args.rounds} round(s) of {args.duration:.0f} s, "
          f"server on CPU 0, client on CPU 1, durability on (synchronous=FULL, group commit)")
    print(f"{'scenario':<40}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    print(f"{'GET /api/v3/ping (unsigned)':<40}{med('ping', 'rps'):>10.0f}{med('ping', 'p50_us') / 1000:>10.2f}"
          f"{med('ping', 'p99_us') / 1000:>10.2f}")
    print(f"{'POST /api/v3/order (HMAC, durable ack)':<40}{med('order', 'rps'):>10.0f}"
          f"{med('order', 'p50_us') / 1000:>10.2f}{med('order', 'p99_us') / 1000:>10.2f}")
    print(f"orders/ping throughput ratio: {ratio:.2f} (target ≥ {TARGET_RATIO}) "
          f"{'PASS' if ratio >= TARGET_RATIO else 'FAIL'}")
    if commits:
        print(f"group commit: {records} journal records in {commits} fsynced transactions "
              f"({records / commits:.1f} records per fsync)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
