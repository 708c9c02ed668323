"""Time-weighted return: the period is cut at every deposit and withdrawal, each piece's return is measured
without the flow, and the pieces are chained — so adding money is not counted as performance. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from minance.portfolio.ledger import CashFlow

__all__ = ["time_weighted_return"]


def time_weighted_return(start_equity: Decimal | None, flows: Iterable[CashFlow], end_equity: Decimal,
                         start_ms: int | None = None) -> Decimal | None:
    """TWR from ``start_ms`` (equity ``start_equity`` then; None or 0 when nothing was held) to now, as a
    fraction (0.05 = +5 %). None when a flow could not be valued or no capital was ever in the portfolio."""
    growth = Decimal(1)
    base = start_equity or Decimal(0)
    invested = base > 0
    for flow in sorted(flows, key=lambda f: f.time):
        if start_ms is not None and flow.time < start_ms:
            continue
        if flow.value is None or flow.equity_before is None:
            return None
        if base > 0:
            growth *= flow.equity_before / base
        base = flow.equity_before + flow.value
        invested = invested or base > 0
    if not invested or base <= 0:
        return None
    growth *= end_equity / base
    return growth - 1
