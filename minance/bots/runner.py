"""The runner: loads a strategy, checks its parameters and the key, resumes the bot's state, runs the event loop
on a live venue, and stops cleanly.

Safety rules (before anything is sent): parameters are validated against the strategy's declarations; a
``read`` profile, or a key whose audit shows withdrawals enabled, is refused; ``strategy.validate`` checks the
symbols and budgets against the exchange's rules. On start the bot reconciles with the exchange: orders whose
answer it never recorded are looked up by client order id, and fills it missed are dispatched once.
"""

from __future__ import annotations

import fcntl
import logging
import os
import queue
import signal
import sys
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from minance.bots.context import Context
from minance.bots.core import BotCore
from minance.bots.errors import BotError, KillSwitchTripped, OrderError, ParamError
from minance.bots.loader import load_strategy
from minance.bots.records import Bar, Fill, Quote, Trade
from minance.bots.safety import Limits
from minance.bots.store import INTENT, BotStore
from minance.bots.strategy import Strategy
from minance.domain.errors import Err
from minance.domain.orders import Side

__all__ = ["BOTS_ENV", "RunResult", "Runner", "bots_home", "run", "state_file"]

BOTS_ENV = "MINANCE_BOTS"
STATE_FILE = "bot.db"
LOCK_FILE = "bot.lock"
POLL_S = 0.2  # how often the loop looks at the stop flag and timers when no event comes


def bots_home(env: dict[str, str] | None = None) -> Path:
    """``$MINANCE_BOTS``, else ``minance/bots`` in the user's data dir (XDG)."""
    env = dict(os.environ) if env is None else env
    if env.get(BOTS_ENV):
        return Path(env[BOTS_ENV]).expanduser()
    base = Path(env.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "minance" / "bots"


def state_file(name: str, state_dir: str | Path | None = None) -> Path:
    return (Path(state_dir).expanduser() if state_dir else bots_home() / name) / STATE_FILE


@dataclass
class RunResult:
    name: str
    reason: str
    orders: list[dict[str, Any]] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    state_path: str = ""


class _StoreLogHandler(logging.Handler):
    """The bot's log lines into its state file (``minance bot logs``) — never secrets: only what the bot says."""

    def __init__(self, store: BotStore) -> None:
        super().__init__()
        self.store = store

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.store.log(record.levelname, self.format(record))
        except Exception:  # noqa: S110 - logging must never break the bot
            pass


class Runner:
    """Runs one bot on a live venue until it is stopped."""

    def __init__(self, strategy: Strategy, ctx: Any, *, streams_factory: Any = None,
                 stop_after_s: float | None = None, until: Any = None, cancel_on_stop: bool = False) -> None:
        self.strategy = strategy
        self.ctx = ctx
        self.core = BotCore(strategy, ctx)
        self.streams_factory = streams_factory
        self.stop_after_s = stop_after_s
        self.until = until
        self.cancel_on_stop = cancel_on_stop
        self._term = False
        self.events_handled = 0

    # -- start-up --------------------------------------------------------------------------------
    def reconcile(self) -> list[Fill]:
        """Settle what a crash left in doubt; returns the missed fills (dispatched after ``on_start``)."""
        ctx, store = self.ctx, self.ctx.store
        for row in store.intents():
            found = ctx._lookup(row["symbol"], row["client_id"])
            if found is None:
                store.record_rejection(row["client_id"], Err.NO_SUCH_ORDER.code,
                                       "not on the exchange after a restart: never placed")
            else:
                store.record_order(found)
                ctx.log.info("restart: adopted order %s (%s) sent before the crash", found.client_order_id,
                             found.status)
        missed: list[Fill] = []
        recorded: dict[tuple[str, int], Decimal] = {}
        for fill in store.fills():
            recorded[(fill.symbol, fill.order_id)] = recorded.get((fill.symbol, fill.order_id), Decimal(0)) + fill.qty
        for row in store.orders(limit=100_000):
            if row["order_id"] is None or row["order_id"] < 0 or row["status"] in (INTENT, "REJECTED"):
                continue
            if row["status"] in ("NEW", "PARTIALLY_FILLED"):
                found = ctx._lookup(row["symbol"], row["client_id"])
                if found is not None:
                    store.record_order(found)
                    row = store.order_row(row["client_id"]) or row
            executed = Decimal(row["executed"] or 0)
            if executed > recorded.get((row["symbol"], row["order_id"]), Decimal(0)):
                missed.extend(self._trades_of(row))
        return missed

    def _trades_of(self, row: dict[str, Any]) -> list[Fill]:
        client = getattr(self.ctx, "client", None)
        if client is None:
            return []
        side = row["side"]
        out = []
        for t in self.ctx._call(client.my_trades, row["symbol"], order_id=row["order_id"]):
            out.append(Fill(row["symbol"], t.order_id, row["client_id"], t.id, Side(side), t.price, t.qty,
                            t.commission, t.commission_asset, t.time, t.is_maker, t.order_list_id))
        return out

    # -- the loop --------------------------------------------------------------------------------
    def run(self) -> str:
        ctx, core = self.ctx, self.core
        ctx.store.put("ready", False)
        missed = self.reconcile()
        core.start()
        for fill in missed:
            core.fill(fill)
        deadline = time.monotonic() + self.stop_after_s if self.stop_after_s else None
        old_term = signal.signal(signal.SIGTERM, self._on_term) if _main_thread() else None
        reason = "stopped"
        last_poll = 0.0
        streams = None
        try:
            streams = self.streams_factory(self) if self.streams_factory else None
            if streams is not None:  # what filled between on_start and the user stream's subscription
                for fill in self.reconcile():
                    core.fill(fill)
            ctx.store.put("ready", True)  # started and listening: tests and supervisors wait for this
            while not core.stopped:
                now_m = time.monotonic()
                if now_m - last_poll >= POLL_S:
                    last_poll = now_m
                    control = ctx.store.get("control") or {}
                    if control.get("stop"):
                        self.cancel_on_stop = self.cancel_on_stop or bool(control.get("cancel"))
                        reason = "stop requested (minance bot stop)"
                        break
                    ctx.store.put("heartbeat", int(time.time() * 1000))
                    if streams is not None and streams.dead():
                        reason = f"stream failed: {streams.dead()}"
                        break
                if self._term:
                    reason = "terminated (SIGTERM)"
                    break
                if deadline is not None and now_m >= deadline:
                    reason = "run time elapsed"
                    break
                if self.until is not None and self.until(ctx):
                    reason = "condition met"
                    break
                due = ctx.scheduler.next_due_ms()
                wait = POLL_S if due is None else max(0.0, min(POLL_S, (due - ctx.now()) / 1000))
                try:
                    event = ctx.events.get(timeout=wait) if wait > 0 else ctx.events.get_nowait()
                except queue.Empty:
                    event = None
                if event is not None:
                    self.handle(event)
                core.timers(ctx.now())
            else:
                reason = core.stopped or reason
        except KeyboardInterrupt:
            reason = "interrupted (Ctrl-C)"
        finally:
            if old_term is not None:
                signal.signal(signal.SIGTERM, old_term)
            if streams is not None:
                streams.close()
            core.stop(reason)
            if self.cancel_on_stop:
                self.cancel_all()
        return reason

    def handle(self, event: Any) -> None:
        self.events_handled += 1
        item = self.ctx.on_stream_event(event)
        if item is None:
            return
        core, strategy = self.core, self.strategy
        if isinstance(item, Fill):
            core.fill(item)
        elif isinstance(item, Quote):
            if strategy.ticks == "bookTicker":
                core.tick(item)
            elif self.ctx.kill_switch.limits.max_loss is not None:
                core.check_loss()
        elif isinstance(item, Bar):
            if item.interval == strategy.interval:
                core.bar(item)
        elif isinstance(item, Trade) and strategy.ticks == "trade":
            core.tick(item)

    def cancel_all(self) -> None:
        ctx = self.ctx
        for symbol in self.strategy.symbols():
            try:
                n = ctx.cancel_all(symbol)
                ctx.log.info("cancelled %d open order(s) on %s", n, symbol)
            except OrderError as exc:
                ctx.log.error("cancelling on %s failed: %s %s", symbol, exc.code, exc.msg)

    def _on_term(self, *_: Any) -> None:
        self._term = True


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


# -- assembling a live bot ------------------------------------------------------------------------------
class _StreamFeed:
    """The streams a strategy needs, pushing events onto the context's queue."""

    def __init__(self, runner: Runner) -> None:
        from minance.client.streams_sync import Streams

        ctx, strategy = runner.ctx, runner.strategy
        client = ctx.client
        self.streams = Streams(client.api_key, signer=client.signer, target=client.target)
        put = ctx.events.put
        symbols = strategy.symbols()
        self.subs = []
        if symbols:
            self.subs.append(self.streams.subscribe_book_ticker(symbols, on_event=put))
            if strategy.interval:
                self.subs.append(self.streams.subscribe([f"{s.lower()}@kline_{strategy.interval}" for s in symbols],
                                                        on_event=put))
            if strategy.ticks == "trade":
                self.subs.append(self.streams.subscribe([f"{s.lower()}@trade" for s in symbols], on_event=put))
        if not ctx.dry_run:
            self.subs.append(self.streams.user_data(symbols, on_event=put))
        for sub in self.subs:
            sub.ready(15)

    def dead(self) -> str | None:
        for sub in self.subs:
            task = getattr(sub.sub, "_task", None)
            if task is not None and task.done():
                return str(getattr(sub.sub, "_error", None) or "closed")
        return None

    def close(self) -> None:
        try:
            self.streams.close()
        except Exception:  # noqa: S110 - shutting down
            pass


def _load_profile(profile: Any) -> Any:
    from minance.vault import Profile, open_backend, split_ref

    if isinstance(profile, Profile):
        return profile
    if not profile:
        raise BotError("which key? give --profile NAME (see 'minance vault list')")
    kind, name = split_ref(str(profile))
    return open_backend(kind).get(name)


def check_key(profile: Any, client: Any) -> None:
    """Refuse a read profile, and a key whose audit finds withdrawals enabled."""
    from minance.audit import audit_profile
    from minance.vault.profile import Use

    if profile.use is Use.READ:
        raise BotError(f"profile {profile.name} is declared --use read: a bot needs a trading profile")
    report = audit_profile(profile, client, int(time.time() * 1000))
    for finding in report.findings:
        if finding.code == "withdrawals-enabled":
            raise BotError(f"refusing to run: {finding.message} on profile {profile.name} ({finding.advice})")
        if finding.code in ("key-rejected", "audit-failed"):
            raise BotError(f"profile {profile.name}: {finding.message}")


def prepare(strategy: Any, params: dict[str, Any] | None) -> Strategy:
    """The strategy instance with validated parameters (nothing touches the exchange)."""
    cls = load_strategy(strategy)
    return cls(**(params or {}))


def open_bot(strategy: Strategy, *, profile: Any, venue: str | None = None, name: str | None = None,
             state_dir: str | Path | None = None, dry_run: bool = False, limits: Limits | None = None,
             echo: bool = False) -> tuple[Context, BotStore, Any]:
    """Key checks, the state file (locked: one process per bot), the live context."""
    prof = _load_profile(profile)
    if venue and venue not in ("local", prof.target) and prof.target != venue:
        from dataclasses import replace

        prof = replace(prof, target=venue)
    client = prof.client()
    if not dry_run:
        check_key(prof, client)
    else:
        from minance.vault.profile import Use

        if prof.use is Use.READ:
            raise BotError(f"profile {prof.name} is declared --use read: a bot needs a trading profile")
    bot_name = name or strategy.name or type(strategy).__name__.lower()
    path = state_file(bot_name + ("-dry" if dry_run and not state_dir else ""), state_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = open(path.parent / LOCK_FILE, "a+")  # held (and locked) for the bot's lifetime
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        raise BotError(f"bot {bot_name} is already running (state {path.parent})") from None
    store = BotStore(path)
    logger = logging.getLogger(f"minance.bot.{bot_name}.{id(store)}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    handler = _StoreLogHandler(store)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    if echo:
        err = logging.StreamHandler(sys.stderr)
        err.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(err)
    from minance.bots.live import LiveContext

    ctx = LiveContext(bot_name, strategy, client, store=store, limits=limits, logger=logger, dry_run=dry_run)
    ctx._lock_file = lock  # type: ignore[attr-defined]
    with store.transaction():
        store.put("control", {})
        store.put("status", {"state": "starting", "pid": os.getpid(), "name": bot_name,
                             "strategy": type(strategy).__name__, "params": {k: str(v) for k, v in
                                                                             strategy.params.items()},
                             "profile": prof.name, "target": str(prof.resolved_target()), "dryRun": dry_run,
                             "started": int(time.time() * 1000)})
    return ctx, store, prof


def run(strategy: Any, venue: str = "local", *, profile: Any = None, params: dict[str, Any] | None = None,
        name: str | None = None, state_dir: str | Path | None = None, dry_run: bool = False,
        limits: Limits | None = None, stop_after: float | None = None, until: Any = None,
        cancel_on_stop: bool = False, echo: bool = False, **backtest: Any) -> Any:
    """Run a strategy until it stops (Ctrl-C, ``minance bot stop``, ``stop_after`` seconds, ``until(ctx)`` true,
    a kill switch). ``venue="backtest"`` hands over to :mod:`minance.backtest`."""
    if venue == "backtest":
        from minance.backtest import run as backtest_run

        return backtest_run(strategy, params=params, **backtest)
    instance = prepare(strategy, params)
    ctx, store, _ = open_bot(instance, profile=profile, venue=venue, name=name, state_dir=state_dir,
                             dry_run=dry_run, limits=limits, echo=echo)
    runner = Runner(instance, ctx, streams_factory=_StreamFeed, stop_after_s=stop_after, until=until,
                    cancel_on_stop=cancel_on_stop)
    status = store.get("status") or {}
    try:
        status["state"] = "running"
        store.put("status", status)
        reason = runner.run()
        status.update(state="stopped", reason=reason, stopped=int(time.time() * 1000))
    except (ParamError, BotError, KillSwitchTripped, OrderError) as exc:
        status.update(state="failed", reason=str(exc), stopped=int(time.time() * 1000))
        store.put("status", status)
        raise _as_bot_error(exc) from None
    finally:
        if status.get("state") != "failed":
            store.put("status", status)
    result = RunResult(ctx.name, reason, store.orders(), store.fills(), dict(ctx.state), str(store.path))
    store.close()
    ctx._lock_file.close()  # type: ignore[attr-defined]
    return result


def _as_bot_error(exc: Exception) -> BotError:
    if isinstance(exc, BotError):
        return exc
    if isinstance(exc, OrderError):
        return BotError(f"the exchange refused: {exc.code} {exc.msg}")
    return BotError(str(exc))
