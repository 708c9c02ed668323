"""Connection guard for uvicorn's HTTP protocol: read timeouts and a per-IP connection cap.

uvicorn times out only idle keep-alive connections: a client that opens a socket and sends half a request line,
a few header bytes or part of a body holds the connection (and a file descriptor) forever. The guarded protocol
closes a connection whose request headers are not complete ``header_timeout_s`` after the connection opened or
the request began, and one whose body is not complete ``body_timeout_s`` after its headers. A request cut off
this way never reaches the app (``server.request.read_body`` refuses a body that ended in a disconnect,
for every route).

Each client IP (the socket peer) may hold ``max_per_ip`` connections, WebSocket connections included. One more
is refused cleanly: it gets ``429`` with Binance's ``{"code": -1003, "msg": ...}`` body and ``Connection:
close`` as soon as its request headers arrive, then the server half-closes and drops it. Behind a reverse proxy
every client shares the proxy's address, so raise the cap or set it to 0 (no cap) there.

Timers cost nothing on the hot path: a request that arrives whole in one read arms none.
"""

from __future__ import annotations

import asyncio
import logging

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.utils import get_remote_addr

from minance.domain.errors import Err

__all__ = ["ConnectionRegistry", "guarded_protocol"]

log = logging.getLogger("minance.server")

_IDLE, _HEADERS, _BODY = 0, 1, 2
_DRAIN_BYTES = 64 * 1024  # what a refused connection may send before its headers end; then it is dropped


class ConnectionRegistry:
    """Open transports per client IP. A transport that became a WebSocket leaves the HTTP protocol without a
    ``connection_lost``, so closed transports are also pruned when an IP reaches its cap."""

    def __init__(self, max_per_ip: int) -> None:
        self.max_per_ip = max_per_ip
        self._by_ip: dict[str, set[asyncio.BaseTransport]] = {}
        self._warned: dict[str, float] = {}  # when each refused IP was last logged: one line a minute, not a flood

    def admit(self, ip: str, transport: asyncio.BaseTransport) -> bool:
        conns = self._by_ip.setdefault(ip, set())
        if self.max_per_ip and len(conns) >= self.max_per_ip:
            conns.difference_update([t for t in conns if t.is_closing()])
            if len(conns) >= self.max_per_ip:
                return False
        conns.add(transport)
        return True

    def release(self, ip: str, transport: asyncio.BaseTransport) -> None:
        conns = self._by_ip.get(ip)
        if conns is not None:
            conns.discard(transport)
            if not conns:
                del self._by_ip[ip]

    def should_log(self, ip: str, now: float) -> bool:
        if now - self._warned.get(ip, float("-inf")) < 60:
            return False
        if len(self._warned) > 10_000:
            self._warned.clear()
        self._warned[ip] = now
        return True

    def count(self, ip: str) -> int:
        return sum(1 for t in self._by_ip.get(ip, ()) if not t.is_closing())


def _refusal(max_per_ip: int) -> bytes:
    body = orjson.dumps(Err.CONNECTION_LIMIT(limit=max_per_ip).to_wire())
    return (b"HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\nretry-after: 1\r\n"
            b"connection: close\r\ncontent-length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def guarded_protocol(header_timeout_s: float, body_timeout_s: float, max_per_ip: int,
                     registry: ConnectionRegistry | None = None) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with the guard, for ``uvicorn.run(..., http=<this class>)``.
    A timeout of 0 disables it; ``max_per_ip`` 0 means no cap."""
    conns = registry or ConnectionRegistry(max_per_ip)
    refusal = _refusal(max_per_ip)

    class GuardedHttpProtocol(HttpToolsProtocol):
        registry = conns

        def connection_made(self, transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._phase = _HEADERS  # waiting for the first request line counts as reading headers
            self._timer: asyncio.TimerHandle | None = None
            self._refused = False
            self._drained = 0
            self._tail = b""  # the last bytes a refused connection sent: its blank line may span two reads
            addr = get_remote_addr(transport)
            self._ip = addr[0] if addr else ""
            if not conns.admit(self._ip, transport):
                self._refused = True
                if conns.should_log(self._ip, self.loop.time()):
                    log.warning("refusing connections from %s: %d open (MINANCE_CONNECTIONS_PER_IP)",
                                self._ip, max_per_ip)
            self._arm(header_timeout_s)

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel()
            if not self._refused:
                conns.release(self._ip, self.transport)
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._refused:
                self._refuse(data)
                return
            super().data_received(data)
            if self._phase == _IDLE:
                self._cancel()
            elif self._timer is None and not self.transport.is_closing():
                self._arm(header_timeout_s if self._phase == _HEADERS else body_timeout_s)

        # httptools callbacks: where the request being read stands
        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._phase = _HEADERS

        def on_headers_complete(self) -> None:
            self._phase = _BODY
            self._cancel()  # the body gets its own deadline, armed after this read if it is still incomplete
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._phase = _IDLE
            super().on_message_complete()

        def handle_websocket_upgrade(self) -> None:
            self._phase = _IDLE
            self._cancel()
            super().handle_websocket_upgrade()

        # the guard
        def _arm(self, timeout_s: float) -> None:
            if timeout_s > 0:
                self._timer = self.loop.call_later(timeout_s, self._read_timed_out)

        def _cancel(self) -> None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

        def _read_timed_out(self) -> None:
            self._timer = None
            if not self.transport.is_closing():
                if not self._refused:
                    log.debug("closed a connection from %s: request %s not received in time", self._ip,
                              "headers" if self._phase == _HEADERS else "body")
                self.transport.close()

        def _refuse(self, data: bytes) -> None:
            """Answer 429 once the request headers are in, half-close, and drop whatever else comes."""
            self._drained += len(data)
            window, self._tail = self._tail + data, (self._tail + data)[-3:]
            if self._drained > _DRAIN_BYTES:
                self.transport.close()
            elif self._phase == _HEADERS and (b"\r\n\r\n" in window or b"\n\n" in window):
                self._phase = _IDLE
                self.transport.write(refusal)
                if self.transport.can_write_eof():
                    self.transport.write_eof()  # the client reads the answer; its FIN or the timer ends it
                else:
                    self.transport.close()

    return GuardedHttpProtocol
