"""A bot's durable state in one SQLite file: the orders it owns, its fills, its schedule, the strategy's
``state`` and its log, plus the control row that ``minance bot status|stop`` use from another terminal.

Write-ahead rule: an order's intent (client id, cause, request) is committed *before* it is sent; its answer
after. A restarted bot looks up every intent without an answer on the exchange by its client order id, so a
``kill -9`` between the two never causes a second order. Fills are keyed by (symbol, trade id, order id): each
reaches the strategy once, committed together with the state changes ``on_fill`` made.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from minance.bots.records import Fill, Order
from minance.domain.orders import OrderStatus, OrderType, Side

__all__ = ["BotStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (
    client_id TEXT PRIMARY KEY, cause TEXT NOT NULL, symbol TEXT NOT NULL, side TEXT NOT NULL, type TEXT NOT NULL,
    request TEXT NOT NULL, status TEXT NOT NULL, order_id INTEGER, list_id TEXT, executed TEXT, quote TEXT,
    error TEXT, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS orders_status ON orders(status);
CREATE TABLE IF NOT EXISTS fills (
    symbol TEXT NOT NULL, trade_id INTEGER NOT NULL, order_id INTEGER NOT NULL, client_id TEXT NOT NULL,
    side TEXT NOT NULL, price TEXT NOT NULL, qty TEXT NOT NULL, commission TEXT NOT NULL,
    commission_asset TEXT NOT NULL, time INTEGER NOT NULL, is_maker INTEGER NOT NULL,
    PRIMARY KEY (symbol, trade_id, order_id));
CREATE TABLE IF NOT EXISTS logs (id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, level TEXT NOT NULL,
    msg TEXT NOT NULL);
"""
INTENT = "INTENT"  # status of an order sent (or about to be) whose answer is not recorded yet
REJECTED = OrderStatus.REJECTED.value


class BotStore:
    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10)
        self.db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives the bot being killed (-9) at any point; intents are written FULL (see
        # durable()) so an order is never sent before its intent would also survive a power cut
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        self._depth = 0

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def durable(self) -> Iterator[None]:
        """A transaction synced to disk before it returns (``synchronous=FULL``), for order intents."""
        if self._depth:
            with self.transaction():
                yield
            return
        self.db.execute("PRAGMA synchronous=FULL")
        try:
            with self.transaction():
                yield
        finally:
            self.db.execute("PRAGMA synchronous=NORMAL")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Groups writes (nested calls join the outer one)."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")
        finally:
            self._depth = 0

    # -- key/value -------------------------------------------------------------------------------
    def get(self, key: str, default: Any = None) -> Any:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def put(self, key: str, value: Any) -> None:
        self.db.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = "
                        "excluded.value", (key, json.dumps(value, default=str)))

    # -- orders ----------------------------------------------------------------------------------
    def order_row(self, client_id: str) -> dict[str, Any] | None:
        cur = self.db.execute("SELECT * FROM orders WHERE client_id = ?", (client_id,))
        row = cur.fetchone()
        return dict(zip([c[0] for c in cur.description], row)) if row else None

    def record_intent(self, client_id: str, cause: str, symbol: str, side: str, type_: str,
                      request: dict[str, Any], list_id: str | None = None) -> None:
        now = int(time.time() * 1000)
        self.db.execute("INSERT OR IGNORE INTO orders(client_id, cause, symbol, side, type, request, status, list_id,"
                        " created_ms, updated_ms) VALUES (?,?,?,?,?,?,?,?,?,?)",
                        (client_id, cause, symbol, side, type_, json.dumps(request, default=str), INTENT, list_id,
                         now, now))

    def record_order(self, order: Order) -> None:
        self.db.execute("UPDATE orders SET status = ?, order_id = ?, executed = ?, quote = ?, updated_ms = ? "
                        "WHERE client_id = ?", (order.status.value, order.order_id, str(order.executed_qty),
                                                str(order.cummulative_quote_qty), int(time.time() * 1000),
                                                order.client_order_id))

    def record_rejection(self, client_id: str, code: int, msg: str) -> None:
        self.db.execute("UPDATE orders SET status = ?, error = ?, updated_ms = ? WHERE client_id = ?",
                        (REJECTED, f"{code} {msg}", int(time.time() * 1000), client_id))

    def intents(self) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM orders WHERE status = ?", (INTENT,))

    def open_orders(self) -> list[dict[str, Any]]:
        terminal = ("FILLED", "CANCELED", "REJECTED", "EXPIRED", "EXPIRED_IN_MATCH")
        return self._rows(f"SELECT * FROM orders WHERE status NOT IN ({','.join('?' * len(terminal))})", terminal)

    def orders(self, limit: int = 1000) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM orders ORDER BY created_ms, rowid LIMIT ?", (limit,))

    def owned_order_ids(self, symbol: str) -> set[int]:
        return {r[0] for r in self.db.execute("SELECT order_id FROM orders WHERE symbol = ? AND order_id IS NOT NULL",
                                              (symbol,))}

    def client_id_for(self, symbol: str, order_id: int) -> str | None:
        row = self.db.execute("SELECT client_id FROM orders WHERE symbol = ? AND order_id = ?",
                              (symbol, order_id)).fetchone()
        return row[0] if row else None

    def _rows(self, sql: str, args: tuple) -> list[dict[str, Any]]:
        cur = self.db.execute(sql, args)
        names = [c[0] for c in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    # -- fills -----------------------------------------------------------------------------------
    def has_fill(self, fill: Fill) -> bool:
        return self.db.execute("SELECT 1 FROM fills WHERE symbol = ? AND trade_id = ? AND order_id = ?",
                               (fill.symbol, fill.trade_id, fill.order_id)).fetchone() is not None

    def record_fill(self, fill: Fill) -> None:
        self.db.execute("INSERT OR IGNORE INTO fills VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                        (fill.symbol, fill.trade_id, fill.order_id, fill.client_order_id, fill.side.value,
                         str(fill.price), str(fill.qty), str(fill.commission), fill.commission_asset, fill.time,
                         int(fill.is_maker)))

    def fills(self, symbol: str | None = None) -> list[Fill]:
        sql = "SELECT * FROM fills" + (" WHERE symbol = ?" if symbol else "") + " ORDER BY time, trade_id"
        return [Fill(r["symbol"], r["order_id"], r["client_id"], r["trade_id"], Side(r["side"]), Decimal(r["price"]),
                     Decimal(r["qty"]), Decimal(r["commission"]), r["commission_asset"], r["time"],
                     bool(r["is_maker"])) for r in self._rows(sql, (symbol,) if symbol else ())]

    def last_trade_id(self, symbol: str) -> int:
        row = self.db.execute("SELECT MAX(trade_id) FROM fills WHERE symbol = ?", (symbol,)).fetchone()
        return int(row[0]) if row and row[0] is not None else -1

    # -- log -------------------------------------------------------------------------------------
    def log(self, level: str, msg: str, ts_ms: int | None = None) -> None:
        self.db.execute("INSERT INTO logs(ts, level, msg) VALUES (?,?,?)",
                        (ts_ms if ts_ms is not None else int(time.time() * 1000), level, msg))

    def logs(self, limit: int = 100, after_id: int = 0) -> list[dict[str, Any]]:
        rows = self._rows("SELECT * FROM logs WHERE id > ? ORDER BY id DESC LIMIT ?", (after_id, limit))
        return rows[::-1]


def order_from_row(row: dict[str, Any]) -> Order:
    """A minimal :class:`Order` from the store's row (what the bot knew when it last heard)."""
    req = json.loads(row["request"])
    return Order(row["symbol"], row["order_id"] or -1, row["client_id"], Side(row["side"]), OrderType(row["type"]),
                 OrderStatus(row["status"]) if row["status"] != INTENT else OrderStatus.NEW,
                 orig_qty=Decimal(str(req.get("quantity") or 0)), executed_qty=Decimal(row["executed"] or 0),
                 cummulative_quote_qty=Decimal(row["quote"] or 0), price=Decimal(str(req.get("price") or 0)))
