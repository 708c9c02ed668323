"""Parameter sweeps: one backtest per point of a grid, across local processes or a Dask cluster.

``--grid fast=5:50:5`` is an inclusive range (start:stop:step, integers or decimals); ``--grid mode=a,b`` lists
values. The grid's points run in a process pool (``--workers N``, default: every core) or, past one machine, on
a Dask ``distributed`` cluster (``--dask tcp://HOST:PORT``); each worker loads the bars from the history cache
itself, so only parameters and metrics cross the wire. Results come back as they finish (a progress bar) and are
sorted by the chosen metric. Every point is deterministic: the same grid gives the same table on any cluster.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["GridError", "SweepPoint", "SweepResult", "expand_grid", "parse_grid", "run_points", "sort_results"]


class GridError(ValueError):
    """A ``--grid`` that does not parse or describes no value."""


MAX_POINTS = 100_000


def _number(text: str) -> int | Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise GridError(f"{text!r} is not a number") from None
    if not value.is_finite():
        raise GridError(f"{text!r} is not a finite number")
    return int(value) if value == value.to_integral_value() and "." not in text else value


def parse_grid(spec: str) -> tuple[str, list[Any]]:
    """``name=start:stop:step`` (inclusive) or ``name=v1,v2,...`` → (name, values)."""
    name, sep, rest = spec.partition("=")
    name = name.strip()
    if not sep or not name or not rest.strip():
        raise GridError(f"--grid {spec!r}: write NAME=START:STOP:STEP or NAME=V1,V2,...")
    if ":" in rest:
        parts = rest.split(":")
        if len(parts) != 3:
            raise GridError(f"--grid {spec!r}: a range is START:STOP:STEP")
        start, stop, step = (_number(p.strip()) for p in parts)
        if step <= 0:
            raise GridError(f"--grid {spec!r}: the step must be positive")
        if stop < start:
            raise GridError(f"--grid {spec!r}: STOP is below START")
        count = int((Decimal(stop) - Decimal(start)) / Decimal(step)) + 1
        if count > MAX_POINTS:
            raise GridError(f"--grid {spec!r}: {count} values; narrow the range or widen the step")
        values: list[Any] = [start + step * i for i in range(count)]
    else:
        values = [v.strip() for v in rest.split(",") if v.strip()]
        if not values:
            raise GridError(f"--grid {spec!r}: no values")
    return name, values


def expand_grid(grids: Sequence[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
    """The cartesian product of the grids, in a stable order (first grid varies slowest)."""
    names = [n for n, _ in grids]
    if len(set(names)) != len(names):
        raise GridError("a parameter appears in two --grid options")
    total = 1
    for _, values in grids:
        total *= len(values)
    if total > MAX_POINTS:
        raise GridError(f"the grid has {total} points (at most {MAX_POINTS}); narrow it")
    return [dict(zip(names, combo)) for combo in itertools.product(*(v for _, v in grids))]


@dataclass(frozen=True, slots=True)
class SweepPoint:
    index: int
    params: dict[str, Any]


@dataclass(slots=True)
class SweepResult:
    index: int
    params: dict[str, Any]
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


# A worker is a module-level function (picklable by reference): (job, params) -> metrics.
Worker = Callable[[Mapping[str, Any], dict[str, Any]], dict[str, Any]]


def _call(worker: Worker, job: Mapping[str, Any], point: SweepPoint) -> SweepResult:
    try:
        return SweepResult(point.index, point.params, worker(job, point.params))
    except Exception as exc:  # one failing point must not sink the sweep: it is reported in its row
        return SweepResult(point.index, point.params, error=f"{type(exc).__name__}: {exc}")


def run_points(worker: Worker, job: Mapping[str, Any], points: Sequence[SweepPoint], *, workers: int | None = None,
               dask_address: str | None = None) -> Iterator[SweepResult]:
    """Run every point; yield results as they complete (order not guaranteed)."""
    if dask_address:
        yield from _run_dask(worker, job, points, dask_address)
        return
    n = max(1, min(workers or os.cpu_count() or 1, len(points)))
    if n == 1:
        for p in points:
            yield _call(worker, job, p)
        return
    with ProcessPoolExecutor(max_workers=n) as pool:
        futures = [pool.submit(_call, worker, job, p) for p in points]
        for fut in as_completed(futures):
            yield fut.result()


def _run_dask(worker: Worker, job: Mapping[str, Any], points: Sequence[SweepPoint], address: str
              ) -> Iterator[SweepResult]:
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise GridError("--dask needs the 'dask' extra: pip install 'minance[dask]'") from None
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise GridError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    try:
        futures = [client.submit(_call, worker, job, p, pure=False) for p in points]
        for fut in dask_completed(futures):
            yield fut.result()
    finally:
        client.close()


def sort_results(results: Sequence[SweepResult], metric: str, *, descending: bool = True) -> list[SweepResult]:
    """Failed points last; otherwise by ``metric`` (points without it after the others)."""
    def key(r: SweepResult) -> tuple[int, Decimal]:
        value = r.metrics.get(metric) if r.error is None else None
        if value is None:
            return (1, Decimal(0))
        d = Decimal(str(value))
        return (0, -d if descending else d)
    return sorted(results, key=lambda r: (key(r), r.index))


# -- the backtest worker ----------------------------------------------------------------------------------
_BARS: dict[tuple[Any, ...], Any] = {}  # per process: the bars of one job, loaded once and reused by every point


def backtest_point(job: Mapping[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """One point of a sweep: ``minance.backtest.run`` with the job's fixed settings and ``params`` on top of the
    job's base parameters; returns the metrics (JSON-ready), the trade count and the fills' fingerprint."""
    from pathlib import Path

    from minance.backtest import load_range, parse_time, run

    key = (job.get("history"), job["symbol"], job["interval"], job["start"], job["end"])
    bars = _BARS.get(key)
    if bars is None:
        root = Path(job["history"]).expanduser() if job.get("history") else None
        bars = load_range(job["symbol"], job["interval"], parse_time(job["start"]),
                          parse_time(job["end"], end=True), root=root)
        _BARS.clear()
        _BARS[key] = bars
    merged = {**job.get("params", {}), **{k: str(v) for k, v in params.items()}}
    result = run(job["strategy"], params=merged, symbol=job["symbol"], interval=job["interval"], bars=bars,
                 balance=job.get("balance"), fill_model=job.get("fill_model", "default"), **job.get("options", {}))
    data = result.as_json()
    return {**data["metrics"], "fingerprint": data["fingerprint"], "buyAndHoldReturn":
            data["buyAndHold"].get("total_return")}
