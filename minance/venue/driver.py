"""The live market: every tick, the market maker re-quotes its ladder around the replayed price and a small
"tape" taker prints a trade towards it, so the last price follows the replay and stop orders trigger when
the replay crosses them.

Both are ordinary accounts trading through the engine (their commands are journalled like anyone's); they
skip HTTP, keys and rate limits. Trades and orders are stamped with wall time; only the reference price
comes from the market clock (real time, N× speed, or stepped by tests).
"""

from __future__ import annotations

import asyncio
import logging
from decimal import ROUND_CEILING, Decimal

from minance.domain.clock import Clock
from minance.domain.orders import UNITS_PER_ONE
from minance.engine import CancelOrder, Deposit, NewOrder
from minance.market.feed import Feed
from minance.market.maker import BUY, SELL, MakerParams, RestingOrder, diff, ladder
from minance.market.symbols import SymbolSpec
from minance.venue.venue import Venue

log = logging.getLogger("minance.market")

MAKER_ACCOUNT = "minance-maker"
TAPE_ACCOUNT = "minance-tape"
# Inventory of the system accounts: deep enough that they never run dry (conservation still holds:
# these are deposits like any other).
SYSTEM_FUNDING = {"USDT": Decimal("10000000000"), "BTC": Decimal("1000000"), "ETH": Decimal("10000000"),
                  "BNB": Decimal("10000000"), "SOL": Decimal("10000000")}


class MarketDriver:
    def __init__(self, venue: Venue, feed: Feed, market_clock: Clock, wall_clock: Clock, *,
                 maker_id: int, tape_id: int, specs: dict[str, SymbolSpec],
                 params: MakerParams | None = None, tick_s: float = 1.0) -> None:
        self.venue = venue
        self.feed = feed
        self.market_clock = market_clock
        self.wall_clock = wall_clock
        self.maker_id = maker_id
        self.tape_id = tape_id
        self.specs = specs
        self.params = params or MakerParams()
        self.tick_s = tick_s
        self._task: asyncio.Task | None = None
        self.ticks = 0

    def fund_system_accounts(self) -> None:
        """First start only: the maker and the tape get their inventory (journalled deposits)."""
        engine = self.venue.engine
        ts = self.wall_clock.now_ms()
        for account_id in (self.maker_id, self.tape_id):
            for asset, amount in SYSTEM_FUNDING.items():
                if engine.balance_units(account_id, asset) == (0, 0):
                    self.venue.submit_nowait(Deposit(account_id, asset, amount, ts))

    def quoting(self) -> bool:
        """True when the maker already has orders on every symbol (e.g. restored after a restart)."""
        engine = self.venue.engine
        return all(engine.open_orders(self.maker_id, symbol) for symbol in self.specs)

    def tick(self) -> None:
        market_ms = self.market_clock.now_ms()
        ts = self.wall_clock.now_ms()
        for spec in self.specs.values():
            try:
                self._tick_symbol(spec, self.feed.price_at(spec.symbol, market_ms), ts)
            except Exception:  # one symbol's trouble must not stop the market
                log.exception("market tick failed for %s", spec.symbol)
        self.ticks += 1

    def _tick_symbol(self, spec: SymbolSpec, ref: Decimal, ts: int) -> None:
        engine, venue, symbol = self.venue.engine, self.venue, spec.symbol
        resting = [RestingOrder(v.order_id, v.side.value, _dec(v.price_u), _dec(v.orig_qty_u - v.executed_qty_u))
                   for v in engine.open_orders(self.maker_id, symbol)]
        cancels, places = diff(resting, ladder(ref, spec, self.params))
        for order in cancels:
            venue.submit_nowait(CancelOrder(self.maker_id, symbol, ts, order_id=order.order_id))
        for quote in places:
            venue.submit_nowait(NewOrder(self.maker_id, symbol, quote.side, "LIMIT", ts, quantity=quote.qty,
                                         price=quote.price, time_in_force="GTC", stp_mode="EXPIRE_TAKER",
                                         response_type="ACK"))
        last = engine.last_price(symbol)
        side = BUY if last is None or last <= ref else SELL
        venue.submit_nowait(NewOrder(self.tape_id, symbol, side, "MARKET", ts, quantity=_tape_qty(spec, ref),
                                     stp_mode="NONE", response_type="ACK"))

    # -- pacing --------------------------------------------------------------------------------
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


def _dec(units: int) -> Decimal:
    return Decimal(units) / UNITS_PER_ONE


def _tape_qty(spec: SymbolSpec, ref: Decimal) -> Decimal:
    """The smallest quantity that clears LOT_SIZE and NOTIONAL with a margin."""
    by_notional = (spec.min_notional * 2 / ref).quantize(spec.step_size, rounding=ROUND_CEILING)
    return max(spec.min_qty, by_notional)
