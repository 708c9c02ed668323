"""The venue-independent event loop body: turns market events, fills and timer slots into strategy hooks.

Every venue feeds a :class:`BotCore` (``start``, ``bar``, ``tick``, ``fill``, ``timers``, ``stop``); it sets the
cause of the orders placed in each hook (so their client ids are deterministic), commits the strategy's
``state``, the positions and the schedule after each hook, dispatches fills exactly once, applies the kill
switch, and turns exceptions into log lines and the rejection policy — it never spins on an error.
"""

from __future__ import annotations

import json
from decimal import Decimal

from minance.bots.context import Context
from minance.bots.errors import KillSwitchTripped, OrderError, ParamError, StrategyError
from minance.bots.loader import user_traceback
from minance.bots.records import Bar, Fill, Quote, Trade
from minance.bots.strategy import Strategy

__all__ = ["MAX_CONSECUTIVE_ERRORS", "BotCore"]

MAX_CONSECUTIVE_ERRORS = 5  # a strategy that raises this many hooks in a row is stopped


class BotCore:
    def __init__(self, strategy: Strategy, ctx: Context) -> None:
        self.strategy = strategy
        self.ctx = ctx
        self.stopped: str | None = None  # why the bot must stop (None: keep running)
        self.errors = 0
        self.run_number = int(ctx.store.get("runs", 0)) + 1
        self._written: dict[str, str] = {}  # what the store last got, as JSON, per key

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        """Validate against the venue, then ``on_start``. Errors here are fatal (nothing is retried)."""
        ctx = self.ctx
        with ctx.store.transaction():
            ctx.store.put("runs", self.run_number)
        ctx._cause, ctx._seq = f"s{self.run_number}", 0
        for symbol in self.strategy.symbols():
            try:
                ctx.rules(symbol)
            except OrderError as exc:
                raise ParamError(f"unknown symbol {symbol}: the exchange does not list it ({exc.code} {exc.msg})")\
                    from None
        try:
            self.strategy.validate(ctx)
            self.strategy.on_start(ctx)
        except (KillSwitchTripped, OrderError, ParamError):
            raise
        except Exception as exc:
            raise StrategyError(f"the strategy raised {type(exc).__name__} in on_start: {exc}",
                                user_traceback(exc)) from None
        self._commit()
        if ctx.stop_requested:
            self._stop(ctx.stop_requested)
        self.drain()

    def stop(self, reason: str = "stopped") -> None:
        ctx = self.ctx
        ctx._cause, ctx._seq = f"e{self.run_number}", 0
        try:
            self.strategy.on_stop(ctx)
        except Exception as exc:
            ctx.log.error("on_stop raised %s: %s\n%s", type(exc).__name__, exc, user_traceback(exc))
        self._commit()
        ctx.log.info("bot stopped: %s", reason)

    # -- events ----------------------------------------------------------------------------------
    def bar(self, bar: Bar) -> None:
        self._hook(f"b:{bar.symbol}:{bar.interval}:{bar.open_time}", self.strategy.on_bar, bar)

    def tick(self, tick: Quote | Trade) -> None:
        self._hook(f"q:{tick.symbol}:{tick.time}:{self.ctx._seq}", self.strategy.on_tick, tick)

    def fill(self, fill: Fill) -> bool:
        """Dispatch ``fill`` once (False when it was seen before): position, ``on_fill``, then one commit."""
        ctx = self.ctx
        if ctx.store.has_fill(fill):
            return False
        rules = ctx.rules(fill.symbol)
        ctx.positions_book.apply(fill, rules.base, rules.quote)
        self._hook(f"f:{fill.symbol}:{fill.trade_id}:{fill.order_id}", self.strategy.on_fill, fill, record=fill)
        self.check_loss()
        return True

    def timers(self, now_ms: int) -> None:
        ctx = self.ctx
        for timer, slot in ctx.scheduler.due(now_ms):
            if self.stopped:
                return
            self._hook(f"t:{timer.name}:{slot}", timer.fn, done=(timer, slot))

    def drain(self) -> None:
        """Fills learnt from order answers during a hook, dispatched after it (never re-entrantly)."""
        while self.ctx.pending_fills:
            self.fill(self.ctx.pending_fills.pop(0))

    def check_loss(self) -> None:
        ctx = self.ctx
        if ctx.kill_switch.limits.max_loss is None or self.stopped:
            return
        pnl = Decimal(0)
        for symbol, pos in ctx.positions_book.all().items():
            pnl += pos.realized + (pos.unrealized(ctx.price(symbol)) if pos.qty else 0)
        try:
            ctx.kill_switch.check_loss(pnl)
        except KillSwitchTripped as exc:
            self._stop(str(exc))

    # -- internals -------------------------------------------------------------------------------
    def _hook(self, cause: str, fn, *args, record: Fill | None = None, done=None) -> None:
        ctx = self.ctx
        if self.stopped:
            if record is not None:  # a stopping bot still books its fills (position, store), without hooks
                self._commit(record)
            return
        ctx._cause, ctx._seq = cause, 0
        try:
            fn(ctx, *args)
            self.errors = 0
        except KillSwitchTripped as exc:
            self._stop(str(exc))
        except OrderError as exc:
            ctx.log.error("order rejected (%s %s) in %s", exc.code, exc.msg, cause)
            if self.strategy.on_reject == "stop":
                self._stop(f"order rejected: {exc.code} {exc.msg}")
            else:
                self._count_error()
        except Exception as exc:
            ctx.log.error("the strategy raised %s in %s: %s\n%s", type(exc).__name__, cause, exc,
                          user_traceback(exc))
            self._count_error()
        if ctx.stop_requested:
            self._stop(ctx.stop_requested)
        # the event is consumed either way: a failing slot or fill is not retried (no spinning)
        if done is not None:
            ctx.scheduler.mark_done(*done)
        self._commit(record)
        self.drain()

    def _count_error(self) -> None:
        self.errors += 1
        if self.errors >= MAX_CONSECUTIVE_ERRORS:
            self._stop(f"{self.errors} failing hooks in a row")

    def _stop(self, reason: str) -> None:
        if not self.stopped:
            self.stopped = reason
            self.ctx.log.error("stopping: %s", reason)

    def _commit(self, fill: Fill | None = None) -> None:
        """One transaction with the fill (if any) and whatever of state, positions and schedule changed; nothing
        when nothing changed (most market ticks), so a quiet hook costs no disk write."""
        ctx = self.ctx
        changed = {}
        for key, value in (("state", ctx.state), ("positions", ctx.positions_book.to_json()),
                           ("timers", ctx.scheduler.to_json())):
            text = json.dumps(value, default=str, sort_keys=True)
            if self._written.get(key) != text:
                changed[key] = (value, text)
        if fill is None and not changed:
            return
        with ctx.store.transaction():
            if fill is not None:
                ctx.store.record_fill(fill)
            for key, (value, _) in changed.items():
                ctx.store.put(key, value)
        self._written.update({key: text for key, (_, text) in changed.items()})
