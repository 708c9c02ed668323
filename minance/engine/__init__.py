"""The pure matching engine and ledger: ``Exchange.handle(command) -> Result``.

No I/O, no clock, no randomness: commands carry their time, ids come from counters, and replaying the same
commands from the same state gives the same state and events. Amounts inside are integers in units of
1e-8 (see :mod:`minance.domain.orders`); commands take Decimals and views give both.
"""

from minance.domain.orders import Fill, MyTrade, OrderListView, OrderView, PreventedMatch, Trade
from minance.engine.commands import (
    CancelOpenOrders,
    CancelOrder,
    CancelOrderList,
    CancelReplace,
    Command,
    Deposit,
    MarketMove,
    NewOco,
    NewOrder,
    NewOto,
    NewOtoco,
    OrderLeg,
    SetCommission,
    SetLiquidity,
    Withdraw,
    legacy_oco,
)
from minance.engine.events import (
    BalanceDelta,
    BalanceUpdate,
    BookDelta,
    CancelAllReply,
    CancelReplaceReply,
    CancelReply,
    Event,
    ListReply,
    ListStatus,
    OrderReply,
    OrderUpdate,
    Result,
)
from minance.engine.exchange import FEE_ACCOUNT_ID, Exchange
from minance.engine.invariants import check_invariants
from minance.engine.queries import AggTrade, BookTicker, Depth
from minance.engine.rules import SymbolRules, precision_error

__all__ = [
    "FEE_ACCOUNT_ID",
    "AggTrade",
    "BalanceDelta",
    "BalanceUpdate",
    "BookDelta",
    "BookTicker",
    "CancelAllReply",
    "CancelOpenOrders",
    "CancelOrder",
    "CancelOrderList",
    "CancelReplace",
    "CancelReplaceReply",
    "CancelReply",
    "Command",
    "Deposit",
    "Depth",
    "Event",
    "Exchange",
    "Fill",
    "ListReply",
    "ListStatus",
    "MarketMove",
    "MyTrade",
    "NewOco",
    "NewOrder",
    "NewOto",
    "NewOtoco",
    "OrderLeg",
    "OrderListView",
    "OrderReply",
    "OrderUpdate",
    "OrderView",
    "PreventedMatch",
    "Result",
    "SetCommission",
    "SetLiquidity",
    "SymbolRules",
    "Trade",
    "Withdraw",
    "check_invariants",
    "legacy_oco",
    "precision_error",
]
