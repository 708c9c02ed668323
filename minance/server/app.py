"""The ASGI application: a small dispatcher over the endpoints table.

No web framework: the request path is parse → rate limit → authenticate → handle → render, and
every rejection on the way becomes Binance's ``{"code", "msg"}`` with Binance's HTTP status.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import time
from typing import Any

import orjson

from minance.domain.activity import ActivityRecord
from minance.domain.errors import BinanceError, Err
from minance.keys.iprules import parse_address
from minance.keys.model import KeyStatus, mask_key
from minance.server import admin
from minance.server.activity import UNKNOWN_ROUTE_NOTE, loggable_path, route_segments
from minance.server.api import all_routes
from minance.server.api.orders import first_fills_listener
from minance.server.auth import Security
from minance.server.console import ConsoleWeb
from minance.server.console.web import SECURITY_HEADERS
from minance.server.context import Context
from minance.server.endpoints import Routes
from minance.server.request import MAX_BODY_BYTES, BodyTooLarge, ClientGone, Request, parse_params, read_body
from minance.server.ws import WsGateway

log = logging.getLogger("minance.server")

JSON = b"application/json;charset=UTF-8"
_TIME_UNITS = {"MICROSECOND": True, "microsecond": True, "MILLISECOND": False, "millisecond": False}


# A known key's masked form, computed once (mask_key walks the key character by character): only keys
# found in the key cache come here, so the cache is bounded by the number of keys.
_masked = functools.lru_cache(maxsize=4096)(mask_key)


class MinanceApp:
    def __init__(self, ctx: Context, routes: Routes | None = None) -> None:
        self.ctx = ctx
        self.routes = routes or all_routes()
        self._route_words = route_segments(e.path for e in self.routes)  # what an unknown path may log
        self._trusted = tuple(ipaddress.ip_network(p, strict=False) for p in ctx.settings.trusted_proxies)
        self._admin = admin.AdminApi(ctx)
        self._console = ConsoleWeb(self._admin.token)  # the web console: pages, sign-in, cookie route to /admin
        self._admin.links = self._console.links  # POST /admin/console/link makes one-time sign-in links
        self._ws = WsGateway(ctx, self.routes, self.client_ip)  # streams and the WebSocket API, same port
        ctx.venue.subscribe(first_fills_listener(ctx))  # ORDERS: a first fill releases its order's count

    async def __call__(self, scope: dict, receive, send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "websocket":
            await self._ws(scope, receive, send)

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.ctx.activity.start()
                self.ctx.venue.start()
                if self.ctx.settings.market:
                    self.ctx.driver.fund_system_accounts()
                    if not self.ctx.driver.quoting():  # first start: a book on every symbol before any request
                        self.ctx.driver.tick()
                    if self.ctx.settings.market_clock != "manual":
                        self.ctx.driver.start()
                self._ws.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self._ws.stop()
                await self.ctx.driver.stop()
                self.ctx.venue.close()
                self.ctx.activity.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def client_ip(self, scope: dict, headers: dict[str, str]) -> str:
        """The socket peer; X-Forwarded-For is believed only when the peer is a trusted proxy."""
        peer = (scope.get("client") or ("0.0.0.0", 0))[0]  # noqa: S104 - no peer: unix socket
        if not self._trusted or "x-forwarded-for" not in headers:
            return peer

        def trusted(ip: str) -> bool:
            addr = parse_address(ip)
            return addr is not None and any(addr.version == n.version and addr in n for n in self._trusted)

        if not trusted(peer):
            return peer
        hops = [h.strip() for h in headers["x-forwarded-for"].split(",") if h.strip()]
        for hop in reversed(hops):  # the nearest untrusted hop is the client
            if not trusted(hop):
                return hop if parse_address(hop) is not None else peer
        return peer

    async def _http(self, scope: dict, receive, send) -> None:
        started = time.perf_counter_ns()
        method: str = scope["method"]
        path: str = scope["path"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        ip = self.client_ip(scope, headers)
        try:
            if path == "/" or path == "/console" or path.startswith("/console/"):
                await self._console.handle(method, path, headers, ip, receive, send)
                return
            if path.startswith("/admin/") or path == "/admin":
                await self._admin_http(method, path, scope, headers, receive, send)
                return
        except ClientGone:
            return  # nobody to answer; nothing was executed
        await self._api_http(scope, receive, send, started, method, path, headers, ip)

    async def _admin_http(self, method: str, path: str, scope: dict, headers: dict[str, str], receive, send
                          ) -> None:
        # the console's session cookie (+ CSRF token on writes) stands in for the bearer token
        access = False if "authorization" in headers else self._console.admin_access(method, headers)
        if isinstance(access, BinanceError):
            await self._send(send, access.http_status, orjson.dumps(access.to_wire()), list(SECURITY_HEADERS))
            return
        status, body = await self._admin.handle(method, path, scope.get("query_string", b""), headers,
                                                receive, via_session=access)
        if isinstance(body, admin.AdminFile):  # a backtest report: its own type and (sandboxed) CSP
            await self._send(send, status, body.body, body.headers, kind=body.content_type.encode())
            return
        await self._send(send, status, orjson.dumps(body), list(SECURITY_HEADERS) if access else [])

    async def _api_http(self, scope: dict, receive, send, started: int, method: str, path: str,
                        headers: dict[str, str], ip: str) -> None:
        ctx = self.ctx
        endpoint = self.routes.match(method, path)
        logged_path = endpoint.path if endpoint is not None else loggable_path(path, self._route_words)
        now_ms = ctx.clock.now_ms()
        weight = 1
        req: Request | None = None
        extra: list[tuple[bytes, bytes]] = []
        code, note = 0, ""
        charged = False
        try:
            try:
                raw_body = await read_body(receive, MAX_BODY_BYTES)
            except BodyTooLarge:
                raise Err.TOO_MANY_PARAMETERS() from None
            except ClientGone:
                return  # nobody to answer; nothing was executed
            if endpoint is None:
                raise Err.UNKNOWN_PATH(path=path, method=method)
            params = parse_params(scope.get("query_string", b""), raw_body)
            req = Request(method, path, ip, headers, scope.get("query_string", b""), raw_body, params)
            unit = headers.get("x-mbx-time-unit")
            if unit is not None:
                if unit not in _TIME_UNITS:
                    raise Err.INVALID_TIME_UNIT()
                req.time_unit_us = _TIME_UNITS[unit]
            weight = endpoint.weight_for(req)
            charged = True
            ctx.limiter.check_ip(ip, weight, now_ms)
            ctx.auth.authenticate(req, endpoint.security, endpoint.group)
            orders = endpoint.orders_for(req) if req.key is not None else 0
            if orders:
                counts = ctx.limiter.check_orders(req.key.account_id, orders, now_ms)
                extra += [(f"X-MBX-ORDER-COUNT-{s}".encode(), str(n).encode()) for s, n in counts.items()]
            result: Any = endpoint.handler(req, ctx)
            if endpoint.is_async:
                result = await result
            if endpoint.free_on_success:
                ctx.limiter.refund_ip(ip, weight, now_ms)
            status, payload = 200, orjson.dumps(result)
        except BinanceError as exc:
            error = exc
            if not charged:  # refused before its weight was known: it still costs weight, and a ban still holds
                try:
                    ctx.limiter.check_ip(ip, weight, now_ms)
                except BinanceError as limited:
                    error = limited
            code, note = error.code, getattr(error, "note", error.msg)
            if endpoint is None:  # the message echoes the raw path to its sender; the log keeps no copy
                note = UNKNOWN_ROUTE_NOTE
            status, payload = error.http_status, orjson.dumps(error.to_wire())
            extra += [(k.encode(), v.encode()) for k, v in error.headers.items()]
        except Exception:  # a bug must still answer in Binance's form, and be visible in our log
            log.exception("unhandled error on %s %s", method, logged_path)
            code, note = Err.UNKNOWN.code, "internal error"
            status, payload = 500, orjson.dumps(Err.UNKNOWN().to_wire())

        if req is not None and "headers" in req.extra:  # set by handlers that count orders themselves
            extra += req.extra["headers"]
        used = ctx.limiter.used_weight(ip, now_ms)
        for suffix, value in used.items():
            extra.append((f"X-MBX-USED-WEIGHT-{suffix}".encode(), str(value).encode()))
        if "1M" in used:
            extra.append((b"X-MBX-USED-WEIGHT", str(used["1M"]).encode()))
        await self._send(send, status, payload, extra)

        key = req.key if req is not None else None
        secured = endpoint is not None and endpoint.security is not Security.NONE
        if code != 0 or secured:
            latency_us = (time.perf_counter_ns() - started) // 1000
            masked = _masked(key.api_key) if key else mask_key(headers.get("x-mbx-apikey", ""))
            ctx.activity.record(
                ActivityRecord(now_ms, key.id if key else None, masked,
                               key.account_id if key else None, ip, method, logged_path, code, status, weight,
                               latency_us, note),
                in_grace=key is not None and key.status(now_ms) is KeyStatus.GRACE,
            )
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s %s %d code=%d key=%s ip=%s", method, logged_path, status, code,
                      key.masked if key else "-", ip)

    @staticmethod
    async def _send(send, status: int, payload: bytes, extra: list[tuple[bytes, bytes]], *,
                    kind: bytes = JSON) -> None:
        await send({
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", kind), (b"content-length", str(len(payload)).encode()), *extra],
        })
        await send({"type": "http.response.body", "body": payload})


def create_app(ctx: Context) -> MinanceApp:
    return MinanceApp(ctx)
