"""Portfolio tracking: balances valued in a quote asset with multi-hop routing (:mod:`.valuation`), cost basis
and PnL from the account's trades (:mod:`.ledger`), time-weighted return (:mod:`.returns`), the report
(:mod:`.report`), local snapshots (:mod:`.snapshots`) and a PNG (:mod:`.plot`). ``minance portfolio`` is the CLI.
"""

from minance.portfolio.ledger import CashFlow, CostMethod, Fill, Ledger, Position, Transfer
from minance.portfolio.report import AssetRow, Report, build_report
from minance.portfolio.returns import time_weighted_return
from minance.portfolio.snapshots import Snapshot, SnapshotStore, snapshot_dir
from minance.portfolio.valuation import (
    AssetValue,
    Leg,
    Pair,
    PairGraph,
    UnknownAsset,
    Valuation,
    route_price,
    value_balances,
)

__all__ = [
    "AssetRow",
    "AssetValue",
    "CashFlow",
    "CostMethod",
    "Fill",
    "Ledger",
    "Leg",
    "Pair",
    "PairGraph",
    "Position",
    "Report",
    "Snapshot",
    "SnapshotStore",
    "Transfer",
    "UnknownAsset",
    "Valuation",
    "build_report",
    "route_price",
    "snapshot_dir",
    "time_weighted_return",
    "value_balances",
]
