"""How a bar is walked: the intrabar path rule shared by the exchange's replay and the backtest.

A kline only says open, high, low and close; the order in which the high and the low were reached is unknown.
Both the local exchange (``minance serve --klines``, the market driver) and the backtest replay a bar as four
points ``open → first extreme → second extreme → close`` chosen by one rule, so that the same bars produce the
same fills on both (the parity test).

**Rule: the extreme nearer the open comes first** (O→H→L→C when ``high − open < open − low``, else O→L→H→C;
a tie goes low first on an up bar and high first on a down bar). Why: for a random walk started at the open, the
nearer of two barriers is the more likely to be hit first, so this is the most probable order given only the
bar; it is also the rule that gets the classic "stop and take-profit inside one bar" case right most often.
It is not pessimistic: the backtest's ``--fill-model pessimistic`` overrides it on the bars where the order
matters for the account (a stop and a take-profit both inside the bar) and reports them.
"""

from __future__ import annotations

__all__ = ["bar_path", "high_first"]


def high_first(o: int, h: int, low: int, c: int) -> bool:
    """Whether the bar is walked O→H→L→C under the nearer-extreme rule."""
    up, down = h - o, o - low
    if up != down:
        return up < down
    return c < o


def bar_path(o: int, h: int, low: int, c: int) -> tuple[int, int, int, int]:
    """The bar's four points under the nearer-extreme rule (any numeric type)."""
    return (o, h, low, c) if high_first(o, h, low, c) else (o, low, h, c)
