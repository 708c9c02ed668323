"""Stream fan-out under load: 200 connections on one symbol's @trade while orders trade against the market maker.

One dedicated ``minance serve`` (market maker and tape on, rate limits off, journal durable as by default).
Orders are MARKET orders of ~9 USDT, BUY and SELL in turn, sent over the WebSocket API (``order.place``, signed
HMAC, pipelined) by this process; every one of them trades. The subscribers run in separate processes
(lean asyncio protocols: they parse frames and note each trade id's arrival time, nothing else).

Measured:

* **delay** from the order's acknowledgement (the ``order.place`` response received by the driver) to the
  trade event's arrival at each subscriber, p50/p99 over every (connection, trade) pair; also from the
  moment the order was sent. Both processes read the same monotonic clock.
* **events/s fanned out**: trade messages received by all subscribers per second.
* **order throughput**, closed loop with ``--inflight`` orders in flight, without subscribers and with them.

Scenarios: closed loop without subscribers, closed loop with them (throughput loss), and a paced load
(``--paced-rate`` orders/s) with them (the delay at a steady rate). The server is pinned to CPU 0 and the
load (driver and subscribers) to the other CPUs when the machine has several.

    .venv/bin/python bench/streams.py                     # 200 subscribers, 5 s per scenario
    .venv/bin/python bench/streams.py --quick             # a smoke run
"""

from __future__ import annotations

import argparse
import array
import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import os
import re
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SYMBOL = "BTCUSDT"
QTY = "0.0001"  # ~9 USDT at the synthetic market's price: above the 5 USDT minimum notional
TARGETS = {"p99_ms": 20.0, "throughput_loss": 0.20}


# -- servers and the CLI ------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_sets() -> tuple[set[int] | None, set[int] | None]:
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None, None
    return {cpus[0]}, set(cpus[1:])


def cli(data: Path, *args: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "minance", *args, "--json", "--data", str(data)],
                          capture_output=True, text=True, timeout=60, cwd=REPO)
    if proc.returncode != 0:
        raise SystemExit(f"minance {' '.join(args)} failed: {proc.stderr}")
    return json.loads(proc.stdout)


class Server:
    def __init__(self, data: Path, cpus: set[int] | None) -> None:
        self.port = free_port()
        self.log_path = data.parent / "server.log"
        self._log = open(self.log_path, "w")  # closed in stop()
        cmd = [sys.executable, "-m", "minance", "serve", "--data", str(data), "--port", str(self.port),
               "--no-rate-limits", "--log-level", "warning"]
        env = {**os.environ, "MINANCE_WS_PING_INTERVAL": "0"}  # the lean subscribers do not answer pings
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, cwd=REPO, env=env,
                                     preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited:\n{self.log_path.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"GET /api/v3/ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    if s.recv(100).startswith(b"HTTP/1.1 200"):
                        return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("server did not start")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def machine_busy_seconds() -> float:
    """CPU-seconds all CPUs spent not idle since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


def wait_quiet(max_busy: float = 0.4, patience_s: float = 60.0) -> float:
    """Wait (a while) until the machine is nearly idle: other jobs would land in a measurement. Returns the
    busy CPUs seen last."""
    deadline = time.monotonic() + patience_s
    busy = 0.0
    while time.monotonic() < deadline:
        busy0, t0 = machine_busy_seconds(), time.perf_counter()
        time.sleep(0.5)
        busy = (machine_busy_seconds() - busy0) / (time.perf_counter() - t0)
        if busy <= max_busy:
            break
    return busy


# -- a lean WebSocket client protocol (subscribers; no library on the hot path) --------------------------------
def handshake(path: str) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()


def masked_frame(opcode: int, payload: bytes) -> bytes:
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([0x80 | opcode]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack("!H", n)
                                     if n < 65536 else bytes([0x80 | 127]) + struct.pack("!Q", n))
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


class Subscriber(asyncio.Protocol):
    """Counts trade messages; a ``tracked`` one also notes (trade id, arrival ns) of each. Chunks are scanned
    with C-speed byte searches (no frame walking: the bench server sends no pings), so that 200 of them in two
    processes keep up with the server rather than measure themselves."""

    _ID = re.compile(rb'"t":(\d+)')
    _MARK = b'"e":"trade"'

    def __init__(self, path: str, ready: asyncio.Future, tracked: bool) -> None:
        self.path = path
        self.ready = ready
        self.tracked = tracked
        self.open = False
        self.head = b""
        self.tail = b""
        self.count = 0
        self.ids = array.array("q")
        self.times = array.array("q")
        self.closed_with: tuple[int, str] | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(handshake(self.path))

    def data_received(self, data: bytes) -> None:
        now = time.monotonic_ns()
        if not self.open:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self.head.startswith(b"HTTP/1.1 101"):
                self.ready.set_exception(RuntimeError(self.head[:200].decode(errors="replace")))
                return
            data = self.head[end + 4:]
            self.open = True
            self.ready.set_result(self)
        chunk = self.tail + data  # a message may straddle two reads
        cut = max(0, len(chunk) - 64)
        self.count += chunk.count(self._MARK, 0) - self.tail.count(self._MARK)
        if self.tracked:
            ids, times = self.ids, self.times
            last = ids[-1] if ids else -1
            for m in self._ID.finditer(chunk):
                if m.end() < len(chunk):  # digits followed by something: the id is whole
                    tid = int(m.group(1))
                    if tid > last:  # ids grow on a connection; the tail's ones were seen already
                        ids.append(tid)
                        times.append(now)
                        last = tid
        self.tail = chunk[cut:]

    def connection_lost(self, exc) -> None:
        if self.closed_with is None:
            self.closed_with = (1006, str(exc or "closed by the server"))


def subscriber_main(spec_path: str) -> None:
    """``bench/streams.py --subscriber-process SPEC``: connect, say "ready", record until stdin says "stop"."""
    spec = json.loads(Path(spec_path).read_text())
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        subs: list[Subscriber] = []
        for i in range(spec["connections"]):
            ready = loop.create_future()
            tracked = i % spec["track_every"] == 0
            await loop.create_connection(lambda r=ready, t=tracked: Subscriber(spec["path"], r, t), "127.0.0.1",
                                         spec["port"])
            subs.append(await asyncio.wait_for(ready, 10))
        print("ready", flush=True)
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while True:
            line = (await reader.readline()).decode().strip()
            if line.startswith("window"):  # "window <start_ns> <end_ns> <out file>": dump and reset
                _, start, end, out = line.split()
                dump(subs, int(start), int(end), out)
                print("dumped", flush=True)
            elif line == "reset":
                for s in subs:
                    s.ids, s.times, s.count = array.array("q"), array.array("q"), 0
                print("reset", flush=True)
            elif line in ("stop", ""):
                break
        for s in subs:
            s.closed_with = s.closed_with or (1000, "bench")
            s.transport.close()

    asyncio.run(main())


def dump(subs: list[Subscriber], start_ns: int, end_ns: int, out: str) -> None:
    rows = []
    for s in subs:
        pairs = [(i, t) for i, t in zip(s.ids, s.times, strict=True) if start_ns <= t <= end_ns]
        rows.append({"ids": [p[0] for p in pairs], "times": [p[1] for p in pairs], "closed": s.closed_with,
                     "count": s.count})
        s.ids = array.array("q")
        s.times = array.array("q")
        s.count = 0
    Path(out).write_text(json.dumps(rows))


class SubscriberProcs:
    def __init__(self, port: int, total: int, procs: int, root: Path, cpus: set[int] | None,
                 track_every: int) -> None:
        self.procs: list[subprocess.Popen] = []
        self.root = root
        per = [total // procs + (1 if i < total % procs else 0) for i in range(procs)]
        for i, count in enumerate(per):
            spec = root / f"sub{i}.json"
            spec.write_text(json.dumps({"port": port, "connections": count, "path": f"/ws/{SYMBOL.lower()}@trade",
                                        "track_every": track_every}))
            self.procs.append(subprocess.Popen(
                [sys.executable, __file__, "--subscriber-process", str(spec)], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, text=True, cwd=REPO,
                preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None))
        for p in self.procs:
            if p.stdout.readline().strip() != "ready":
                raise SystemExit("a subscriber process failed to connect")

    def reset(self) -> None:
        for p in self.procs:
            p.stdin.write("reset\n")
            p.stdin.flush()
        for p in self.procs:
            assert p.stdout.readline().strip() == "reset"

    def window(self, start_ns: int, end_ns: int) -> list[dict]:
        outs = []
        for i, p in enumerate(self.procs):
            out = self.root / f"window{i}-{start_ns}.json"
            p.stdin.write(f"window {start_ns} {end_ns} {out}\n")
            p.stdin.flush()
            outs.append(out)
        rows = []
        for p, out in zip(self.procs, outs, strict=True):
            assert p.stdout.readline().strip() == "dumped"
            rows += json.loads(out.read_text())
        return rows

    def stop(self) -> None:
        for p in self.procs:
            with contextlib.suppress(BrokenPipeError, OSError):
                p.stdin.write("stop\n")
                p.stdin.flush()
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


# -- the order driver (this process) ------------------------------------------------------------------------------
@dataclass
class OrderLog:
    sent: dict[int, int] = field(default_factory=dict)  # request id → ns
    acked: dict[int, int] = field(default_factory=dict)
    trades: dict[int, int] = field(default_factory=dict)  # trade id → request id
    errors: int = 0
    error_sample: str = ""


async def drive(port: int, api_key: str, secret: str, seconds: float, inflight: int, rate: float | None,
                conns: int = 2) -> tuple[OrderLog, int, int]:
    """Orders for ``seconds``: closed loop (``inflight`` per connection) or paced at ``rate`` orders/s."""
    import orjson
    import websockets

    log = OrderLog()
    ids = iter(range(1, 10**9))
    secret_b = secret.encode()

    def request(rid: int) -> str:
        params = {"apiKey": api_key, "quantity": QTY, "side": "BUY" if rid % 2 else "SELL", "symbol": SYMBOL,
                  "timestamp": str(time.time_ns() // 1_000_000), "type": "MARKET"}
        payload = "&".join(f"{k}={params[k]}" for k in sorted(params))
        params["signature"] = hmac.new(secret_b, payload.encode(), hashlib.sha256).hexdigest()
        return json.dumps({"id": rid, "method": "order.place", "params": params, })

    def on_answer(text: str | bytes) -> int:
        now = time.monotonic_ns()
        msg = orjson.loads(text)
        rid = msg.get("id")
        if msg.get("status") != 200:
            log.errors += 1
            log.error_sample = str(msg)[:300]
            return rid
        log.acked[rid] = now
        for fill in msg["result"].get("fills", ()):
            log.trades[fill["tradeId"]] = rid
        return rid

    start = time.monotonic_ns()
    end = start + int(seconds * 1e9)

    async def closed_loop(ws) -> None:
        pending: set[int] = set()
        while True:
            while len(pending) < inflight and time.monotonic_ns() < end:
                rid = next(ids)
                log.sent[rid] = time.monotonic_ns()
                pending.add(rid)
                await ws.send(request(rid))
            if not pending:
                return
            pending.discard(on_answer(await ws.recv()))

    async def paced(ws, share: float) -> None:
        pending = 0
        reader_done = asyncio.Event()

        async def reader() -> None:
            nonlocal pending
            while pending or time.monotonic_ns() < end:
                try:
                    text = await asyncio.wait_for(ws.recv(), 5)
                except TimeoutError:
                    break
                on_answer(text)
                pending -= 1
            reader_done.set()

        task = asyncio.create_task(reader())
        interval = 1 / share
        next_at = time.monotonic()
        while time.monotonic_ns() < end:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            next_at += interval
            rid = next(ids)
            log.sent[rid] = time.monotonic_ns()
            pending += 1
            await ws.send(request(rid))
        await reader_done.wait()
        await task

    url = f"ws://127.0.0.1:{port}/ws-api/v3?returnRateLimits=false"
    sockets = [await websockets.connect(url, compression=None, max_size=2**22) for _ in range(conns)]
    try:
        if rate is None:
            await asyncio.gather(*(closed_loop(ws) for ws in sockets))
        else:
            await asyncio.gather(*(paced(ws, rate / conns) for ws in sockets))
    finally:
        for ws in sockets:
            await ws.close()
    return log, start, end


# -- analysis -----------------------------------------------------------------------------------------------------
def quantile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


@dataclass
class Result:
    """One scenario in one round."""

    seconds: float
    orders: int
    errors: int
    events: int = 0
    ack_delays_ms: list[float] = field(default_factory=list)
    sent_delays_ms: list[float] = field(default_factory=list)
    closed: int = 0
    server_cpu: float = 0.0  # CPUs

    @property
    def orders_per_s(self) -> float:
        return self.orders / self.seconds

    @property
    def cpu_us_per_order(self) -> float:
        return self.server_cpu * 1e6 / self.orders_per_s if self.orders else float("nan")


def analyse(log: OrderLog, start: int, end: int, rows: list[dict] | None, server_cpu: float) -> Result:
    result = Result((end - start) / 1e9, len(log.acked), log.errors, server_cpu=server_cpu)
    if rows is None:
        return result
    for conn in rows:
        result.events += conn["count"]
        if conn["closed"] is not None:
            result.closed += 1
        for tid, arrived in zip(conn["ids"], conn["times"], strict=True):
            rid = log.trades.get(tid)
            if rid is None or rid not in log.acked:
                continue  # a maker/tape trade, or an order that got no answer
            result.ack_delays_ms.append((arrived - log.acked[rid]) / 1e6)
            result.sent_delays_ms.append((arrived - log.sent[rid]) / 1e6)
    return result


@dataclass
class Scenario:
    name: str
    rounds: list[Result] = field(default_factory=list)

    def orders_per_s(self) -> float:
        return median([r.orders_per_s for r in self.rounds])

    def latency(self, attr: str) -> tuple[float, float]:
        values = sorted(v for r in self.rounds for v in getattr(r, attr))
        return quantile(values, 0.5), quantile(values, 0.99)

    def row(self, base: Scenario | None) -> list[str]:
        rs = self.rounds
        loss = ""
        if base is not None and base is not self and self.name.startswith("closed"):
            loss = f"{median([1 - r.orders_per_s / b.orders_per_s for r, b in zip(rs, base.rounds, strict=False)]):.0%}"
        fanned = any(r.ack_delays_ms for r in rs)
        lat = (lambda a: "%.1f / %.1f" % self.latency(a)) if fanned else (lambda a: "-")  # noqa: UP031
        capacity = ""
        if base is not None and base is not self and self.name.startswith("closed"):
            capacity = f"{1 - base.cpu_us_per_order() / self.cpu_us_per_order():.0%}"
        return [self.name, f"{self.orders_per_s():,.0f}", loss,
                f"{median([r.events / r.seconds for r in rs]):,.0f}" if fanned else "-",
                lat("ack_delays_ms"), lat("sent_delays_ms"), f"{median([r.server_cpu for r in rs]):.2f}",
                f"{self.cpu_us_per_order():,.0f}", capacity, str(sum(r.closed for r in rs)),
                str(sum(r.errors for r in rs))]

    def cpu_us_per_order(self) -> float:
        return median([r.cpu_us_per_order for r in self.rounds])


def table(scenarios: list[Scenario]) -> str:
    head = ["scenario", "orders/s", "loss", "events/s fanned out", "ack→event p50/p99 ms", "sent→event p50/p99 ms",
            "server CPUs", "server µs/order", "capacity loss", "dropped", "errors"]
    base = scenarios[0]
    rows = [head] + [s.row(base) for s in scenarios]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
             for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


# -- main ---------------------------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--sub-procs", type=int, default=2, help="processes the subscribers are spread over")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per scenario")
    parser.add_argument("--inflight", type=int, default=64,
                        help="orders in flight per driver connection (the server reads at most 64 ahead)")
    parser.add_argument("--driver-conns", type=int, default=4, help="WebSocket API connections of the driver")
    parser.add_argument("--paced-rate", default="100,1000", help="orders/s of the paced scenarios (comma-separated)")
    parser.add_argument("--track-every", type=int, default=10,
                        help="every Nth subscriber notes trade ids and times (the others only count messages)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every scenario (medians are reported)")
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--subscriber-process", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.subscriber_process:
        subscriber_main(args.subscriber_process)
        return
    if args.quick:
        args.duration, args.subscribers, args.rounds = 2.0, min(args.subscribers, 50), 1
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    server_cpus, load_cpus = cpu_sets()
    if load_cpus:
        os.sched_setaffinity(0, load_cpus)
    with tempfile.TemporaryDirectory(prefix="minance-bench-streams-") as tmp:
        root = Path(tmp)
        data = root / "data"
        cli(data, "account", "create", "bench", "--deposit", "USDT=100000000", "--deposit", "BTC=10000")
        key = cli(data, "key", "create", "--account", "bench", "--permissions", "reading,spot")
        server = Server(data, server_cpus)
        subs = None
        n = args.subscribers
        rates = [float(r) for r in str(args.paced_rate).split(",") if r]
        scenarios = [Scenario("closed loop, no subscribers"), Scenario(f"closed loop, {n} subscribers"),
                     *(Scenario(f"paced {r:g}/s, {n} subscribers") for r in rates)]
        try:
            time.sleep(1.5)  # the maker's first quotes

            def measured(rate: float | None) -> Result:
                busy = wait_quiet()
                if busy > 0.4:
                    print(f"  note: the machine was busy ({busy:.1f} CPUs) when a measurement began", file=sys.stderr)
                if subs is not None:
                    subs.reset()
                cpu0 = server.cpu_seconds()
                log, start, end = asyncio.run(drive(server.port, key["apiKey"], key["secretKey"], args.duration,
                                                    args.inflight, rate, args.driver_conns))
                cpu = (server.cpu_seconds() - cpu0) / ((time.monotonic_ns() - start) / 1e9)
                time.sleep(0.5)  # the last events are on their way
                rows = subs.window(start, time.monotonic_ns()) if subs is not None else None
                if log.errors:
                    print(f"  {log.errors} errors, e.g. {log.error_sample}", file=sys.stderr)
                return analyse(log, start, end, rows, cpu)

            for round_no in range(args.rounds):  # scenarios take turns: a slow patch of the machine hits all
                scenarios[0].rounds.append(measured(None))
                subs = SubscriberProcs(server.port, n, args.sub_procs, root, load_cpus, args.track_every)
                scenarios[1].rounds.append(measured(None))
                for scenario, rate in zip(scenarios[2:], rates, strict=True):
                    scenario.rounds.append(measured(rate))
                subs.stop()
                subs = None
                print(f"  round {round_no + 1}/{args.rounds} done", file=sys.stderr)
        finally:
            if subs is not None:
                subs.stop()
            server.stop()
    print(f"\n{n} connections on {SYMBOL.lower()}@trade ({args.sub_procs} processes, every {args.track_every}th "
          f"one timing each trade); {args.rounds} rounds of {args.duration:g} s per scenario, medians; orders over "
          f"the WebSocket API, closed loop: {args.inflight} in flight on each of {args.driver_conns} connections; "
          f"server on CPU "
          f"{sorted(server_cpus) if server_cpus else 'any'}, load on {sorted(load_cpus) if load_cpus else 'any'}\n")
    print(table(scenarios))
    p99 = max(s.latency("ack_delays_ms")[1] for s in scenarios[2:])
    loss = median([1 - w.orders_per_s / b.orders_per_s
                   for w, b in zip(scenarios[1].rounds, scenarios[0].rounds, strict=True)])
    capacity = 1 - scenarios[0].cpu_us_per_order() / scenarios[1].cpu_us_per_order()
    print("\nloss: orders/s with the subscribers against without (paired rounds). capacity loss: the same from the\n"
          "server's CPU time per order (what the subscribers cost the server when it is the bottleneck; on a small\n"
          "machine the subscriber processes also take CPU from the load generator, which the first one includes).")
    print(f"\ntargets: ack→event p99 < {TARGETS['p99_ms']:g} ms (paced, worst): {p99:.1f} ms "
          f"{'OK' if p99 < TARGETS['p99_ms'] else 'MISSED'}; throughput loss <= {TARGETS['throughput_loss']:.0%}: "
          f"{loss:.0%} {'OK' if loss <= TARGETS['throughput_loss'] else 'MISSED'}, server capacity loss "
          f"{capacity:.0%} {'OK' if capacity <= TARGETS['throughput_loss'] else 'MISSED'}")


if __name__ == "__main__":
    main()
