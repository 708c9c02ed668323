"""Backtests: a strategy replayed on cached bars through the exchange's own matching engine.

``run(MyStrategy, symbol="BTCUSDT", interval="1m", start="2024-01-01", end="2024-12-31")`` returns a
:class:`BacktestResult` (metrics, fills, orders, equity); ``minance.bots.run(..., venue="backtest")`` lands here.
See :mod:`minance.backtest.engine` for the intrabar model and :mod:`minance.backtest.metrics` for the formulas.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from minance.backtest.engine import Backtest, BacktestConfig, BacktestError, BacktestStrategyError, Flag
from minance.backtest.metrics import Metrics
from minance.backtest.result import BacktestResult, fingerprint

__all__ = ["Backtest", "BacktestConfig", "BacktestError", "BacktestResult", "BacktestStrategyError", "Flag",
           "Metrics", "fingerprint", "load_range", "parse_time", "run"]

DAY_MS = 86_400_000


def parse_time(value: str | int | datetime, *, end: bool = False) -> int:
    """``2024-01-01`` (a whole UTC day; as an end: through that day), an ISO time, or epoch ms."""
    if isinstance(value, int):
        return value
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise BacktestError(f"{text!r} is not a date: use YYYY-MM-DD (UTC) or epoch milliseconds") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    ms = int(dt.timestamp() * 1000)
    return ms + DAY_MS if end and len(text) == 10 else ms


def _day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d")


def load_range(symbol: str, interval: str, start_ms: int, end_ms: int, *, root: Path | None = None):
    """Cached bars of ``[start_ms, end_ms)``; :class:`BacktestError` naming the first gap and the command that
    downloads it when the cache lacks any of them."""
    from minance.history import cache
    from minance.market.intervals import INTERVALS

    if interval not in INTERVALS:
        raise BacktestError(f"unknown interval {interval!r} (one of {', '.join(INTERVALS)})")
    if end_ms <= start_ms:
        raise BacktestError(f"the end ({_day(end_ms)}) is not after the start ({_day(start_ms)})")
    bars = cache.load_bars(symbol, interval, start_ms, end_ms, root=root)
    holes = cache.gaps(symbol, interval, start_ms, end_ms, root=root, bars=bars)
    if holes:
        first, last = holes[0][0], holes[-1][1]
        where = f" --history {root}" if root is not None else ""
        raise BacktestError(
            f"the history cache lacks {symbol} {interval} bars from {_day(first)} ({len(holes)} gap"
            f"{'s' if len(holes) > 1 else ''}, {first}..{last}): minance data download {symbol} --interval "
            f"{interval} --start {_day(first)} --end {_day(max(first, last - 1))}{where}")
    return bars


def _symbol_list(*values: Any) -> list[str]:
    """``"BTCUSDT"``, ``"BTCUSDT,ETHUSDT"`` or a list of either: upper-case names, in order, once each."""
    out: list[str] = []
    for value in values:
        if not value:
            continue
        for item in ([value] if isinstance(value, str) else list(value)):
            for name in str(item).split(","):
                name = name.strip().upper()
                if name and name not in out:
                    out.append(name)
    return out


def run(strategy: Any, *, params: dict[str, Any] | None = None, symbol: str | None = None,
        symbols: Any = None, interval: str | None = None, start: Any = None, end: Any = None, bars: Any = None,
        balance: dict[str, Any] | None = None, fill_model: str = "default", history: str | Path | None = None,
        name: str | None = None, **options: Any) -> BacktestResult:
    """Backtest ``strategy`` (a Strategy class or instance, a built-in name or a file) and return the result.

    ``symbol``/``symbols``: one name, a comma-separated string or a list; several symbols are replayed together
    (the first drives the equity curve; see :mod:`minance.backtest.engine`), and without any the strategy's
    ``symbols()`` are used. ``bars`` (a :class:`minance.history.cache.Bars`, or a list of them, one per symbol)
    overrides the cache. ``options`` are
    :class:`BacktestConfig` fields: ``maker_bps``, ``taker_bps``, ``volume_cap``, ``latency_ms``, ...
    """
    from minance.bots.runner import prepare
    from minance.bots.strategy import Strategy

    cpu0 = time.process_time()
    instance = strategy if isinstance(strategy, Strategy) else prepare(strategy, params)
    names = _symbol_list(symbol, symbols) or _symbol_list(instance.symbols())
    if not names and bars is None:
        raise BacktestError("no symbol: pass --symbol (or symbol=...; several: --symbol A,B,C)")
    ivl = interval or instance.interval or "1m"
    if bars is None:
        if start is None or end is None:
            raise BacktestError("give --start and --end (YYYY-MM-DD)")
        root = Path(history).expanduser() if history else None
        start_ms, end_ms = parse_time(start), parse_time(end, end=True)
        loaded = [load_range(name, ivl, start_ms, end_ms, root=root) for name in names]
        bars = loaded[0] if len(loaded) == 1 else loaded
    fields = set(BacktestConfig.__dataclass_fields__)
    unknown = sorted(set(options) - fields)
    if unknown:
        raise BacktestError(f"unknown backtest option {unknown[0]!r} (options: {', '.join(sorted(fields))})")
    cfg = BacktestConfig(balance={k.upper(): Decimal(str(v)) for k, v in (balance or {"USDT": 10_000}).items()},
                         fill_model=fill_model, **options)
    bt = Backtest(instance, bars, cfg, name=name or instance.name or type(instance).__name__.lower())
    bt.run()
    from minance.backtest.result import summarise

    return summarise(bt, type(instance).__name__, time.process_time() - cpu0)
