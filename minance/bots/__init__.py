"""Bots: one Strategy API for the local exchange, Binance's testnet, Binance itself and backtests.

The contract (stable; venues implement the context, strategies use only this package's public names):

* A **strategy** subclasses :class:`Strategy`, declares parameters as class attributes
  ``quote = Param(Decimal, "25", "quote per buy")`` (types: str, int, Decimal, bool, Duration, Symbols; read as
  ``self.quote``) and overrides any of five hooks, each given the context ``ctx``:
  ``on_start(ctx)``, ``on_bar(ctx, bar)`` (closed klines of ``interval``, at their close), ``on_tick(ctx, tick)``
  (``ticks = "bookTicker"`` → :class:`Quote`, ``"trade"`` → :class:`Trade`), ``on_fill(ctx, fill)`` (once per
  execution, also across restarts) and ``on_stop(ctx)``. ``symbols()`` names the markets it needs (default: its
  ``symbol`` param); ``validate(ctx)`` may refuse to start (raise :class:`ParamError`).
* The **context** (:class:`Context`) is the strategy's only handle:
  market data ``bars(n)``/``closes(n)`` (ending at now), ``quote(symbol)``, ``price(symbol)``; account
  ``balances()``, ``balance(asset)``, ``position(symbol)`` (own fills, average cost), ``equity(asset)``; orders
  ``buy``/``sell`` (qty or quote; market, or limit at ``price`` with GTC/IOC/FOK), ``stop_loss``,
  ``take_profit``, ``trailing_stop`` (``trailingDelta`` BIPS), ``oco``, ``oto``, ``otoco``, ``batch`` (legs),
  ``submit(OrderRequest)``, ``cancel``, ``cancel_all``, ``open_orders``; rules ``rules(symbol)``
  (:class:`SymbolRules`: tick, step, min notional, ``round_price``/``round_qty``), ``commission(symbol)``; timers
  ``every("1d", fn)``, ``at(ms, fn)``; ``state`` (a JSON dict, persisted), ``log``, ``now()``, ``params``.
  Rejections raise :class:`OrderError` (Binance's code and msg).
* **Records** are frozen dataclasses with ``Decimal`` amounts and the domain's enums: :class:`Bar`,
  :class:`Quote`, :class:`Trade`, :class:`Balance`, :class:`Order`, :class:`Fill`, :class:`Position`.
* **A venue** subclasses :class:`Context` and implements its primitives (``now``, ``bars``, ``quote``,
  ``balances``, ``rules``, ``commission``, ``open_orders``, ``_send``, ``_send_list``, ``_cancel``,
  ``_cancel_list``, optionally ``_lookup``), then drives a :class:`BotCore` with ``start()``, ``bar(b)``,
  ``tick(q)``, ``fill(f)``, ``timers(now)`` and ``stop()``. Shared pieces: :mod:`~minance.bots.rules`
  (rounding), :mod:`~minance.bots.positions` (average cost), :mod:`~minance.bots.timers` (slots on the
  venue's clock), :mod:`~minance.bots.orders` (requests), :mod:`~minance.bots.store` (SQLite or in-memory).
* **Run**: ``minance.bots.run(MyStrategy, venue="local", profile="P", params={...})`` or
  ``minance bot run FILE --profile P --param k=v``.
"""

from __future__ import annotations

from typing import Any

from minance.bots.context import Context
from minance.bots.core import BotCore
from minance.bots.errors import BotError, KillSwitchTripped, OrderError, ParamError, StrategyError
from minance.bots.orders import ListKind, ListRequest, OrderRequest
from minance.bots.params import REQUIRED, Duration, Param, Symbols
from minance.bots.records import Balance, Bar, Fill, Order, Position, Quote, Trade
from minance.bots.rules import Commission, SymbolRules
from minance.bots.safety import Limits
from minance.bots.store import BotStore
from minance.bots.strategy import Strategy
from minance.domain.orders import OrderStatus, OrderType, Side, TimeInForce

__all__ = [
    "REQUIRED",
    "Balance",
    "Bar",
    "BotCore",
    "BotError",
    "BotStore",
    "Commission",
    "Context",
    "Duration",
    "Fill",
    "KillSwitchTripped",
    "Limits",
    "ListKind",
    "ListRequest",
    "Order",
    "OrderError",
    "OrderRequest",
    "OrderStatus",
    "OrderType",
    "Param",
    "ParamError",
    "Position",
    "Quote",
    "Side",
    "Strategy",
    "StrategyError",
    "SymbolRules",
    "Symbols",
    "TimeInForce",
    "Trade",
    "run",
]


def run(strategy: Any, venue: str = "local", **options: Any) -> Any:
    """Run ``strategy`` (a class, built-in name or file) on ``venue`` (``local``, ``testnet``, ``live``, a URL, or
    ``backtest``). Live venues take ``profile=`` (a vault profile name or a Profile), ``params=``, ``name=``,
    ``state_dir=``, ``dry_run=``, ``limits=``, ``stop_after=`` (seconds); see :func:`minance.bots.runner.run`."""
    from minance.bots.runner import run as _run

    return _run(strategy, venue=venue, **options)
