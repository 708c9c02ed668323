"""The live market: each tick moves every symbol's reference price along the replayed path, in one engine
command per symbol (``MarketMove``), against a virtual maker ladder (``SetLiquidity``; engine/market.py).

The ladder is derived from the reference price inside the engine, so moving the market costs O(1) engine work
per price point however deep the book looks; resting user orders that the path reaches fill at their limit,
stops and trailing stops see every point, and takers walk the ladder with realistic slippage. The commands are
journalled like anyone's; the liquidity account (``minance-maker``) is an ordinary, well-funded account.

**The path of a tick** from market time ``t0`` to ``t1``: inside a minute, the feed's intra-minute path
(its vertices after ``t0``, then its value at ``t1``); every whole minute in between as the four points of
:func:`minance.market.motion.bar_path` (open, nearer extreme, farther extreme, close), the same rule the
backtest uses, so a manual clock stepped minute by minute replays bars exactly as a backtest does.

**Volume.** Each tick prints one tape trade with the feed's base volume for the span (the trade streams show
the market's activity); kline history keeps the feed's own minutes (their volume and trade counts), so the
history continues statistically across the server's start (venue: prints are not local trades).

**Dislocation** (tests, demos): :meth:`MarketDriver.dislocate` shifts one symbol's reference by N bps until a
market time; every point of that symbol's path is scaled while it lasts.

Trades and orders are stamped with wall time; only the reference price comes from the market clock (real time,
N× speed, or stepped by tests).
"""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal

from minance.domain.clock import Clock
from minance.domain.orders import UNITS_PER_ONE
from minance.domain.symbols import SymbolSpec
from minance.engine import CancelOpenOrders, Deposit, MarketMove, SetLiquidity
from minance.market.feed import Feed
from minance.market.intervals import MINUTE_MS
from minance.market.maker import MakerParams
from minance.market.motion import bar_path
from minance.venue.venue import Venue

__all__ = ["MAKER_ACCOUNT", "SYSTEM_FUNDING", "TAPE_ACCOUNT", "MarketDriver", "tick_path"]

log = logging.getLogger("minance.market")

MAKER_ACCOUNT = "minance-maker"
TAPE_ACCOUNT = "minance-tape"
# Inventory of the system accounts: deep enough that they never run dry (conservation still holds:
# these are deposits like any other).
SYSTEM_FUNDING = {"USDT": Decimal("10000000000"), "BTC": Decimal("1000000"), "ETH": Decimal("10000000"),
                  "BNB": Decimal("10000000"), "SOL": Decimal("10000000"), "LTC": Decimal("10000000")}
_FIRST_NOTIONAL = {"BTC": Decimal("0.1")}  # ladder size at the touch in quote, as the maker quoted it
_BPS = 10_000


def tick_path(feed, symbol: str, t0_ms: int | None, t1_ms: int) -> tuple[list[int], int]:
    """(price points in ticks, base volume in steps) of the market's motion over (t0, t1] (see the module doc).

    ``feed`` is a bar feed (``minute_bar``/``path_ticks``); ``t0_ms`` None means "just the price at t1".
    """
    if t0_ms is None or t1_ms <= t0_ms:
        return feed.path_ticks(symbol, t1_ms, t1_ms)[-1:], 0
    points: list[int] = []
    volume = 0
    t = t0_ms
    if t % MINUTE_MS:  # the rest of the current minute (or part of it)
        end = min(t1_ms, (t // MINUTE_MS + 1) * MINUTE_MS)
        points += feed.path_ticks(symbol, t, end)
        volume += _part(feed.minute_bar(symbol, t // MINUTE_MS).v, t % MINUTE_MS, end - t)
        t = end
    minute_bar = feed.minute_bar
    while t + MINUTE_MS <= t1_ms:  # whole minutes: the documented four-point rule
        b = minute_bar(symbol, t // MINUTE_MS)
        points += bar_path(b.o, b.h, b.l, b.c)
        volume += b.v
        t += MINUTE_MS
    if t < t1_ms:
        points += feed.path_ticks(symbol, t, t1_ms)
        volume += _part(feed.minute_bar(symbol, t // MINUTE_MS).v, 0, t1_ms - t)
    elif t1_ms % MINUTE_MS == 0:  # at a boundary: the next minute opens
        points.append(minute_bar(symbol, t1_ms // MINUTE_MS).o)
    return points, volume


def _part(volume: int, _start: int, length: int) -> int:
    return volume * length // MINUTE_MS


class MarketDriver:
    def __init__(self, venue: Venue, feed: Feed, market_clock: Clock, wall_clock: Clock, *,
                 maker_id: int, tape_id: int, specs: dict[str, SymbolSpec],
                 params: MakerParams | None = None, tick_s: float = 1.0) -> None:
        self.venue = venue
        self.feed = feed
        self.market_clock = market_clock
        self.wall_clock = wall_clock
        self.maker_id = maker_id
        self.tape_id = tape_id  # kept for data dirs made before the virtual ladder; no longer trades
        self.specs = specs
        self.params = params or MakerParams()
        self.tick_s = tick_s
        self._task: asyncio.Task | None = None
        self._last_ms: int | None = None
        self._offsets: dict[str, tuple[int, int | None]] = {}  # symbol → (bps, until market ms or None)
        self.ticks = 0

    def fund_system_accounts(self) -> None:
        """First start only: the maker and the tape get their inventory (journalled deposits)."""
        engine = self.venue.engine
        ts = self.wall_clock.now_ms()
        funding = dict(SYSTEM_FUNDING)
        for spec in self.specs.values():  # a symbol added later brings its assets (deep, like the others)
            for asset in (spec.base, spec.quote):
                funding.setdefault(asset, Decimal("10000000"))
        for account_id in (self.maker_id, self.tape_id):
            for asset, amount in funding.items():
                if engine.balance_units(account_id, asset) == (0, 0):
                    self.venue.submit_nowait(Deposit(account_id, asset, amount, ts))

    def quoting(self) -> bool:
        """True when every symbol already has its virtual ladder (e.g. restored after a restart)."""
        engine = self.venue.engine
        return all(engine.virtual_ref(symbol) for symbol in self.specs if symbol in engine.symbols)

    # -- dislocation hook (``minance market dislocate``) ------------------------------------------------
    def dislocate(self, symbol: str, bps: int, until_ms: int | None = None) -> None:
        """Shift ``symbol``'s reference price by ``bps`` (signed) until market time ``until_ms`` (None: until
        :meth:`restore` or another call); takes effect at the next tick."""
        if symbol not in self.specs:
            raise KeyError(symbol)
        self._offsets[symbol] = (int(bps), until_ms)

    def restore(self, symbol: str) -> None:
        self._offsets.pop(symbol, None)

    def offset_bps(self, symbol: str, market_ms: int) -> int:
        entry = self._offsets.get(symbol)
        if entry is None:
            return 0
        bps, until = entry
        if until is not None and market_ms >= until:
            del self._offsets[symbol]
            return 0
        return bps

    # -- ticks ------------------------------------------------------------------------------------------
    def tick(self) -> None:
        market_ms = self.market_clock.now_ms()
        ts = self.wall_clock.now_ms()
        listed = self.venue.engine.symbols
        for spec in self.specs.values():
            if spec.symbol not in listed:  # a data dir made before the symbol existed: its engine lacks it
                continue
            try:
                self._tick_symbol(spec, market_ms, ts)
            except Exception:  # one symbol's trouble must not stop the market
                log.exception("market tick failed for %s", spec.symbol)
        self._last_ms = market_ms
        self.ticks += 1

    def _source(self, symbol: str):
        source = getattr(self.feed, "source", None)
        return source(symbol) if source is not None else self.feed

    def _tick_symbol(self, spec: SymbolSpec, market_ms: int, ts: int) -> None:
        engine, venue, symbol = self.venue.engine, self.venue, spec.symbol
        if not engine.virtual_ref(symbol):
            self._install(spec, ts)
        ticks, steps = tick_path(self._source(symbol), symbol, self._last_ms, market_ms)
        tick_u = int(spec.tick_size * UNITS_PER_ONE)
        bps = self.offset_bps(symbol, market_ms)
        if bps:
            path = tuple(max(tick_u, t * tick_u * (_BPS + bps) // _BPS // tick_u * tick_u) for t in ticks)
        else:
            path = tuple(t * tick_u for t in ticks)
        qty = steps * spec.step_size
        venue.submit_nowait(MarketMove(symbol, ts, path, print_qty=qty if qty > 0 else None))

    def _install(self, spec: SymbolSpec, ts: int) -> None:
        """First tick of a symbol: the virtual ladder replaces the maker's real orders (older data dirs)."""
        engine, symbol = self.venue.engine, spec.symbol
        if engine.open_orders(self.maker_id, symbol):
            self.venue.submit_nowait(CancelOpenOrders(self.maker_id, symbol, ts))
        p = self.params
        first = p.first_notional or _FIRST_NOTIONAL.get(spec.quote, Decimal(10000))
        self.venue.submit_nowait(SetLiquidity(
            symbol, self.maker_id, ts, spread_bps=int(p.spread_bps), spacing_bps=int(p.spacing_bps),
            levels=p.levels, first_notional=first, growth_permille=int(p.growth * 1000)))

    # -- pacing -----------------------------------------------------------------------------------------
    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="minance-market")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def _run(self) -> None:
        while True:
            self.tick()
            await asyncio.sleep(self.tick_s)
