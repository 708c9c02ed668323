"""One WebSocket connection over ASGI: a bounded outbound queue drained by the connection's own writer task.

Producers (the engine's event listener, the periodic stream task, request handlers) only ever call
:meth:`Connection.push`, which appends to a deque and never waits: the engine never waits for a socket.
The writer task hands queued messages to the server one by one, in order; when the peer reads slower than
messages arrive, the server's transport buffer fills, the writer blocks and the queue grows. Past
``send_queue`` messages or ``send_queue_bytes`` bytes the connection is dropped: the queue is discarded, the
producers forget it at once, and a close frame (1008, the reason in words) follows what the transport already
holds. A peer that does not read even that within ``CLOSE_GRACE_S`` has its transport aborted.

Pings, pongs and the dead-peer timeout are the server's (uvicorn's ``ws_ping_interval``/``ws_ping_timeout``):
ASGI gives an application no access to control frames.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import orjson

log = logging.getLogger("minance.ws")

CLOSE_GRACE_S = 5.0  # how long a closing connection may take to go away before its socket is aborted
JSON_CONTENT = b"application/json;charset=UTF-8"

# close codes (RFC 6455)
NORMAL = 1000
GOING_AWAY = 1001
POLICY = 1008


@dataclass(frozen=True, slots=True)
class WsLimits:
    """Binance's WebSocket limits, configurable (0 = unlimited)."""

    send_queue: int = 4096
    send_queue_bytes: int = 8 * 1024 * 1024
    messages_per_s: int = 5
    max_streams: int = 1024
    lifetime_s: float = 86400.0
    connections_per_5m: int = 300

    @classmethod
    def from_settings(cls, settings) -> WsLimits:
        enforce = settings.rate_limits
        return cls(send_queue=settings.ws_send_queue, send_queue_bytes=settings.ws_send_queue_bytes,
                   messages_per_s=settings.ws_messages_per_s if enforce else 0,
                   max_streams=settings.ws_max_streams, lifetime_s=settings.ws_lifetime_s,
                   connections_per_5m=settings.ws_connections_per_5m if enforce else 0)


class ConnectionAttempts:
    """WebSocket handshakes per IP in fixed 5-minute windows aligned to the clock (like the other limits)."""

    WINDOW_MS = 300_000

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._window = -1
        self._counts: dict[str, int] = {}

    def allow(self, ip: str, now_ms: int) -> bool:
        if not self.limit:
            return True
        window = now_ms // self.WINDOW_MS
        if window != self._window:
            self._window, self._counts = window, {}
        count = self._counts.get(ip, 0) + 1
        self._counts[ip] = count
        return count <= self.limit

    def retry_after_s(self, now_ms: int) -> int:
        return max(1, -(-(self.WINDOW_MS - now_ms % self.WINDOW_MS) // 1000))


class MessageRate:
    """Incoming messages per connection per (clock-aligned) second."""

    __slots__ = ("_count", "_second", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._second = -1
        self._count = 0

    def allow(self, now_ms: int) -> bool:
        if not self.limit:
            return True
        second = now_ms // 1000
        if second != self._second:
            self._second, self._count = second, 0
        self._count += 1
        return self._count <= self.limit


_ids = itertools.count(1)


def _run_callbacks(callbacks: list[Callable[[], None]]) -> None:
    for callback in callbacks:
        try:
            callback()
        except Exception:  # cleanup of one subscriber must not prevent the others
            log.exception("connection cleanup failed")


class Connection:
    """The sending half of one accepted WebSocket: push (never waits), drop, close; a writer task sends."""

    __slots__ = ("_abort_timer", "_bytes", "_close", "_on_drop", "_queue", "_send", "_wake", "dropped", "finished",
                 "id", "ip", "limits", "open", "path", "sent")

    def __init__(self, send, ip: str, path: str, limits: WsLimits) -> None:
        self._send = send
        self.ip = ip
        self.path = path
        self.limits = limits
        self.id = next(_ids)
        self._queue: deque[str] = deque()
        self._bytes = 0
        self._wake = asyncio.Event()
        self._close: tuple[int, str] | None = None
        self._on_drop: list[Callable[[], None]] = []
        self.open = True  # accepting messages
        self.dropped = False
        self.finished = False  # the peer is gone (the session saw the disconnect)
        self._abort_timer: asyncio.TimerHandle | None = None
        self.sent = 0

    def __repr__(self) -> str:
        return f"Connection#{self.id}({self.ip} {self.path})"

    def on_drop(self, callback: Callable[[], None]) -> None:
        """Called once when the connection stops accepting messages (dropped or closing)."""
        self._on_drop.append(callback)

    # -- producers ---------------------------------------------------------------------------------------
    def push(self, text: str) -> None:
        if not self.open:
            return
        queue = self._queue
        queue.append(text)
        self._bytes += len(text)
        limits = self.limits
        if (limits.send_queue and len(queue) > limits.send_queue) or \
                (limits.send_queue_bytes and self._bytes > limits.send_queue_bytes):
            self.drop(f"Slow consumer: more than {len(queue) - 1} messages ({self._bytes} bytes) waiting to be sent")
            return
        self._wake.set()

    def push_json(self, payload: object) -> None:
        self.push(orjson.dumps(payload).decode())

    def pending(self) -> int:
        return len(self._queue)

    # -- ending ------------------------------------------------------------------------------------------
    def drop(self, reason: str) -> None:
        """Too slow: forget what is queued, stop accepting, close with 1008 and ``reason``."""
        if self.dropped or not self.open:
            return
        self.dropped = True
        log.warning("dropping %r: %s", self, reason)
        self._queue.clear()
        self._bytes = 0
        self._end(POLICY, reason)

    def close(self, code: int = NORMAL, reason: str = "") -> None:
        """Send what is queued, then a close frame."""
        if self.open:
            self._end(code, reason)

    def _end(self, code: int, reason: str) -> None:
        self.open = False
        self._close = (code, reason[:123])  # a close reason has at most 123 bytes
        self._wake.set()
        self._abort_later()  # the writer may be stuck behind a full transport: a peer that reads nothing is cut
        callbacks, self._on_drop = self._on_drop, []
        if callbacks:
            # later, not now: we may be inside a producer that is iterating over its subscribers
            try:
                asyncio.get_running_loop().call_soon(_run_callbacks, callbacks)
            except RuntimeError:  # no loop (unit tests)
                _run_callbacks(callbacks)

    # -- the writer task ---------------------------------------------------------------------------------
    async def run_writer(self) -> None:
        send = self._send
        queue = self._queue
        wake = self._wake
        try:
            while True:
                await wake.wait()
                wake.clear()
                while queue:
                    text = queue.popleft()
                    self._bytes -= len(text)
                    await send({"type": "websocket.send", "text": text})
                    self.sent += 1
                if self._close is not None:
                    code, reason = self._close
                    await send({"type": "websocket.close", "code": code, "reason": reason})
                    return
        except asyncio.CancelledError:
            raise
        except Exception:  # the peer went away under us (ClientDisconnected, closed transport)
            self.open = False
            self._queue.clear()

    def _abort_later(self) -> None:
        if self._abort_timer is None and not self.finished:
            try:
                self._abort_timer = asyncio.get_running_loop().call_later(CLOSE_GRACE_S, self.abort)
            except RuntimeError:  # no loop (unit tests)
                pass

    def finish(self) -> None:
        """The peer is gone: nothing more to send or abort."""
        self.finished = True
        self.open = False
        self._queue.clear()
        if self._abort_timer is not None:
            self._abort_timer.cancel()
            self._abort_timer = None

    def abort(self) -> None:
        """Cut the socket of a peer that reads nothing, not even our close frame.

        ASGI offers no way to do it, so this reaches the server's transport when it can (uvicorn's
        protocols expose it); otherwise the connection lingers with a bounded buffer until the peer
        goes away or the ping timeout closes it.
        """
        self._abort_timer = None
        if self.finished:
            return
        transport = getattr(getattr(self._send, "__self__", None), "transport", None)
        abort = getattr(transport, "abort", None)
        if abort is not None:
            log.warning("aborting %r: it does not read", self)
            abort()


async def reject_handshake(scope: dict, send, status: int, body: dict, headers: list | None = None) -> None:
    """Refuse a WebSocket before accepting it: an HTTP response with Binance's JSON error when the server
    supports the ASGI ``websocket.http.response`` extension, otherwise a bare refusal (HTTP 403)."""
    if "websocket.http.response" in (scope.get("extensions") or {}):
        payload = orjson.dumps(body)
        await send({"type": "websocket.http.response.start", "status": status,
                    "headers": [(b"content-type", JSON_CONTENT), *(headers or [])]})
        await send({"type": "websocket.http.response.body", "body": payload})
    else:
        await send({"type": "websocket.close", "code": POLICY})
