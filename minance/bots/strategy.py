"""The :class:`Strategy` base class: declared parameters and five optional hooks.

A strategy never reaches the exchange, the SDK or the server: every hook receives the :class:`~minance.bots.
context.Context`, its only handle on the world. The same class runs on every venue (local exchange, testnet,
Binance, backtest).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from minance.bots.errors import ParamError
from minance.bots.params import Param

if TYPE_CHECKING:
    from minance.bots.context import Context
    from minance.bots.records import Bar, Fill, Quote, Trade

__all__ = ["Strategy"]


class Strategy:
    """Subclass it; override only the hooks you need.

    Class attributes a strategy may set:

    * ``interval`` — the kline interval ``on_bar`` receives (``"1m"`` by default; ``None``: no bars);
    * ``ticks`` — ``"bookTicker"`` or ``"trade"`` to receive ``on_tick`` events (default ``None``);
    * ``history`` — how many closed bars ``ctx.bars``/``ctx.closes`` keep (default 500);
    * ``on_reject`` — ``"continue"`` (default) or ``"stop"`` when an order rejection escapes a hook;
    * ``durable_intents`` — ``True`` (default): each order's intent is synced to disk before it is sent;
    * ``Param`` attributes — the declared parameters, read as ``self.name``.
    """

    interval: ClassVar[str | None] = "1m"
    ticks: ClassVar[str | None] = None
    history: ClassVar[int] = 500
    on_reject: ClassVar[str] = "continue"
    durable_intents: ClassVar[bool] = True  # fsync each order's intent before sending (power-cut safe); a
    # latency-bound strategy may trade that for speed: kill -9 safety holds either way
    name: ClassVar[str] = ""  # a display name; the runner defaults it to the module or class name

    _param_values: dict[str, Any]

    def __init__(self, **params: Any) -> None:
        self._param_values = self.parse_params(params)

    # -- parameters ------------------------------------------------------------------------------
    @classmethod
    def declared(cls) -> dict[str, Param]:
        """Every ``Param`` of the class and its bases, by name (a subclass overrides a base's)."""
        out: dict[str, Param] = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, Param):
                    out[name] = value
        return out

    @classmethod
    def parse_params(cls, raw: dict[str, Any]) -> dict[str, Any]:
        """Typed values for ``raw`` (command-line strings or Python values), defaults filled in.
        Raises :class:`ParamError` naming an unknown or missing parameter or a value that does not parse."""
        declared = cls.declared()
        unknown = sorted(set(raw) - set(declared))
        if unknown:
            known = ", ".join(sorted(declared)) or "none"
            raise ParamError(f"unknown parameter {unknown[0]!r} for this strategy (it takes: {known})")
        values: dict[str, Any] = {}
        for name, param in declared.items():
            if name in raw:
                values[name] = param.parse(raw[name])
            elif param.required:
                raise ParamError(f"missing --param {name}=<{param.type_name}>" + (f": {param.help}"
                                                                                   if param.help else ""))
            else:
                values[name] = param.parse(param.default)
        return values

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._param_values)

    def symbols(self) -> list[str]:
        """The symbols whose market data the strategy needs: by default its ``symbol`` parameter."""
        value = self._param_values.get("symbol")
        return [str(value).upper()] if value else []

    def validate(self, ctx: Context) -> None:
        """Checks against the exchange before anything is sent (symbols listed, budgets above min notional).
        Raise :class:`~minance.bots.errors.ParamError` to refuse to start. Runs before ``on_start``."""

    # -- hooks -----------------------------------------------------------------------------------
    def on_start(self, ctx: Context) -> None:
        """Once, when the bot starts (also after a restart: the persisted ``ctx.state`` is back)."""

    def on_bar(self, ctx: Context, bar: Bar) -> None:
        """At the close of each bar of ``interval`` on each of ``symbols()``."""

    def on_tick(self, ctx: Context, tick: Quote | Trade) -> None:
        """On each bookTicker (a :class:`Quote`) or trade, when ``ticks`` asks for them."""

    def on_fill(self, ctx: Context, fill: Fill) -> None:
        """On each execution of one of the bot's orders (exactly once per trade, also across restarts)."""

    def on_stop(self, ctx: Context) -> None:
        """Once, when the bot stops cleanly (Ctrl-C, ``minance bot stop``, a kill switch)."""
