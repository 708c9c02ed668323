"""The ASGI ``websocket`` entry: routing, handshake limits, and the receive loop of every connection.

``/ws``, ``/ws/<stream>[/<stream>…]`` and ``/ws/<anything>`` are raw market streams; ``/stream?streams=a/b``
combined ones; ``/ws-api/v3`` the WebSocket API. Before accepting: at most ``connections_per_5m`` handshakes
per IP per 5 minutes (429), and a WebSocket API handshake costs 2 REQUEST_WEIGHT like Binance's (429/418
when over). After accepting: each connection lives at most ``lifetime_s`` (Binance: 24 h).
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import parse_qs

from minance.domain.errors import BinanceError, Err
from minance.server.ws.api import ApiSession, WsApi
from minance.server.ws.fanout import StreamHub
from minance.server.ws.market import StreamSession
from minance.server.ws.protocol import (
    FLUSHER,
    GOING_AWAY,
    NORMAL,
    Connection,
    ConnectionAttempts,
    WsLimits,
    reject_handshake,
)
from minance.server.ws.relay import DurableRelay
from minance.server.ws.user_stream import UserStreams

log = logging.getLogger("minance.ws")

API_PATHS = ("/ws-api/v3", "/ws-api/v3/")
HANDSHAKE_WEIGHT = 2
_TIME_UNITS = {"MICROSECOND": True, "microsecond": True, "MILLISECOND": False, "millisecond": False}


class WsGateway:
    def __init__(self, ctx, routes, client_ip) -> None:
        self.ctx = ctx
        self.client_ip = client_ip  # (scope, headers) -> the client's address, by the REST rules
        self.limits = WsLimits.from_settings(ctx.settings)
        FLUSHER.linger_s = max(0.0, ctx.settings.ws_linger_ms / 1000)
        self.attempts = ConnectionAttempts(self.limits.connections_per_5m)
        self.hub = StreamHub(ctx.venue.engine, ctx.venue.history, ctx.clock)
        self.users = UserStreams(ctx.listen_keys, ctx.clock)
        self.api = WsApi(ctx, routes, self.users)
        self.connections: set[Connection] = set()
        # engine events reach the streams once durable (see relay.py)
        ctx.venue.subscribe(DurableRelay(ctx.venue.journal, [self.hub.on_events, self.users.on_events],
                                         lambda: self.hub.wants_events() or self.users.wants_events()))
        self.hub.every_second(self.users.sweep)
        # fail-stop: the engine now holds what the journal does not, so no stream may render it (not even a
        # partial book): every connection is closed at once, before the server goes down
        ctx.venue.when_failed(lambda _: asyncio.get_running_loop().create_task(self.stop()))

    def start(self) -> None:
        self.hub.start()

    async def stop(self) -> None:
        """Server shutdown: Binance's ``serverShutdown`` event, then a going-away close."""
        now = self.ctx.clock.now_ms()
        for conn in list(self.connections):
            conn.push_json({"e": "serverShutdown", "E": now})
            conn.close(GOING_AWAY, "Server shutdown")
        await self.hub.stop()

    # -- one connection -------------------------------------------------------------------------------------------
    async def __call__(self, scope: dict, receive, send) -> None:
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        path: str = scope.get("path", "")
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        ip = self.client_ip(scope, headers)
        now = self.ctx.clock.now_ms()

        is_api = path in API_PATHS
        if is_api:
            kind = "api"
        elif path == "/ws" or path.startswith("/ws/"):
            kind = "raw"
        elif path in ("/stream", "/stream/"):
            kind = "combined"
        else:
            error = Err.UNKNOWN_WS_PATH(path=path)
            await reject_handshake(scope, send, error.http_status, error.to_wire())
            return
        if not self.attempts.allow(ip, now):
            retry = self.attempts.retry_after_s(now)
            error = Err.WS_CONNECTION_LIMIT(limit=self.limits.connections_per_5m, per="5 MINUTE")
            await reject_handshake(scope, send, error.http_status, error.to_wire(),
                                   [(b"retry-after", str(retry).encode())])
            return
        time_unit = (query.get("timeUnit") or [None])[0]
        if time_unit is not None and time_unit not in _TIME_UNITS:
            error = Err.INVALID_TIME_UNIT()
            await reject_handshake(scope, send, error.http_status, error.to_wire())
            return
        if is_api:
            try:
                self.ctx.limiter.check_ip(ip, HANDSHAKE_WEIGHT, now)
            except BinanceError as exc:
                await reject_handshake(scope, send, exc.http_status, exc.to_wire(),
                                       [(k.lower().encode(), v.encode()) for k, v in exc.headers.items()])
                return

        await send({"type": "websocket.accept"})
        conn = Connection(send, ip, path, self.limits)
        if is_api:
            rrl = (query.get("returnRateLimits") or ["true"])[0].lower() != "false"
            session: ApiSession | StreamSession = ApiSession(self.api, conn, time_unit_us=bool(_TIME_UNITS.get(
                time_unit or "", False)), return_rate_limits=rrl, connected_ms=now)
        else:
            session = StreamSession(self, conn, combined=kind == "combined",
                                    micros=bool(_TIME_UNITS.get(time_unit or "", False)))
            if kind == "raw":
                names = path[len("/ws/"):].split("/") if path.startswith("/ws/") else []
            else:
                names = [n for v in query.get("streams", []) for n in v.split("/")]
            session.open(names)
        await self._serve(conn, session, receive)

    async def _serve(self, conn: Connection, session, receive) -> None:
        loop = asyncio.get_running_loop()
        writer = loop.create_task(conn.run_writer(), name=f"ws-writer-{conn.id}")
        lifetime = None
        if self.limits.lifetime_s:
            lifetime = loop.call_later(self.limits.lifetime_s, conn.close, NORMAL,
                                       "Connection lifetime ended; reconnect")
        self.connections.add(conn)
        clock = self.ctx.clock
        is_api = isinstance(session, ApiSession)
        try:
            while True:
                message = await receive()
                kind = message["type"]
                if kind == "websocket.disconnect":
                    break
                if kind != "websocket.receive" or not conn.open:
                    continue
                text = message.get("text")
                if text is None and message.get("bytes") is not None and not is_api:
                    try:
                        text = message["bytes"].decode()
                    except UnicodeDecodeError:
                        text = None
                if is_api:
                    await session.on_message(text)
                else:
                    session.on_message(text, clock.now_ms())
        finally:
            self.connections.discard(conn)
            conn.finish()
            if lifetime is not None:
                lifetime.cancel()
            session.close()
            writer.cancel()
