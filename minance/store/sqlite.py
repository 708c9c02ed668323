"""SQLite backend: one file in the data dir, WAL mode, durable commits for everything acknowledged."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path

from minance.domain.account import Account
from minance.domain.activity import ActivityRecord, Alert, AlertKind
from minance.domain.wallet import Transfer
from minance.keys.model import ApiKey, KeyType, Permission
from minance.store.base import StoreError

DB_FILE = "minance.db"
UID_BASE = 100_000_000

_SCHEMA = [
    # version 1
    """
    CREATE TABLE meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);
    INSERT INTO meta VALUES ('keys_generation', 0);
    CREATE TABLE accounts (
        id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, uid INTEGER UNIQUE NOT NULL,
        created_ms INTEGER NOT NULL, maker_bps INTEGER NOT NULL DEFAULT 10,
        taker_bps INTEGER NOT NULL DEFAULT 10, update_ms INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE api_keys (
        id INTEGER PRIMARY KEY, api_key TEXT UNIQUE NOT NULL,
        account_id INTEGER NOT NULL REFERENCES accounts(id), label TEXT NOT NULL, key_type TEXT NOT NULL,
        permissions TEXT NOT NULL, ips TEXT NOT NULL, endpoint_groups TEXT, symbols TEXT,
        created_ms INTEGER NOT NULL, trading_enabled_ms INTEGER, expires_ms INTEGER, revoked_ms INTEGER,
        grace_until_ms INTEGER, rotated_to INTEGER, rotated_from INTEGER, public_key_pem TEXT,
        secret_ciphertext BLOB, last_used_ms INTEGER);
    CREATE TABLE key_ips (key_id INTEGER NOT NULL, ip TEXT NOT NULL, first_seen_ms INTEGER NOT NULL,
        PRIMARY KEY (key_id, ip));
    CREATE TABLE activity (
        id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, key_id INTEGER, key_masked TEXT NOT NULL,
        account_id INTEGER, ip TEXT NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL, code INTEGER NOT NULL,
        http_status INTEGER NOT NULL, weight INTEGER NOT NULL, latency_us INTEGER NOT NULL, note TEXT NOT NULL);
    CREATE INDEX activity_by_key ON activity (key_id, ts_ms);
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, key_id INTEGER, account_id INTEGER,
        kind TEXT NOT NULL, detail TEXT NOT NULL);
    CREATE INDEX alerts_by_key ON alerts (key_id, ts_ms);
    """,
    # version 2: deposit and withdrawal history (the ledger itself is the engine's, journalled)
    """
    CREATE TABLE transfers (
        id INTEGER PRIMARY KEY, kind TEXT NOT NULL, account_id INTEGER NOT NULL, tran_id TEXT UNIQUE NOT NULL,
        coin TEXT NOT NULL, network TEXT NOT NULL, amount TEXT NOT NULL, fee TEXT NOT NULL, address TEXT NOT NULL,
        address_tag TEXT NOT NULL, tx_id TEXT NOT NULL, status INTEGER NOT NULL, time_ms INTEGER NOT NULL,
        withdraw_order_id TEXT, wallet_type INTEGER NOT NULL, transfer_type INTEGER NOT NULL, info TEXT NOT NULL);
    CREATE INDEX transfers_by_account ON transfers (account_id, kind, time_ms);
    """,
    # version 3: the console's activity pages, newest first by id (keyset); an index on a column also orders by
    # rowid, so key and ip filters page without a sort, and the time index turns a time range into an id range
    """
    CREATE INDEX activity_by_key_id ON activity (key_id);
    CREATE INDEX activity_by_ip ON activity (ip);
    CREATE INDEX activity_by_time ON activity (ts_ms);
    CREATE INDEX alerts_by_kind ON alerts (kind);
    """,
]

_TRANSFER_COLUMNS = (
    "kind, account_id, tran_id, coin, network, amount, fee, address, address_tag, tx_id, status, time_ms, "
    "withdraw_order_id, wallet_type, transfer_type, info"
)

_KEY_COLUMNS = (
    "id, api_key, account_id, label, key_type, permissions, ips, endpoint_groups, symbols, created_ms, "
    "trading_enabled_ms, expires_ms, revoked_ms, grace_until_ms, rotated_to, rotated_from, public_key_pem, "
    "secret_ciphertext, last_used_ms"
)


def _set_or_none(text: str | None) -> frozenset[str] | None:
    return None if text is None else frozenset(json.loads(text))


def _row_to_key(row: sqlite3.Row) -> ApiKey:
    return ApiKey(
        id=row[0], api_key=row[1], account_id=row[2], label=row[3], key_type=KeyType(row[4]),
        permissions=frozenset(Permission(p) for p in json.loads(row[5])), ips=tuple(json.loads(row[6])),
        endpoint_groups=_set_or_none(row[7]), symbols=_set_or_none(row[8]), created_ms=row[9],
        trading_enabled_ms=row[10], expires_ms=row[11], revoked_ms=row[12], grace_until_ms=row[13],
        rotated_to=row[14], rotated_from=row[15], public_key_pem=row[16],
        secret_ciphertext=bytes(row[17]) if row[17] is not None else None, last_used_ms=row[18],
    )


def _key_values(key: ApiKey) -> tuple:
    def dump(values: Iterable[str] | None) -> str | None:
        return None if values is None else json.dumps(sorted(values))

    return (
        key.api_key, key.account_id, key.label, key.key_type.value,
        json.dumps(sorted(p.value for p in key.permissions)), json.dumps(list(key.ips)),
        dump(key.endpoint_groups), dump(key.symbols), key.created_ms, key.trading_enabled_ms, key.expires_ms,
        key.revoked_ms, key.grace_until_ms, key.rotated_to, key.rotated_from, key.public_key_pem,
        key.secret_ciphertext, key.last_used_ms,
    )


class SqliteStore:
    """The embedded store. One instance per thread (sqlite3 connections are not shared)."""

    def __init__(self, path: Path, *, durable: bool = True) -> None:
        self.path = path
        self._conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()
        self._conn.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before we acknowledge it (survives power loss, not only kill -9).
        self._conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._migrate()
        self._data_version = self._conn.execute("PRAGMA data_version").fetchone()[0]

    # -- plumbing -------------------------------------------------------------------------------
    def _migrate(self) -> None:
        with self._lock:
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(_SCHEMA[version:], start=version + 1):
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    # re-check under the write lock: another process may have migrated meanwhile
                    if self._conn.execute("PRAGMA user_version").fetchone()[0] >= number:
                        self._conn.execute("COMMIT")
                        continue
                    for statement in script.split(";"):
                        if statement.strip():
                            self._conn.execute(statement)
                    self._conn.execute(f"PRAGMA user_version={number}")
                    self._conn.execute("COMMIT")
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise

    def _write(self, fn):
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            return result

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def changed_elsewhere(self) -> bool:
        """True when another connection (the CLI, another thread) committed since the last call."""
        with self._lock:
            version = self._conn.execute("PRAGMA data_version").fetchone()[0]
        if version != self._data_version:
            self._data_version = version
            return True
        return False

    # -- accounts ------------------------------------------------------------------------------
    def create_account(self, name: str, now_ms: int) -> Account:
        def tx(c: sqlite3.Connection) -> Account:
            if c.execute("SELECT 1 FROM accounts WHERE name=?", (name,)).fetchone():
                raise StoreError(f"account {name!r} already exists")
            cur = c.execute("INSERT INTO accounts (name, uid, created_ms, update_ms) VALUES (?, 0, ?, ?)",
                            (name, now_ms, now_ms))
            account_id = cur.lastrowid
            c.execute("UPDATE accounts SET uid=? WHERE id=?", (UID_BASE + account_id, account_id))
            return Account(account_id, name, UID_BASE + account_id, now_ms, update_ms=now_ms)

        return self._write(tx)

    def get_account(self, name_or_id: str | int) -> Account | None:
        column = "id" if isinstance(name_or_id, int) else "name"
        with self._lock:
            row = self._conn.execute(
                f"SELECT id, name, uid, created_ms, maker_bps, taker_bps, update_ms FROM accounts WHERE {column}=?",
                (name_or_id,)).fetchone()
        return Account(*row) if row else None

    def list_accounts(self) -> list[Account]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, name, uid, created_ms, maker_bps, taker_bps, update_ms FROM accounts ORDER BY id"
            ).fetchall()
        return [Account(*r) for r in rows]

    # -- keys ----------------------------------------------------------------------------------
    @staticmethod
    def _bump(c: sqlite3.Connection) -> None:
        c.execute("UPDATE meta SET v = v + 1 WHERE k='keys_generation'")

    def insert_key(self, key: ApiKey) -> ApiKey:
        def tx(c: sqlite3.Connection) -> ApiKey:
            cur = c.execute(
                f"INSERT INTO api_keys ({_KEY_COLUMNS}) VALUES (NULL, {', '.join('?' * 18)})", _key_values(key))
            self._bump(c)
            return _row_to_key(c.execute(f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE id=?",
                                         (cur.lastrowid,)).fetchone())

        try:
            return self._write(tx)
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"key could not be stored: {exc}") from None

    def update_key(self, key: ApiKey) -> None:
        columns = _KEY_COLUMNS.split(", ")[1:]

        def tx(c: sqlite3.Connection) -> None:
            c.execute(f"UPDATE api_keys SET {', '.join(f'{col}=?' for col in columns)} WHERE id=?",
                      (*_key_values(key), key.id))
            self._bump(c)

        self._write(tx)

    def get_key(self, api_key_or_id: str | int) -> ApiKey | None:
        column = "id" if isinstance(api_key_or_id, int) else "api_key"
        with self._lock:
            row = self._conn.execute(f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE {column}=?",
                                     (api_key_or_id,)).fetchone()
        return _row_to_key(row) if row else None

    def find_keys_by_prefix(self, prefix: str) -> list[ApiKey]:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE api_key LIKE ? ESCAPE '\\' LIMIT 5",
                (escaped + "%",)).fetchall()
        # LIKE is case-insensitive in SQLite; key ids are not
        return [k for k in map(_row_to_key, rows) if k.api_key.startswith(prefix)]

    def list_keys(self, account_id: int | None = None) -> list[ApiKey]:
        sql = f"SELECT {_KEY_COLUMNS} FROM api_keys"
        args: tuple = ()
        if account_id is not None:
            sql += " WHERE account_id=?"
            args = (account_id,)
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY id", args).fetchall()
        return [_row_to_key(r) for r in rows]

    def keys_generation(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT v FROM meta WHERE k='keys_generation'").fetchone()[0]

    # -- activity ------------------------------------------------------------------------------
    def record_activity(self, records: Sequence[ActivityRecord], alerts: Sequence[Alert],
                        new_ips: Iterable[tuple[int, str, int]], last_used: dict[int, int]) -> None:
        def tx(c: sqlite3.Connection) -> None:
            c.executemany(
                "INSERT INTO activity (ts_ms, key_id, key_masked, account_id, ip, method, path, code, "
                "http_status, weight, latency_us, note) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [(r.ts_ms, r.key_id, r.key_masked, r.account_id, r.ip, r.method, r.path, r.code, r.http_status,
                  r.weight, r.latency_us, r.note) for r in records])
            c.executemany("INSERT INTO alerts (ts_ms, key_id, account_id, kind, detail) VALUES (?,?,?,?,?)",
                          [(a.ts_ms, a.key_id, a.account_id, a.kind.value, a.detail) for a in alerts])
            c.executemany("INSERT OR IGNORE INTO key_ips VALUES (?,?,?)", list(new_ips))
            # last-use times are bookkeeping, not settings: no keys-generation bump
            c.executemany("UPDATE api_keys SET last_used_ms=MAX(COALESCE(last_used_ms, 0), ?) WHERE id=?",
                          [(ts, kid) for kid, ts in last_used.items()])

        self._write(tx)

    def known_ips(self) -> dict[int, set[str]]:
        out: dict[int, set[str]] = {}
        with self._lock:
            for key_id, ip in self._conn.execute("SELECT key_id, ip FROM key_ips"):
                out.setdefault(key_id, set()).add(ip)
        return out

    def activity(self, key_id: int | None = None, since_ms: int = 0, limit: int = 100) -> list[ActivityRecord]:
        where, args = "ts_ms >= ?", [since_ms]
        if key_id is not None:
            where += " AND key_id = ?"
            args.append(key_id)
        with self._lock:
            rows = self._conn.execute(
                "SELECT ts_ms, key_id, key_masked, account_id, ip, method, path, code, http_status, weight, "
                f"latency_us, note FROM activity WHERE {where} ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
        return [ActivityRecord(*r) for r in reversed(rows)]

    def activity_page(self, *, key_id: int | None = None, ip: str | None = None, outcome: str | int | None = None,
                      since_ms: int | None = None, until_ms: int | None = None, before_id: int | None = None,
                      limit: int = 50) -> list[tuple[int, ActivityRecord]]:
        """One page of the activity log, newest first, with each row's id (the next page's ``before_id``).
        ``outcome``: "ok" (code 0), "error" (any other code) or one error code."""
        where: list[str] = []
        args: list = []
        for column, value in (("key_id", key_id), ("ip", ip)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if outcome == "ok":
            where.append("code = 0")
        elif outcome == "error":
            where.append("code != 0")
        elif outcome is not None:
            where.append("code = ?")
            args.append(int(outcome))
        with self._lock:
            if since_ms is not None:  # a time bound becomes an id bound too, so the scan starts where it should
                where += ["ts_ms >= ?", "id >= COALESCE((SELECT MIN(id) FROM activity WHERE ts_ms >= ?), 0)"]
                args += [since_ms, since_ms]
            if until_ms is not None:
                where += ["ts_ms <= ?", "id <= COALESCE((SELECT MAX(id) FROM activity WHERE ts_ms <= ?), 0)"]
                args += [until_ms, until_ms]
            if before_id is not None:
                where.append("id < ?")
                args.append(before_id)
            rows = self._conn.execute(
                "SELECT id, ts_ms, key_id, key_masked, account_id, ip, method, path, code, http_status, weight, "
                f"latency_us, note FROM activity {'WHERE ' + ' AND '.join(where) if where else ''} "
                "ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
        return [(r[0], ActivityRecord(*r[1:])) for r in rows]

    def alerts(self, key_id: int | None = None, since_ms: int = 0, limit: int = 100, *, kind: str | None = None,
               before_id: int | None = None) -> list[Alert]:
        where, args = "ts_ms >= ?", [since_ms]
        if key_id is not None:
            where += " AND key_id = ?"
            args.append(key_id)
        if kind is not None:
            where += " AND kind = ?"
            args.append(kind)
        if before_id is not None:
            where += " AND id < ?"
            args.append(before_id)
        with self._lock:
            rows = self._conn.execute(
                f"SELECT id, ts_ms, key_id, account_id, kind, detail FROM alerts WHERE {where} "
                "ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
        return [Alert(ts, kid, aid, AlertKind(kind), detail, id=i) for i, ts, kid, aid, kind, detail in reversed(rows)]


    # -- deposits and withdrawals ------------------------------------------------------------
    def record_transfer(self, t: Transfer) -> None:
        def tx(c: sqlite3.Connection) -> None:
            c.execute(f"INSERT INTO transfers ({_TRANSFER_COLUMNS}) VALUES ({', '.join('?' * 16)})",
                      (t.kind, t.account_id, t.tran_id, t.coin, t.network, str(t.amount), str(t.fee), t.address,
                       t.address_tag, t.tx_id, t.status, t.time_ms, t.withdraw_order_id, t.wallet_type,
                       t.transfer_type, t.info))

        self._write(tx)

    def transfers(self, account_id: int, kind: str, *, coin: str | None = None, status: int | None = None,
                  start_ms: int | None = None, end_ms: int | None = None, tran_ids: Sequence[str] | None = None,
                  tx_id: str | None = None, withdraw_order_id: str | None = None, offset: int = 0,
                  limit: int = 1000) -> list[Transfer]:
        """An account's deposits or withdrawals, newest first."""
        where, args = ["account_id = ?", "kind = ?"], [account_id, kind]
        for column, value in (("coin", coin), ("status", status), ("tx_id", tx_id),
                              ("withdraw_order_id", withdraw_order_id)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if start_ms is not None:
            where.append("time_ms >= ?")
            args.append(start_ms)
        if end_ms is not None:
            where.append("time_ms <= ?")
            args.append(end_ms)
        if tran_ids is not None:
            where.append(f"tran_id IN ({', '.join('?' * len(tran_ids))})")
            args.extend(tran_ids)
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_TRANSFER_COLUMNS} FROM transfers WHERE {' AND '.join(where)} "
                "ORDER BY time_ms DESC, id DESC LIMIT ? OFFSET ?", (*args, limit, offset)).fetchall()
        return [Transfer(r[0], r[1], r[2], r[3], r[4], Decimal(r[5]), Decimal(r[6]), *r[7:]) for r in rows]


# The databases of a data dir (the journal's name is the venue's JOURNAL_FILE) with SQLite's side files.
DATABASE_FILES = (DB_FILE, "journal.db")
_SIDE_FILES = ("", "-wal", "-shm", "-journal")


def make_private(data_dir: Path) -> None:
    """The data dir 0700 and its databases 0600: they hold every account, key record and order. Done on every
    open, so a dir made by an older version (or under a loose umask) is tightened too. SQLite gives the -wal
    and -shm files it creates later the database file's own mode."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(PermissionError):  # not ours to change (another owner): leave it as it is
        os.chmod(data_dir, 0o700)
    for name in DATABASE_FILES:
        for suffix in _SIDE_FILES:
            with contextlib.suppress(FileNotFoundError, PermissionError):
                os.chmod(data_dir / f"{name}{suffix}", 0o600)
    # New databases are created private before SQLite opens them (an empty file is an empty database). Never open
    # (and close) an existing one here: closing any descriptor of a file drops the POSIX locks SQLite holds on it
    # in this process.
    for name in DATABASE_FILES:
        with contextlib.suppress(FileExistsError):
            os.close(os.open(data_dir / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def open_store(data_dir: Path, *, durable: bool = True) -> SqliteStore:
    make_private(data_dir)
    return SqliteStore(data_dir / DB_FILE, durable=durable)
