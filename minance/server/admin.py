"""The admin HTTP API under /admin/: the CLI's key and account operations over HTTP.

Guarded by the admin token kept in the data dir (``admin.token``, mode 0600), sent as
``Authorization: Bearer <token>``. An API key never opens it.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import orjson

from minance.accounts import RESERVED_PREFIX, AccountError, parse_amount, parse_asset
from minance.domain.errors import BinanceError, Err
from minance.domain.wallet import deposit_record
from minance.engine import Deposit
from minance.engine.responses import my_trade, order_query
from minance.keys.model import KeyType
from minance.keys.sealing import create_private_file
from minance.keys.service import (
    DEFAULT_GRACE_S,
    KeyConfigError,
    issued_to_json,
    parse_groups,
    parse_ips,
    parse_permissions,
    parse_symbols,
)
from minance.server.request import BodyTooLarge, read_body

TOKEN_FILE = "admin.token"  # noqa: S105 - a file name, not a token
MAX_ADMIN_BODY = 64 * 1024
MAX_PAGE = 500  # rows per page of activity, alerts and trades


def load_admin_token(data_dir: Path) -> str:
    path = data_dir / TOKEN_FILE
    data = path.read_bytes() if path.exists() else create_private_file(path, secrets.token_hex(32).encode())
    return data.decode().strip()


@dataclass(frozen=True)
class AdminFile:
    """An answer that is a file, not JSON (a backtest report): sent as is, with its own type and headers."""

    body: bytes
    content_type: str
    headers: list[tuple[bytes, bytes]]


def _activity_json(rec) -> dict:
    return {"time": rec.ts_ms, "apiKey": rec.key_masked, "ip": rec.ip, "method": rec.method, "path": rec.path,
            "code": rec.code, "status": rec.http_status, "weight": rec.weight, "latencyUs": rec.latency_us,
            "note": rec.note}


def _alert_json(alert, masked: str | None = None) -> dict:
    out = {"id": alert.id, "time": alert.ts_ms, "kind": alert.kind.value, "detail": alert.detail}
    if masked is not None:
        out["apiKey"] = masked
    return out


def _page_limit(query: dict, default: int = 50) -> int:
    return max(1, min(MAX_PAGE, int(query.get("limit", default))))


class AdminApi:
    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.token = load_admin_token(ctx.settings.data_dir)
        self.links: Any = None  # the console's one-time sign-in links (server/console), set by the app

    async def handle(self, method: str, path: str, raw_query: bytes, headers: dict[str, str],
                     receive, *, via_session: bool = False) -> tuple[int, Any]:
        """``via_session``: the console already checked the browser's session cookie and CSRF token."""
        try:
            if not via_session:
                self._check_token(headers)
            body = await self._json_body(receive)
            query = {k: v[-1] for k, v in parse_qs(raw_query.decode("latin-1")).items()}
            result = await self._dispatch(method, [p for p in path.split("/")[2:] if p], query, body)
            return 200, result
        except BinanceError as exc:  # every admin rejection comes from the one table (domain/errors.py)
            return exc.http_status, exc.to_wire()
        except (KeyConfigError, AccountError) as exc:
            error = Err.ADMIN_INVALID(reason=str(exc))
            return error.http_status, error.to_wire()
        except (ValueError, TypeError, KeyError, OverflowError):  # OverflowError: past SQLite's 64-bit integers
            error = Err.ADMIN_BAD_REQUEST()
            return error.http_status, error.to_wire()

    def _check_token(self, headers: dict[str, str]) -> None:
        scheme, _, given = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode("latin-1"),
                                                                  self.token.encode()):
            raise Err.UNAUTHORIZED()

    @staticmethod
    async def _json_body(receive) -> dict:
        try:
            raw = await read_body(receive, MAX_ADMIN_BODY)
        except BodyTooLarge:
            raise Err.ADMIN_BODY_TOO_LARGE() from None
        if not raw.strip():
            return {}
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise Err.ADMIN_BODY_NOT_OBJECT() from None
        if not isinstance(data, dict):
            raise Err.ADMIN_BODY_NOT_OBJECT()
        return data

    def _account(self, account) -> dict:
        return self.ctx.accounts.describe(account, self.ctx.venue.engine.balances(account.id))

    async def _deposit(self, account, asset: str, amount) -> None:
        now = self.ctx.clock.now_ms()
        result = await self.ctx.venue.submit(Deposit(account.id, asset, amount, now))
        if result.error is not None:
            raise result.error
        self.ctx.store.record_transfer(deposit_record(account.id, asset, amount, now))  # for deposit/hisrec

    async def _dispatch(self, method: str, parts: list[str], query: dict, body: dict) -> Any:
        ctx = self.ctx
        match (method, parts):
            case ("GET", ["accounts"]):
                return [self._account(a) for a in ctx.store.list_accounts()
                        if not a.name.startswith(RESERVED_PREFIX)]
            case ("POST", ["accounts"]):
                deposits = {parse_asset(a): parse_amount(str(q)) for a, q in (body.get("deposits") or {}).items()}
                account = ctx.accounts.create(str(body.get("name", "")))
                for asset, amount in deposits.items():
                    await self._deposit(account, asset, amount)
                return self._account(account)
            case ("GET", ["accounts", name]):
                return self._account(ctx.accounts.get(name))
            case ("POST", ["accounts", name, "deposit"]):
                account = ctx.accounts.get(name)
                await self._deposit(account, parse_asset(str(body.get("asset", ""))),
                                    parse_amount(str(body.get("amount", ""))))
                return self._account(account)
            case ("GET", ["state"]):  # for durability checks: the engine's state hash, once all of it is on disk
                state = {"stateHash": ctx.venue.engine.state_hash(), "journalSeq": ctx.venue.journal.last_seq(),
                         "marketTime": ctx.market_clock.now_ms(), "journalCommits": ctx.venue.journal.commits,
                         "journalRecords": ctx.venue.journal.records}
                await ctx.venue.journal.barrier()
                return state
            case ("POST", ["market", "step"]):  # manual market clock: advance it and run one market tick
                if ctx.settings.market_clock != "manual":
                    raise Err.ADMIN_INVALID(reason="the market clock is live: start the server with "
                                                   "--market-clock manual to step it")
                ctx.market_clock.advance_ms(int(body.get("ms", 0)))
                ctx.driver.tick()
                await ctx.venue.journal.barrier()  # the tick's orders are durable before we answer
                return {"marketTime": ctx.market_clock.now_ms()}
            case ("POST", ["market", "dislocate"]):  # shift one symbol's quotes by N bps for a while (tests, demos)
                return await self._dislocate(body)
            case ("GET", ["keys"]):
                account_id = ctx.accounts.get(query["account"]).id if "account" in query else None
                return [ctx.keys.describe(k) for k in ctx.store.list_keys(account_id)]
            case ("POST", ["keys"]):
                issued = ctx.keys.create(
                    str(body.get("account", "")), label=str(body.get("label", "")),
                    key_type=self._key_type(body.get("type", "HMAC")), public_key_pem=body.get("publicKey"),
                    permissions=parse_permissions(body.get("permissions") or ["reading"]),
                    ips=parse_ips(body.get("ips")), endpoint_groups=parse_groups(body.get("endpointGroups")),
                    symbols=parse_symbols(body.get("symbols")), expires_ms=body.get("expireTime"))
                ctx.cache.reload()
                return issued_to_json(ctx.keys, issued)
            case ("GET", ["keys", ref]):
                return ctx.keys.describe(ctx.keys.resolve(ref))
            case ("PATCH", ["keys", ref]):
                changes: dict[str, Any] = {}
                if "label" in body:
                    changes["label"] = str(body["label"])
                if "permissions" in body:
                    changes["permissions"] = parse_permissions(body["permissions"])
                if "ips" in body:
                    changes["ips"] = parse_ips(body["ips"])
                if "endpointGroups" in body:
                    changes["endpoint_groups"] = parse_groups(body["endpointGroups"])
                if "symbols" in body:
                    changes["symbols"] = parse_symbols(body["symbols"])
                if "expireTime" in body:
                    changes["expires_ms"] = body["expireTime"]
                key = ctx.keys.edit(ref, **changes)
                ctx.cache.reload()
                return ctx.keys.describe(key)
            case ("POST", ["keys", ref, "rotate"]):
                issued = ctx.keys.rotate(ref, grace_s=int(body.get("graceSeconds", DEFAULT_GRACE_S)),
                                         public_key_pem=body.get("publicKey"))
                ctx.cache.reload()
                return issued_to_json(ctx.keys, issued)
            case ("POST", ["keys", ref, "revoke"]):
                key = ctx.keys.revoke(ref)
                ctx.cache.reload()
                return ctx.keys.describe(key)
            case ("GET", ["keys", ref, "activity"]):
                key = ctx.keys.resolve(ref)
                records = ctx.store.activity(key.id, int(query.get("since", 0)), int(query.get("limit", 100)))
                return [_activity_json(r) for r in records]
            case ("GET", ["alerts"]):
                key_id = ctx.keys.resolve(query["key"]).id if "key" in query else None
                alerts = ctx.store.alerts(key_id, int(query.get("since", 0)), _page_limit(query, 100),
                                          kind=query.get("kind") or None,
                                          before_id=int(query["before"]) if query.get("before") else None)
                return [_alert_json(a, self._masked(a.key_id)) for a in alerts]
            case ("GET", ["activity"]):  # every key's requests, newest first, one keyset page at a time
                return self._activity_page(query)
            case ("GET", ["accounts", name, "orders"]):
                account = ctx.accounts.get(name)
                return [order_query(v) for v in ctx.venue.engine.open_orders(account.id)]
            case ("GET", ["accounts", name, "trades"]):  # the most recent trades over all (or one) symbols
                account, limit = ctx.accounts.get(name), _page_limit(query)
                engine = ctx.venue.engine
                symbols = [query["symbol"].upper()] if query.get("symbol") else list(engine.symbols)
                trades = [my_trade(t) for s in symbols for t in engine.my_trades(account.id, s, limit=limit)]
                return sorted(trades, key=lambda t: (t["time"], t["id"]), reverse=True)[:limit]
            case ("GET", ["bots"]):  # the console's Bots page; 404 when this installation has no bots package
                from minance.server.console.bots import list_bots

                bots = list_bots()
                if bots is None:
                    raise Err.UNKNOWN_PATH(path="/admin/bots", method=method)
                return bots
            case ("GET", ["backtests"]):  # the reports `minance backtest run --report DIR` recorded, newest first
                from minance.server.console.backtests import list_backtests

                return list_backtests()
            case ("GET", ["backtests", report_id]):
                return self._backtest(report_id)
            case ("GET", ["backtests", report_id, ("report" | "equity.png") as name]):  # by id from the index only
                return self._backtest_file(report_id, "report.html" if name == "report" else name)
            case ("POST", ["console", "link"]) if self.links is not None:
                return {"path": f"/console/link/{self.links.create()}", "expiresInSeconds": int(self.links.ttl_s)}
        raise Err.UNKNOWN_PATH(path=f"/admin/{'/'.join(parts)}", method=method)

    @staticmethod
    def _backtest(report_id: str) -> dict:
        from minance.server.console.backtests import find

        entry = find(report_id)
        if entry is None:  # the id is not echoed: it is whatever the request said
            raise Err.ADMIN_NOT_FOUND(what="A backtest report with this id")
        return entry

    def _backtest_file(self, report_id: str, name: str) -> AdminFile:
        from minance.server.console.backtests import report_file

        self._backtest(report_id)
        found = report_file(report_id, name)
        if found is None:  # recorded, but its folder was moved or deleted since
            raise Err.ADMIN_NOT_FOUND(what=f"The {name} of backtest report {report_id} (its folder moved?)")
        return AdminFile(*found)

    def _masked(self, key_id: int | None) -> str | None:
        key = self.ctx.store.get_key(key_id) if key_id is not None else None
        return key.masked if key is not None else None

    def _activity_page(self, query: dict) -> dict:
        """Filters: key (api key), outcome (ok | error | a code), ip, from / to (ms); ``before`` is the previous
        page's ``next`` (keyset paging: every page costs the same however deep)."""
        key_id = self.ctx.keys.resolve(query["key"]).id if query.get("key") else None
        outcome = query.get("outcome") or None
        if outcome is not None and outcome not in ("ok", "error"):
            outcome = int(outcome)
        limit = _page_limit(query)
        rows = self.ctx.store.activity_page(
            key_id=key_id, ip=query.get("ip") or None, outcome=outcome,
            since_ms=int(query["from"]) if query.get("from") else None,
            until_ms=int(query["to"]) if query.get("to") else None,
            before_id=int(query["before"]) if query.get("before") else None, limit=limit)
        return {"rows": [{"id": row_id, **_activity_json(r)} for row_id, r in rows],
                "next": rows[-1][0] if len(rows) == limit else None}

    @staticmethod
    def _key_type(value: Any) -> KeyType:
        try:
            return KeyType(str(value).upper())
        except ValueError:
            raise Err.ADMIN_INVALID(reason="type must be HMAC, ED25519 or RSA") from None

    async def _dislocate(self, body: dict) -> dict:
        """``{"symbol", "bps", "forMs"}``: the symbol's reference price × (1 + bps/10 000) until ``forMs`` of market
        time have passed (no ``forMs``: until the next call; ``bps`` 0 restores). Applied at once (one tick)."""
        ctx = self.ctx
        symbol = str(body.get("symbol", "")).upper()
        if symbol not in ctx.driver.specs:
            raise Err.ADMIN_INVALID(reason=f"unknown symbol {symbol or '(none)'}: the market moves "
                                           f"{', '.join(sorted(ctx.driver.specs))}")
        bps, for_ms = body.get("bps"), body.get("forMs")
        if not isinstance(bps, int) or isinstance(bps, bool) or not -5000 <= bps <= 5000:
            raise Err.ADMIN_INVALID(reason="bps must be an integer between -5000 and 5000")
        if for_ms is not None and (not isinstance(for_ms, int) or isinstance(for_ms, bool) or for_ms <= 0):
            raise Err.ADMIN_INVALID(reason="forMs must be a positive integer (ms of market time)")
        now = ctx.market_clock.now_ms()
        until = now + for_ms if for_ms is not None else None
        if bps:
            ctx.driver.dislocate(symbol, bps, until)
        else:
            ctx.driver.restore(symbol)
        ctx.driver.tick()
        await ctx.venue.journal.barrier()
        return {"symbol": symbol, "bps": bps, "marketTime": now, "until": until}
