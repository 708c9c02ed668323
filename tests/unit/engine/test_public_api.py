"""The engine's deliberate public surface and its purity."""

import ast
from pathlib import Path

import minance.engine
from minance.domain import orders

ENGINE_API = {
    "AggTrade", "BalanceDelta", "BalanceUpdate", "BookDelta", "BookTicker", "CancelAllReply", "CancelOpenOrders",
    "CancelOrder", "CancelOrderList", "CancelReplace", "CancelReplaceReply", "CancelReply", "Command", "Deposit",
    "Depth", "Event", "Exchange", "FEE_ACCOUNT_ID", "Fill", "ListReply", "ListStatus", "MyTrade", "NewOco",
    "NewOrder", "NewOto", "NewOtoco", "OrderLeg", "OrderListView", "OrderReply", "OrderUpdate", "OrderView",
    "MarketMove", "PreventedMatch", "Result", "SetCommission", "SetLiquidity", "SymbolRules", "Trade", "Withdraw",
    "check_invariants", "legacy_oco", "precision_error",
}


def test_engine_all_is_pinned():
    assert set(minance.engine.__all__) == ENGINE_API
    assert all(hasattr(minance.engine, name) for name in ENGINE_API)


def test_domain_orders_all_resolves():
    assert all(hasattr(orders, name) for name in orders.__all__)


def test_engine_imports_nothing_impure():
    banned = {"asyncio", "threading", "time", "datetime", "random", "sqlite3", "socket", "minance.server",
              "minance.store", "minance.client", "httpx", "uvicorn"}
    root = Path(minance.engine.__file__).parent
    for path in [*root.glob("*.py"), Path(orders.__file__)]:
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert not any(name == b or name.startswith(b + ".") for b in banned), (path.name, name)
