"""The backtest loop: bars replayed through the exchange's own engine, one strategy, no look-ahead.

**Intrabar model** (documented in the README's "Backtesting" section and golden-tested):

1. Bar ``i`` is walked as ``open → nearer extreme → farther extreme → close`` (:mod:`minance.market.motion`),
   then the market opens bar ``i+1`` (its open is the next point). Each point moves the exchange's reference
   price (``MarketMove``): resting orders the point reaches fill at their limit price as makers, stops and
   trailing stops see every point and fire into the virtual maker ladder (so a stop-loss fills at the bid below
   its trigger, never exactly at the stop).
2. ``on_bar(ctx, bar)`` fires at the bar's close, after the path. An order sent then meets the *next* market
   event: the ladder around bar ``i+1``'s open (market orders fill there with the ladder's spread and depth);
   a resting order is checked against bar ``i+1``'s points. The strategy's data ends at bar ``i``.
3. ``fill_model="pessimistic"``: on a bar where resting orders or stops lie both above and below (e.g. a
   stop-loss and a take-profit), both orders of the extremes are tried on a copy of the exchange and the one
   that leaves the account poorer at the close is kept; every such bar is flagged in the report (the default
   model flags them too, with the order it used).
4. ``volume_cap`` (a fraction of the bar's volume) caps the base quantity of resting orders filled per point;
   ``latency_ms`` makes an order meet the market that much later (the next bar's points inside the latency are
   replayed first; their nominal times are open, +⅓, +⅔ and the close of the bar).

**Cheap bars.** A point that reaches no resting order and no stop changes nothing but the reference and last
price, and the next command sets both (``Exchange.market_quiet``). Such bars skip the engine entirely; the
reference is brought up to date (one ``MarketMove``) just before the strategy's next order or quote. The fills
are the same as replaying every bar (a test checks it); the one thing that differs is the 5-minute average
price behind PERCENT_PRICE_BY_SIDE (bounds 0.2×–5×), which sees fewer samples.

**Several symbols** (``Backtest(strategy, [bars, bars, ...])``; a triangular arbitrage needs three books). The
first symbol is the *primary*: it drives everything above (the cheap-bar skip, the pessimistic model, the flags,
the equity curve, which counts its base and quote assets only). Every other symbol's bars must share the
primary's interval and open times exactly. On each bar, after the primary, every other symbol's market walks
its own bar with the same intrabar rule (``open → nearer extreme → farther extreme → close → next open``) in one
``MarketMove``, in the order the symbols were given. Then, at the bar's close and before timers and ``on_bar``,
a ``ticks="bookTicker"`` strategy gets ``on_tick(ctx, quote)`` once per symbol, in the order the symbols were
given (each quote read from the book at that moment, so a tick sees the orders of the ticks before it): the same
bars, the same ticks, the same fills on every run. ``latency_ms`` is for one symbol only. A one-symbol run is
unchanged (and gets no ``on_tick``, as before).
"""

from __future__ import annotations

import copy
import logging
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

import numpy as np

from minance.backtest.context import USER, BacktestContext, LazyBar, fill_record, order_record
from minance.bots.errors import BotError, KillSwitchTripped, OrderError, StrategyError
from minance.bots.loader import user_traceback
from minance.bots.records import Fill, Order
from minance.bots.safety import Limits
from minance.bots.strategy import Strategy
from minance.domain.orders import UNITS_PER_ONE
from minance.domain.symbols import DEFAULT_SYMBOLS, SymbolSpec
from minance.engine import BalanceUpdate, Deposit, Exchange, MarketMove, OrderUpdate, SetCommission, SetLiquidity
from minance.history.cache import Bars
from minance.market.intervals import INTERVALS
from minance.market.motion import high_first

__all__ = ["LIQUIDITY", "Backtest", "BacktestConfig", "BacktestError", "BacktestStrategyError", "Flag", "Market"]

LIQUIDITY = 2  # the virtual maker's account
_LIQ_FUNDING = Decimal("1e12")
_NO_IDS: dict[int, str] = {}  # fill_record's client-id overrides: the backtest has none (never written to)


class BacktestError(BotError):
    """Bad input for a backtest (unknown symbol, no bars, ...): one line, exit 2."""


class BacktestStrategyError(StrategyError):
    """The strategy raised on bar ``index`` (open time ``open_time``); ``detail`` is the user's traceback."""

    def __init__(self, message: str, detail: str, index: int, open_time: int) -> None:
        super().__init__(message, detail)
        self.index, self.open_time = index, open_time


@dataclass(frozen=True, slots=True)
class Flag:
    """A bar on which orders on both sides were within reach: the intrabar order mattered."""

    index: int
    open_time: int
    path: str  # "O-H-L-C" or "O-L-H-C": the order used
    reason: str


class Market:
    """A secondary symbol's bars, read the way :class:`LazyBar` reads the primary's (same attribute names)."""

    def __init__(self, bars: Bars, spec: SymbolSpec, step_ms: int) -> None:
        self.bars, self.spec, self.step_ms = bars, spec, step_ms
        self.symbol, self.interval = bars.symbol, bars.interval
        self.t = bars.open_time.tolist()
        self.o = bars.open.tolist()
        self.h = bars.high.tolist()
        self.lo = bars.low.tolist()
        self.c = bars.close.tolist()
        self.v = bars.volume.tolist()
        self.n = bars.trades.tolist()

    def path(self, i: int) -> list[int]:
        o, h, low, c = self.o[i], self.h[i], self.lo[i], self.c[i]
        path = [o, h, low, c] if high_first(o, h, low, c) else [o, low, h, c]
        if i + 1 < len(self.o):
            path.append(self.o[i + 1])
        return path


@dataclass(frozen=True)
class BacktestConfig:
    balance: dict[str, Decimal] = field(default_factory=lambda: {"USDT": Decimal(10_000)})
    fill_model: str = "default"  # default | pessimistic
    maker_bps: int = 10
    taker_bps: int = 10
    volume_cap: Decimal | None = None  # fraction of a bar's volume that resting orders may fill per point
    latency_ms: int = 0
    spread_bps: int = 2  # the virtual maker ladder: as minance serve's market maker quotes it
    spacing_bps: int = 1
    levels: int = 20
    first_notional: Decimal | None = None
    growth_permille: int = 1200
    every_bar: bool = False  # replay every bar through the engine (for the equivalence test)


class Backtest:
    def __init__(self, strategy: Strategy, bars: Bars | list[Bars] | tuple[Bars, ...],
                 config: BacktestConfig | None = None, *, name: str = "backtest", spec: SymbolSpec | None = None) \
            -> None:
        self.config = config = config or BacktestConfig()
        others: list[Bars] = []
        if isinstance(bars, (list, tuple)):
            if not bars:
                raise BacktestError("no bars to replay")
            bars, *others = bars
        if config.fill_model not in ("default", "pessimistic"):
            raise BacktestError(f"unknown fill model {config.fill_model!r}: default or pessimistic")
        self.strategy = strategy
        self.symbol = bars.symbol
        self.interval = bars.interval
        spec = spec or DEFAULT_SYMBOLS.get(self.symbol)
        if spec is None:
            raise BacktestError(f"unknown symbol {self.symbol}: the backtest knows "
                                f"{', '.join(sorted(DEFAULT_SYMBOLS))}")
        self.spec = spec
        step = INTERVALS.get(self.interval)
        if not step:
            raise BacktestError(f"unsupported interval {self.interval!r} for a backtest")
        if not len(bars):
            raise BacktestError(f"no {self.interval} bars of {self.symbol} to replay")
        self.step_ms = step
        self.bars = bars
        self.t = bars.open_time.tolist()
        self.o = bars.open.tolist()
        self.h = bars.high.tolist()
        self.lo = bars.low.tolist()
        self.c = bars.close.tolist()
        self.i = 0
        self.markets: dict[str, Market] = {}  # the other symbols, in the order given
        for other in others:
            self._add_market(other)
        self.specs: dict[str, SymbolSpec] = {self.symbol: spec, **{m.symbol: m.spec for m in self.markets.values()}}
        if self.markets and config.latency_ms:
            raise BacktestError("latency_ms is for a one-symbol backtest")
        self.now_ms = self.t[0]
        # small retention: the backtest keeps every order and fill itself (self.orders, self.fills), and the
        # pessimistic model copies the exchange on ambiguous bars, which must stay cheap however long the run
        self.exchange = Exchange(list(self.specs.values()), maker_bps=config.maker_bps, taker_bps=config.taker_bps,
                                 keep_trades=1000, keep_my_trades=1000, keep_closed_orders=1000,
                                 keep_closed_lists=1000)
        logger = logging.getLogger(f"minance.backtest.{name}.{id(self)}")
        logger.propagate = False  # a backtest's log is its result (``rejections``), not the terminal
        logger.addHandler(logging.NullHandler())
        self.ctx = BacktestContext(name, strategy, self, limits=Limits(max_orders_per_min=None), logger=logger)
        self.rejections: list[tuple[int, int, str]] = []  # (bar index, code, message)
        self.fills: list[Fill] = []
        self.orders: dict[int, Any] = {}  # order id → last OrderView
        self.flags: list[Flag] = []
        self._queue: deque[Fill] = deque()
        self._reply_fills: dict[int, list[Fill]] = {}
        self._pending_ref: int | None = None  # where the market is, when the engine has not been told yet
        self._latency_done = -1  # bar whose leading points were already replayed for latency
        self._hold = ([-1], [0], [0])  # (bar index, base units, quote units) after each change
        self._dispatching = False
        self.engine_moves = 0  # MarketMove commands sent (the skip's effect, in the report)

    def _add_market(self, bars: Bars) -> None:
        sym = bars.symbol
        spec = DEFAULT_SYMBOLS.get(sym)
        if spec is None:
            raise BacktestError(f"unknown symbol {sym}: the backtest knows {', '.join(sorted(DEFAULT_SYMBOLS))}")
        if sym == self.symbol or sym in self.markets:
            raise BacktestError(f"{sym} is given twice")
        if bars.interval != self.interval:
            raise BacktestError(f"{sym} has {bars.interval} bars and {self.symbol} {self.interval}: one interval")
        if len(bars) != len(self.bars) or not np.array_equal(bars.open_time, self.bars.open_time):
            theirs = set(bars.open_time.tolist())
            missing = next((t for t in self.t if t not in theirs), None)
            where = f" (none opening at {missing})" if missing is not None else ""
            raise BacktestError(f"the {sym} {self.interval} bars do not line up with {self.symbol}'s{where}: "
                                "every symbol needs a bar at every open time")
        self.markets[sym] = Market(bars, spec, self.step_ms)

    # volume and trade count: Python lists on first use (a volume cap, a strategy reading them), not per run
    @cached_property
    def v(self) -> list[int]:
        return self.bars.volume.tolist()

    @cached_property
    def n(self) -> list[int]:
        return self.bars.trades.tolist()

    # -- the engine, through one door ------------------------------------------------------------
    def command(self, cmd: Any):
        """Bring the market up to date, apply ``cmd``, collect the user's fills and holdings."""
        self.sync()
        result = self.exchange.handle(cmd)
        self._collect(result)
        return result

    def sync(self) -> None:
        if self._pending_ref is not None:
            ref, self._pending_ref = self._pending_ref, None
            self._move([ref], self.now_ms)
        if self.config.latency_ms and self._latency_done != self.i and self.i + 1 < len(self.t):
            self._latency_done = self.i
            j = self.i + 1
            due = self.now_ms + self.config.latency_ms
            points = [p for p, at in zip(self._path(j), self._times(j), strict=True) if at <= due]
            if points:
                self._move(points, due)

    def fills_of(self, order_id: int) -> tuple[Fill, ...]:
        return tuple(self._reply_fills.pop(order_id, ()))

    def _move(self, path: list[int], ts: int, cap: int | None = None) -> None:
        self.engine_moves += 1
        result = self.exchange.handle(MarketMove(self.symbol, ts, tuple(path),
                                                 fill_cap=Decimal(cap).scaleb(-8) if cap else None))
        assert result.error is None, result.error
        self._collect(result)

    def _move_market(self, m: Market, i: int, ts: int) -> None:
        """Walk a secondary symbol's bar ``i`` (and open ``i + 1``): one ``MarketMove``."""
        cap = None
        if self.config.volume_cap is not None:
            cap = int(m.v[i] * self.config.volume_cap) or 1
        self.engine_moves += 1
        result = self.exchange.handle(MarketMove(m.symbol, ts, tuple(m.path(i)),
                                                 fill_cap=Decimal(cap).scaleb(-8) if cap else None))
        assert result.error is None, result.error
        self._collect(result)

    def _ticks(self, i: int) -> None:
        """``on_tick`` once per symbol, primary first then the others in the order given."""
        ctx, strategy = self.ctx, self.strategy
        for sym in self.specs:
            ctx._cause, ctx._seq = f"q:{sym}:{self.t[i]}", 0
            try:
                strategy.on_tick(ctx, ctx.quote(sym))
            except Exception as exc:
                self._hook_failed(exc, i, "on_tick")
            self._dispatch()
            if ctx.stop_requested:
                return

    def _hook_failed(self, exc: Exception, i: int, hook: str) -> None:
        """The one rejection policy of every hook (only the failure path calls here: the bar loop stays flat).
        A rejected order is recorded and stops the run when the strategy asks for that; the bot's own stops
        propagate; anything else is the user's bug, reported with the bar and their traceback."""
        if isinstance(exc, KillSwitchTripped | BotError):
            raise exc
        if isinstance(exc, OrderError):
            if self.strategy.on_reject == "stop":
                self.ctx.stop_requested = f"order rejected: {exc.code} {exc.msg}"
            self.rejections.append((i, exc.code, exc.msg))
            return
        raise self._strategy_error(exc, i, hook) from None

    def _collect(self, result) -> None:
        changed = False
        for ev in result.events:
            if type(ev) is OrderUpdate and ev.order.account_id == USER:
                self.orders[ev.order.order_id] = ev.order
                if ev.last_qty_u:
                    f = fill_record(ev, _NO_IDS)
                    self.fills.append(f)
                    self._queue.append(f)
                    self._reply_fills.setdefault(f.order_id, []).append(f)
                    changed = True
            elif type(ev) is BalanceUpdate and ev.account_id == USER:
                changed = True
        if changed:
            self._record_holdings()

    def _record_holdings(self) -> None:
        cells = self.exchange.ledger.cells.get(USER, {})
        b, q = cells.get(self.spec.base), cells.get(self.spec.quote)
        idx, base, quote = self._hold
        value = ((b.free + b.locked) if b else 0, (q.free + q.locked) if q else 0)
        if idx[-1] == self.i:
            base[-1], quote[-1] = value
        else:
            idx.append(self.i)
            base.append(value[0])
            quote.append(value[1])

    # -- bar paths -------------------------------------------------------------------------------
    def _path(self, i: int, high_first_: bool | None = None) -> list[int]:
        o, h, low, c = self.o[i], self.h[i], self.lo[i], self.c[i]
        first = high_first(o, h, low, c) if high_first_ is None else high_first_
        return [o, h, low, c] if first else [o, low, h, c]

    def _times(self, i: int) -> list[int]:
        t, s = self.t[i], self.step_ms
        return [t, t + s // 3, t + 2 * s // 3, t + s - 1]

    def _both_sides(self, low: int, high: int) -> bool:
        sym = self.exchange.symbols[self.symbol]
        book, stops = sym.book, sym.stops
        down = bool(book.bid_keys and book.bid_keys[-1] >= low) or bool(stops.fall and stops.fall[-1][0] >= low)
        up = bool(book.ask_keys and -book.ask_keys[-1] <= high) or bool(stops.rise and -stops.rise[-1][0] <= high)
        return (down and up) or (bool(stops.trailing) and (down or up))

    def _bar(self, i: int) -> None:
        """Walk bar ``i`` (and open ``i + 1``) through the engine."""
        path = self._path(i)
        times = self._times(i)
        skip = 1 if self._latency_done == i - 1 and self.config.latency_ms else 0
        if skip:  # the leading points a delayed order already replayed
            due = self.t[i] + self.config.latency_ms
            skip = sum(1 for at in times if at <= due)
        if i + 1 < len(self.t):
            path.append(self.o[i + 1])
        cap = None
        if self.config.volume_cap is not None:
            cap = int(self.v[i] * self.config.volume_cap) or 1
        ts = times[-1]
        lo_, hi_ = min(self.lo[i], path[-1]), max(self.h[i], path[-1])
        if self._both_sides(lo_, hi_):
            rule_high = high_first(self.o[i], self.h[i], self.lo[i], self.c[i])
            use_high = rule_high
            if self.config.fill_model == "pessimistic":
                use_high = self._worse_order(i, path[4:], cap, ts, rule_high)
            self.flags.append(Flag(i, self.t[i], "O-H-L-C" if use_high else "O-L-H-C",
                                   "orders within reach above and below" + (
                                       "; pessimistic: the worse order" if use_high != rule_high else "")))
            path = self._path(i, use_high) + path[4:]
        self._move(path[skip:], ts, cap)

    def _worse_order(self, i: int, tail: list[int], cap: int | None, ts: int, rule_high: bool) -> bool:
        """Try both extreme orders on copies of the exchange; True when O-H-L-C leaves less equity."""
        worth = {}
        for first_high in (rule_high, not rule_high):
            ex = copy.deepcopy(self.exchange)
            path = self._path(i, first_high) + tail
            ex.handle(MarketMove(self.symbol, ts, tuple(path), fill_cap=Decimal(cap).scaleb(-8) if cap else None))
            cells = ex.ledger.cells.get(USER, {})
            b, q = cells.get(self.spec.base), cells.get(self.spec.quote)
            base = (b.free + b.locked) if b else 0
            quote = (q.free + q.locked) if q else 0
            worth[first_high] = quote * UNITS_PER_ONE + base * self.c[i]
        return worth[True] < worth[False] or (worth[True] == worth[False] and rule_high)

    # -- the run ---------------------------------------------------------------------------------
    def run(self) -> None:
        ex, cfg, sym = self.exchange, self.config, self.symbol
        t0 = self.t[0]
        liquidity = {a: _LIQ_FUNDING for s in self.specs.values() for a in (s.base, s.quote)}
        for account, funds in ((LIQUIDITY, liquidity), (USER, cfg.balance)):
            for asset, amount in funds.items():
                if amount > 0:
                    r = ex.handle(Deposit(account, asset, Decimal(amount), t0))
                    if r.error is not None:
                        raise BacktestError(f"--balance {asset}={amount}: {r.error.msg}")
        ex.handle(SetCommission(LIQUIDITY, 0, 0, t0))
        for s in self.specs.values():
            first = cfg.first_notional or (Decimal("0.1") if s.quote == "BTC" else Decimal(10_000))
            ex.handle(SetLiquidity(s.symbol, LIQUIDITY, t0, spread_bps=cfg.spread_bps, spacing_bps=cfg.spacing_bps,
                                   levels=cfg.levels, first_notional=first, growth_permille=cfg.growth_permille,
                                   depth_events=False))
        ex.handle(MarketMove(sym, t0, (self.o[0],)))
        for m in self.markets.values():
            ex.handle(MarketMove(m.symbol, t0, (m.o[0],)))
        self._record_holdings()
        self._hold = ([0], [self._hold[1][-1]], [self._hold[2][-1]])
        ctx, strategy = self.ctx, self.strategy
        ctx._cause, ctx._seq = "start", 0
        try:
            strategy.validate(ctx)
            strategy.on_start(ctx)
        except (KillSwitchTripped, OrderError, BotError):
            raise
        except Exception as exc:
            raise BacktestStrategyError(f"the strategy raised {type(exc).__name__} in on_start: {exc}",
                                        user_traceback(exc), -1, t0) from None
        self._dispatch()
        has_bar = type(strategy).on_bar is not Strategy.on_bar
        on_bar = strategy.on_bar
        quiet = ex.market_quiet
        t, o, h, lo, c, step = self.t, self.o, self.h, self.lo, self.c, self.step_ms
        n = len(t)
        every = cfg.every_bar or bool(cfg.latency_ms)
        scheduler = ctx.scheduler
        state = ex.symbols[sym]
        book, stops = state.book, state.stops
        queue = self._queue  # never rebound: the loop reads it twice a bar
        lazy_bar = LazyBar
        markets = list(self.markets.values())
        has_tick = bool(markets) and strategy.ticks == "bookTicker" \
            and type(strategy).on_tick is not Strategy.on_tick
        for i in range(n):
            self.i = i
            nxt = o[i + 1] if i + 1 < n else c[i]
            if every or ((book.bid_keys or book.ask_keys or stops.orders)  # nothing resting: nothing to fill
                         and not quiet(sym, lo[i] if lo[i] < nxt else nxt, h[i] if h[i] > nxt else nxt)):
                self._pending_ref = None
                self._bar(i)
            else:
                self._pending_ref = nxt
            if markets:
                for m in markets:
                    self._move_market(m, i, t[i] + step - 1)
            self.now_ms = t[i] + step
            if queue:
                self._dispatch()
            if has_tick:
                self._ticks(i)
                if ctx.stop_requested:
                    break
            if scheduler.timers:
                self._timers()
            if has_bar:
                ctx._cause = "bar"
                ctx._seq = 0
                try:
                    on_bar(ctx, lazy_bar(self, i))  # type: ignore[arg-type]  # a Bar read lazily
                except Exception as exc:
                    self._hook_failed(exc, i, "on_bar")
                if queue:
                    self._dispatch()
            if ctx.stop_requested:
                break
        ctx._cause = "end"
        try:
            strategy.on_stop(ctx)
        except Exception as exc:
            raise self._strategy_error(exc, self.i, "on_stop") from None
        self._dispatch()

    def _strategy_error(self, exc: Exception, i: int, hook: str) -> BacktestStrategyError:
        from datetime import UTC, datetime

        when = datetime.fromtimestamp(self.t[i] / 1000, UTC).strftime("%Y-%m-%d %H:%M")
        return BacktestStrategyError(f"the strategy raised {type(exc).__name__} in {hook} on bar {i} "
                                     f"({self.symbol} {self.interval} opening {when} UTC): {exc}",
                                     user_traceback(exc), i, self.t[i])

    def _timers(self) -> None:
        ctx = self.ctx
        for timer, slot in ctx.scheduler.due(self.now_ms):
            ctx._cause, ctx._seq = f"t:{timer.name}:{slot}", 0
            try:
                timer.fn(ctx)
            except OrderError as exc:
                self.rejections.append((self.i, exc.code, exc.msg))
            except Exception as exc:
                raise self._strategy_error(exc, self.i, f"timer {timer.name}") from None
            ctx.scheduler.mark_done(timer, slot)
        self._dispatch()

    def _dispatch(self) -> None:
        """Fills reach the position book and ``on_fill`` once each, after the hook that caused them."""
        if self._dispatching:
            return
        self._dispatching = True
        ctx, strategy = self.ctx, self.strategy
        has_fill = type(strategy).on_fill is not Strategy.on_fill
        try:
            while self._queue:
                f = self._queue.popleft()
                self._reply_fills.pop(f.order_id, None)
                if not has_fill:  # nobody looks until ctx.position() asks: apply the fills then (cheaper)
                    ctx.unapplied.append(f)
                    continue
                ctx.apply_fills()
                spec = self.specs[f.symbol]
                ctx.positions_book.apply(f, spec.base, spec.quote)
                if has_fill:
                    ctx._cause, ctx._seq = f"f:{f.symbol}:{f.trade_id}:{f.order_id}", 0
                    try:
                        strategy.on_fill(ctx, f)
                    except OrderError as exc:
                        self.rejections.append((self.i, exc.code, exc.msg))
                    except Exception as exc:
                        raise self._strategy_error(exc, self.i, "on_fill") from None
        finally:
            self._dispatching = False

    # -- results ---------------------------------------------------------------------------------
    def order_records(self) -> list[Order]:
        return [order_record(v) for v in self.orders.values()]

    def holdings(self) -> tuple[list[int], list[int], list[int]]:
        return self._hold
