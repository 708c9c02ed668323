"""The WebSocket API (``/ws-api/v3``): JSON requests ``{"id", "method", "params"}`` answered with
``{"id", "status", "result" | "error", "rateLimits"}``.

Most methods are the REST endpoints under another name: the request's params become a
:class:`~minance.server.request.Request` and the REST handler answers, with the REST route's security type,
weight and ORDERS counting, so both APIs give the same answers and share the per-IP REQUEST_WEIGHT and
per-account ORDERS counters. What is the WebSocket API's own: signing (every param but ``signature``,
``apiKey`` included, sorted by name, ``k=v`` joined with ``&``, raw UTF-8), session authentication
(``session.logon`` with an Ed25519 key, then no ``apiKey``/``signature`` needed), and the user data stream
subscriptions whose events arrive as ``{"subscriptionId", "event"}``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from dataclasses import dataclass

import orjson

from minance.domain.activity import ActivityRecord
from minance.domain.errors import BinanceError, Err, mandatory
from minance.keys.model import KeyStatus, KeyType, mask_key
from minance.server.auth import AuthRejected, CachedKey, Security
from minance.server.endpoints import Endpoint, Routes
from minance.server.request import MAX_PARAMS, Request
from minance.server.ws.protocol import Connection
from minance.server.ws.user_stream import UserSink

log = logging.getLogger("minance.ws")

_ID_RE = re.compile(r"[a-zA-Z0-9\-_]{1,36}")
INT64 = (-(2**63), 2**63 - 1)
MAX_IN_FLIGHT = 64  # requests of one connection waiting for the engine's journal at once
MAX_ACTIVE_SUBSCRIPTIONS = 1000
MAX_SUBSCRIPTION_IDS = 65535



def invalid_json() -> BinanceError:
    return Err.INVALID_JSON()


def subscription_active() -> BinanceError:
    return Err.SUBSCRIPTION_ACTIVE()


def subscription_inactive() -> BinanceError:
    return Err.SUBSCRIPTION_INACTIVE()


# -- parsing: numbers keep the text the client sent, because that is what it signed -------------------------
class Num(str):
    """A JSON number, kept as its literal text."""

    __slots__ = ()


def _raise_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def parse_request(text: str) -> dict:
    return json.loads(text, parse_int=Num, parse_float=Num, parse_constant=_raise_constant)


def value_text(value: object) -> str:
    """A param as it goes into the signed payload (and to the REST handler): strings as they are, numbers
    as sent, booleans ``true``/``false``, arrays and objects as compact JSON."""
    if isinstance(value, str):
        return str(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[" + ",".join(_json_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{orjson.dumps(str(k)).decode()}:{_json_text(v)}" for k, v in value.items()) + "}"
    return str(value)


def _json_text(value: object) -> str:
    if isinstance(value, Num):
        return str(value)
    if isinstance(value, str):
        return orjson.dumps(str(value)).decode()
    return value_text(value)


def signed_payload(params: dict[str, object]) -> bytes:
    """Binance's WebSocket API payload: every param but ``signature``, sorted by name, ``k=v`` joined with ``&``."""
    return "&".join(f"{k}={value_text(params[k])}" for k in sorted(params) if k != "signature").encode()


def request_id(value: object) -> int | str | None:
    """The ``id`` to echo; ValueError when Binance would refuse it."""
    if value is None:
        return None
    if isinstance(value, Num):
        if not re.fullmatch(r"-?[0-9]+", value):
            raise ValueError("not an integer")
        number = int(value)
        if not INT64[0] <= number <= INT64[1]:
            raise ValueError("out of range")
        return number
    if isinstance(value, str) and _ID_RE.fullmatch(value):
        return str(value)
    raise ValueError("bad id")


# -- methods ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Method:
    name: str
    route: tuple[str, str] | None = None  # the REST endpoint that answers it
    local: str | None = None  # or a method of ApiSession
    security: Security = Security.NONE
    weight: int = 2
    group: str = "stream"


_ROUTED = {
    "ping": ("GET", "/api/v3/ping"),
    "time": ("GET", "/api/v3/time"),
    "exchangeInfo": ("GET", "/api/v3/exchangeInfo"),
    "depth": ("GET", "/api/v3/depth"),
    "trades.recent": ("GET", "/api/v3/trades"),
    "trades.historical": ("GET", "/api/v3/historicalTrades"),
    "trades.aggregate": ("GET", "/api/v3/aggTrades"),
    "klines": ("GET", "/api/v3/klines"),
    "uiKlines": ("GET", "/api/v3/uiKlines"),
    "avgPrice": ("GET", "/api/v3/avgPrice"),
    "ticker.24hr": ("GET", "/api/v3/ticker/24hr"),
    "ticker.tradingDay": ("GET", "/api/v3/ticker/tradingDay"),
    "ticker.price": ("GET", "/api/v3/ticker/price"),
    "ticker.book": ("GET", "/api/v3/ticker/bookTicker"),
    "ticker": ("GET", "/api/v3/ticker"),
    "order.test": ("POST", "/api/v3/order/test"),
    "order.place": ("POST", "/api/v3/order"),
    "order.status": ("GET", "/api/v3/order"),
    "order.cancel": ("DELETE", "/api/v3/order"),
    "order.cancelReplace": ("POST", "/api/v3/order/cancelReplace"),
    "openOrders.status": ("GET", "/api/v3/openOrders"),
    "openOrders.cancelAll": ("DELETE", "/api/v3/openOrders"),
    "orderList.place": ("POST", "/api/v3/order/oco"),
    "orderList.place.oco": ("POST", "/api/v3/orderList/oco"),
    "orderList.place.oto": ("POST", "/api/v3/orderList/oto"),
    "orderList.place.otoco": ("POST", "/api/v3/orderList/otoco"),
    "orderList.status": ("GET", "/api/v3/orderList"),
    "orderList.cancel": ("DELETE", "/api/v3/orderList"),
    "openOrderLists.status": ("GET", "/api/v3/openOrderList"),
    "allOrderLists": ("GET", "/api/v3/allOrderList"),
    "allOrders": ("GET", "/api/v3/allOrders"),
    "myTrades": ("GET", "/api/v3/myTrades"),
    "account.status": ("GET", "/api/v3/account"),
    "account.commission": ("GET", "/api/v3/account/commission"),
    "account.rateLimits.orders": ("GET", "/api/v3/rateLimit/order"),
}

_LOCAL = [
    Method("session.logon", local="logon", security=Security.USER_STREAM),
    Method("session.status", local="status"),
    Method("session.logout", local="logout"),
    Method("session.subscriptions", local="subscriptions"),
    Method("userDataStream.subscribe", local="subscribe", security=Security.USER_STREAM),
    Method("userDataStream.subscribe.signature", local="subscribe_signature", security=Security.USER_STREAM),
    Method("userDataStream.unsubscribe", local="unsubscribe"),
    Method("userDataStream.start", local="listen_key_start", security=Security.USER_STREAM),
    Method("userDataStream.ping", local="listen_key_ping", security=Security.USER_STREAM),
    Method("userDataStream.stop", local="listen_key_stop", security=Security.USER_STREAM),
]

# Methods that need an API key but no signature (the listenKey management of old).
_KEY_ONLY = frozenset({"userDataStream.start", "userDataStream.ping", "userDataStream.stop"})
# Methods that always name their key (a logged-on session does not stand in for it).
_OWN_KEY = frozenset({"session.logon", "userDataStream.subscribe.signature"} | _KEY_ONLY)


def method_table(routes: Routes) -> dict[str, tuple[Method, Endpoint | None]]:
    table: dict[str, tuple[Method, Endpoint | None]] = {}
    for name, route in _ROUTED.items():
        endpoint = routes.match(*route)
        if endpoint is not None:  # a REST route not offered yet is not a WebSocket method either
            table[name] = (Method(name, route=route, security=endpoint.security, group=endpoint.group), endpoint)
    for m in _LOCAL:
        table[m.name] = (m, None)
    return table


# -- the per-server part ------------------------------------------------------------------------------------------
class WsApi:
    def __init__(self, ctx, routes: Routes, users) -> None:
        self.ctx = ctx
        self.users = users
        self.methods = method_table(routes)


class ApiSession:
    """One ``/ws-api/v3`` connection: its logged-on key, its subscriptions and its requests."""

    def __init__(self, api: WsApi, conn: Connection, *, time_unit_us: bool, return_rate_limits: bool,
                 connected_ms: int) -> None:
        self.api = api
        self.ctx = api.ctx
        self.conn = conn
        self.ip = conn.ip
        self.time_unit_us = time_unit_us
        self.return_rate_limits = return_rate_limits
        self.connected_ms = connected_ms
        self.logon_key: str | None = None  # the api key of session.logon
        self.authorized_since: int | None = None
        self.sinks: dict[int, UserSink] = {}  # subscription id → sink
        self.logon_subscription: int | None = None
        self.next_subscription_id = 0
        self._in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)
        self._tasks: set[asyncio.Task] = set()

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def close(self) -> None:
        for sink in self.sinks.values():
            self.api.users.detach(sink)
        self.sinks = {}
        for task in self._tasks:
            task.cancel()

    async def on_message(self, text: str | None) -> None:
        """Parse and answer one request. Requests that wait for the engine run as tasks (in order of
        arrival: each reaches the engine before the next is read), so a client may pipeline."""
        started = time.perf_counter_ns()
        try:
            if text is None:
                raise invalid_json()
            try:
                message = parse_request(text)
            except (ValueError, RecursionError):
                raise invalid_json() from None
            if not isinstance(message, dict):
                raise invalid_json()
            try:
                rid = request_id(message.get("id"))
            except ValueError:
                raise Err.INVALID_REQUEST_ID() from None
            method = message.get("method")
            params = message.get("params", {})
            if not isinstance(method, str) or not isinstance(params, dict):
                raise invalid_json()
        except BinanceError as exc:
            self._reply_error(None, exc)
            return
        if method.startswith("v3/"):
            method = method[3:]
        entry = self.api.methods.get(method)
        if entry is None:
            self._reply_error(rid, Err.UNSUPPORTED_OPERATION())
            return
        spec, endpoint = entry
        if endpoint is not None and endpoint.is_async:
            await self._in_flight.acquire()
            task = asyncio.get_running_loop().create_task(self._handle(rid, spec, endpoint, params, started))
            self._tasks.add(task)
            task.add_done_callback(self._done)
        else:
            await self._handle(rid, spec, endpoint, params, started)

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        self._in_flight.release()

    # -- one request -------------------------------------------------------------------------------------------
    async def _handle(self, rid, spec: Method, endpoint: Endpoint | None, params: dict, started: int) -> None:
        ctx = self.ctx
        now_ms = ctx.clock.now_ms()
        return_limits = self.return_rate_limits
        if "returnRateLimits" in params:
            return_limits = params["returnRateLimits"] is True or params["returnRateLimits"] == "true"
        text_params = {k: value_text(v) for k, v in params.items()
                       if v is not None and k not in ("signature", "returnRateLimits")}
        req = Request("WS", spec.name, self.ip, {}, b"", b"", text_params)
        req.time_unit_us = self.time_unit_us
        weight = endpoint.weight_for(req) if endpoint is not None else spec.weight
        charged = False
        orders = False
        code, status, note = 0, 200, ""
        try:
            if len(params) > MAX_PARAMS:
                raise Err.TOO_MANY_PARAMETERS()
            charged = True
            ctx.limiter.check_ip(self.ip, weight, now_ms)
            cached = self._authenticate(req, spec, params)
            if endpoint is not None:
                count = endpoint.orders_for(req) if req.key is not None else 0
                if count:
                    orders = True
                    ctx.limiter.check_orders(req.key.account_id, count, now_ms)
                result = endpoint.handler(req, ctx)
                if endpoint.is_async:
                    result = await result
                if endpoint.free_on_success:
                    ctx.limiter.refund_ip(self.ip, weight, now_ms)
            else:
                result = getattr(self, spec.local)(req, params, cached)
            response = {"id": rid, "status": 200, "result": result}
        except BinanceError as exc:
            error = exc
            if not charged:  # refused before its weight was charged: it still costs weight; a ban still holds
                try:
                    ctx.limiter.check_ip(self.ip, weight, now_ms)
                except BinanceError as limited:
                    error = limited
            code, status, note = error.code, error.http_status, getattr(error, "note", error.msg)
            response = {"id": rid, "status": status, "error": self._error_body(error, now_ms)}
        except Exception:  # a bug still answers in Binance's form, and is visible in our log
            log.exception("unhandled error in WS %s", spec.name)
            code, status, note = Err.UNKNOWN.code, 500, "internal error"
            response = {"id": rid, "status": 500, "error": Err.UNKNOWN().to_wire()}
        if return_limits:
            response["rateLimits"] = self._rate_limits(req, orders, now_ms)
        self.conn.push_json(response)
        self._record(req, spec, code, status, weight, note, started, now_ms)

    def _reply_error(self, rid, error: BinanceError) -> None:
        self.conn.push_json({"id": rid, "status": error.http_status,
                             "error": self._error_body(error, self.ctx.clock.now_ms())})

    @staticmethod
    def _error_body(error: BinanceError, now_ms: int) -> dict:
        body = error.to_wire()
        retry = error.headers.get("Retry-After")
        if retry is not None:  # Binance's WebSocket API tells when to retry, as epoch ms
            body["data"] = {"serverTime": now_ms, "retryAfter": now_ms + int(retry) * 1000}
        return body

    def _rate_limits(self, req: Request, orders: bool, now_ms: int) -> list[dict]:
        limiter = self.ctx.limiter
        by_suffix = {lim.suffix: lim for lim in limiter.limits}
        out = []
        if orders and req.key is not None:
            for suffix, count in limiter.order_counts(req.key.account_id, now_ms).items():
                lim = by_suffix.get(suffix)
                if lim is not None and lim.kind == "ORDERS":
                    out.append({**lim.to_wire(), "count": count})
        for suffix, count in limiter.used_weight(self.ip, now_ms).items():
            lim = by_suffix.get(suffix)
            if lim is not None and lim.kind == "REQUEST_WEIGHT":
                out.append({**lim.to_wire(), "count": count})
        return out

    def _record(self, req: Request, spec: Method, code: int, status: int, weight: int, note: str, started: int,
                now_ms: int) -> None:
        if code == 0 and spec.security is Security.NONE and req.key is None:
            return
        key = req.key
        latency_us = (time.perf_counter_ns() - started) // 1000
        masked = key.masked if key is not None else mask_key(req.params.get("apiKey", "") or "")
        self.ctx.activity.record(
            ActivityRecord(now_ms, key.id if key else None, masked, key.account_id if key else None, self.ip, "WS",
                           spec.name, code, status, weight, latency_us, note),
            in_grace=key is not None and key.status(now_ms) is KeyStatus.GRACE)

    # -- authentication ------------------------------------------------------------------------------------------
    def _authenticate(self, req: Request, spec: Method, params: dict) -> CachedKey | None:
        """The key a request acts for: its own ``apiKey`` + ``signature``, or the session's logged-on key."""
        security = spec.security
        if security is Security.NONE:
            return None
        auth = self.ctx.auth
        name = spec.name
        api_key = params.get("apiKey")
        session = False
        if name == "userDataStream.subscribe":  # the logged-on account's events
            if self.logon_key is None:
                raise AuthRejected(Err.REJECTED_MBX_KEY, "session not logged on")
            api_key, session = self.logon_key, True
        elif api_key is None and self.logon_key is not None and name not in _OWN_KEY:
            api_key, session = self.logon_key, True
        elif api_key is None:
            raise mandatory("apiKey")
        if not isinstance(api_key, str):
            raise AuthRejected(Err.BAD_API_KEY_FMT, "malformed API key")
        try:
            cached = auth.lookup(api_key)
            req.key = cached.key
            auth.authorize(cached, self.ip, security, self._group(spec, cached), name)
        except AuthRejected:
            if session:  # Binance revokes a session whose key stopped being valid
                self._logout()
            raise
        if name in _KEY_ONLY or (session and security is Security.USER_STREAM):
            return cached
        auth.check_timing(req.params)
        if not session:
            signature = params.get("signature")
            auth.check_signature(cached, signed_payload(params),
                                 signature if isinstance(signature, str) and signature else None)
        auth.check_symbol(cached.key, security, req.params.get("symbol"))
        return cached

    @staticmethod
    def _group(spec: Method, cached: CachedKey) -> str:
        if spec.name == "session.logon":  # logging on is no endpoint group: each later request checks its own
            groups = cached.key.endpoint_groups
            return next(iter(groups)) if groups else "account"
        return spec.group

    # -- session methods ----------------------------------------------------------------------------------------
    def _status(self) -> dict:
        return {"apiKey": self.logon_key, "authorizedSince": self.authorized_since,
                "connectedSince": self.connected_ms, "returnRateLimits": self.return_rate_limits,
                "serverTime": self.ctx.clock.now_ms(), "userDataStream": bool(self.sinks)}

    def logon(self, req: Request, params: dict, cached: CachedKey | None) -> dict:
        assert cached is not None
        if cached.key.key_type is not KeyType.ED25519:  # Binance verifies logons as Ed25519 only: -1022
            raise AuthRejected(Err.INVALID_SIGNATURE, "session.logon needs an Ed25519 key")
        if self.logon_key is not None and self.logon_key != cached.key.api_key:
            self._end_logon_subscription()
        self.logon_key = cached.key.api_key
        self.authorized_since = self.ctx.clock.now_ms()
        return self._status()

    def status(self, req: Request, params: dict, cached: CachedKey | None) -> dict:
        return self._status()

    def logout(self, req: Request, params: dict, cached: CachedKey | None) -> dict:
        self._logout()
        return self._status()

    def _logout(self) -> None:
        self._end_logon_subscription()
        self.logon_key = None
        self.authorized_since = None

    def subscriptions(self, req: Request, params: dict, cached: CachedKey | None) -> list:
        return [{"subscriptionId": n} for n in self.sinks]

    # -- user data stream subscriptions ------------------------------------------------------------------------------
    def _start(self, account_id: int) -> int:
        if any(s.account_id == account_id for s in self.sinks.values()):
            raise subscription_active()
        if len(self.sinks) >= MAX_ACTIVE_SUBSCRIPTIONS:
            raise Err.TOO_MANY_SUBSCRIPTIONS(maximum=MAX_ACTIVE_SUBSCRIPTIONS)
        if self.next_subscription_id >= MAX_SUBSCRIPTION_IDS:
            raise Err.MAX_SUBSCRIPTION_ID()
        sid = self.next_subscription_id
        self.next_subscription_id += 1
        sink = UserSink(self.conn, account_id, subscription_id=sid, micros=self.time_unit_us)
        self.sinks[sid] = sink
        self.api.users.attach(sink)
        return sid

    def _stop(self, sid: int) -> None:
        sink = self.sinks.pop(sid, None)
        if sink is None:
            return
        self.api.users.detach(sink)
        if sid == self.logon_subscription:
            self.logon_subscription = None
        sink.deliver_json({"e": "eventStreamTerminated", "E": self.ctx.clock.now_ms()})

    def _end_logon_subscription(self) -> None:
        if self.logon_subscription is not None:
            self._stop(self.logon_subscription)

    def subscribe(self, req: Request, params: dict, cached: CachedKey | None) -> dict:
        assert cached is not None
        sid = self._start(cached.key.account_id)
        self.logon_subscription = sid
        return {"subscriptionId": sid}

    def subscribe_signature(self, req: Request, params: dict, cached: CachedKey | None) -> dict:
        assert cached is not None
        return {"subscriptionId": self._start(cached.key.account_id)}

    def unsubscribe(self, req: Request, params: dict, cached: CachedKey | None) -> dict:
        raw = req.params.get("subscriptionId")
        if raw is None:
            for sid in list(self.sinks):
                self._stop(sid)
            return {}
        sid = req.integer("subscriptionId")
        if sid not in self.sinks:
            raise subscription_inactive()
        self._stop(sid)
        return {}

    # -- listen keys over the WebSocket API ------------------------------------------------------------------------
    def listen_key_start(self, req: Request, params: dict, cached: CachedKey | None) -> dict:
        assert cached is not None
        return {"listenKey": self.ctx.listen_keys.create(cached.key.account_id, self.ctx.clock.now_ms())}

    def listen_key_ping(self, req: Request, params: dict, cached: CachedKey | None) -> dict:
        assert cached is not None
        self.ctx.listen_keys.keepalive(req.params.get("listenKey"), cached.key.account_id, self.ctx.clock.now_ms())
        return {}

    def listen_key_stop(self, req: Request, params: dict, cached: CachedKey | None) -> dict:
        assert cached is not None
        self.ctx.listen_keys.close(req.params.get("listenKey"), cached.key.account_id, self.ctx.clock.now_ms())
        return {}

