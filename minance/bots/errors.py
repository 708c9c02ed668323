"""What goes wrong in a bot, as exceptions a strategy or the runner can act on."""

from __future__ import annotations

__all__ = ["BotError", "KillSwitchTripped", "OrderError", "ParamError", "StrategyError", "StrategyLoadError"]


class BotError(Exception):
    """A problem with the bot's setup (bad input): the runner prints it as one line and exits 2."""


class ParamError(BotError):
    """A ``--param`` the strategy does not declare, or whose value does not fit the declared type."""


class StrategyLoadError(BotError):
    """The strategy could not be found or imported; ``detail`` holds the user's own traceback frames."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class StrategyError(BotError):
    """The strategy's code raised; ``detail`` is the traceback restricted to the user's frames."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class OrderError(Exception):
    """The exchange (or the venue's own checks) refused an order: Binance's ``code`` and ``msg``.

    Raised into the strategy by ``ctx.buy``/``ctx.sell``/...; a strategy that does not catch it has the rejection
    logged with its code, and the bot carries on or stops per ``Strategy.on_reject``.
    """

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(f"{code}: {msg}")
        self.code, self.msg = code, msg


class KillSwitchTripped(Exception):
    """A safety limit (max loss, max orders per minute, max position) was hit: the bot stops."""
