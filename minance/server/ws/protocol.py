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


def text_frame(data: bytes) -> bytes:
    """An unmasked, unfragmented WebSocket text frame (what a server sends)."""
    n = len(data)
    if n < 126:
        return b"\x81" + bytes((n,)) + data
    if n < 65536:
        return b"\x81\x7e" + n.to_bytes(2, "big") + data
    return b"\x81\x7f" + n.to_bytes(8, "big") + data


class Msg:
    """One outgoing JSON message, shared by every connection it goes to: serialized once, framed once."""

    __slots__ = ("_frame", "data")
    count = 1

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._frame: bytes | None = None

    @classmethod
    def of(cls, payload: object) -> Msg:
        return cls(orjson.dumps(payload))

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def frame(self) -> bytes:
        frame = self._frame
        if frame is None:
            frame = self._frame = text_frame(self.data)
        return frame

    def parts(self) -> tuple[Msg, ...]:
        return (self,)


class Batch:
    """Consecutive messages of one stream, queued and written as one unit (still one frame per message)."""

    __slots__ = ("_frame", "count", "msgs", "size")

    def __init__(self, msgs: list[Msg]) -> None:
        self.msgs = msgs
        self.count = len(msgs)
        self.size = sum(len(m.data) for m in msgs)
        self._frame: bytes | None = None

    @property
    def frame(self) -> bytes:
        frame = self._frame
        if frame is None:
            frame = self._frame = b"".join([m.frame for m in self.msgs])
        return frame

    def parts(self) -> list[Msg]:
        return self.msgs


class _Flusher:
    """Once per turn of the event loop: the streams hand what they published to their subscribers (one batch
    each), then every connection that got something is written, once.

    Under load (the last batch held several messages), stream batches wait up to ``linger_s`` after the
    previous ones went out, so that a burst of trades costs each subscriber one write instead of one per
    journal commit; at a quiet pace every message goes at once. Replies and user data (pushed to one
    connection) never wait.
    """

    BUSY = 4  # messages in a batch from which the next one lingers

    def __init__(self, linger_s: float = 0.005) -> None:
        self.linger_s = linger_s
        self._busy = False
        self._topics: list = []
        self._dirty: list[Connection] = []
        self._scheduled = False  # a run is due in this turn of the loop
        self._timer: asyncio.TimerHandle | None = None  # the streams' next batch is due later
        self._last_topics = 0.0  # loop time the topics last went out
        self._owner = None  # the event loop all this belongs to

    def _loop(self):
        """The running loop (RuntimeError without one: callers fall back); a new loop starts afresh."""
        loop = asyncio.get_running_loop()
        if loop is not self._owner:
            self._owner = loop
            self._topics, self._dirty, self._scheduled, self._timer = [], [], False, None
        return loop

    def _schedule(self) -> None:
        loop = self._loop()
        if not self._scheduled:
            loop.call_soon(self._run_soon)
            self._scheduled = True

    def _linger(self, loop) -> None:
        if self._timer is None:
            self._timer = loop.call_at(self._last_topics + self.linger_s, self._run_timer)

    def mark_topic(self, topic) -> None:
        loop = self._loop()
        if not self._topics:
            if not self._busy or loop.time() >= self._last_topics + self.linger_s:
                self._schedule()
            else:
                self._linger(loop)
        self._topics.append(topic)

    def mark(self, conn: Connection) -> None:
        self._schedule()
        self._dirty.append(conn)

    def _run_soon(self) -> None:
        loop = asyncio.get_running_loop()
        self._work(loop, not self._busy or loop.time() >= self._last_topics + self.linger_s)

    def _run_timer(self) -> None:
        self._timer = None
        self._work(asyncio.get_running_loop(), True)

    def _work(self, loop, topics_due: bool) -> None:
        try:
            while (topics_due and self._topics) or self._dirty:
                if topics_due and self._topics:
                    topics, self._topics = self._topics, []
                    self._last_topics = loop.time()
                    self._busy = sum(len(t._pending) for t in topics) >= self.BUSY
                    topics_due = False  # one batch per stream per linger
                    for topic in topics:
                        topic.flush()
                dirty, self._dirty = self._dirty, []
                for conn in dirty:
                    conn._flush()
            if self._topics:
                self._linger(loop)
        finally:
            self._scheduled = False


FLUSHER = _Flusher()


def _direct_protocol(send):
    """uvicorn's websockets-sansio protocol behind an ASGI ``send``, when that is what serves us.

    Fan-out sends each message to many connections; through ASGI every copy is framed again and written
    with its own system call. With the protocol at hand a message is framed once and each connection gets
    one write per turn of the loop with everything queued for it. Only data frames take this path (the
    protocol keeps no state about them); accept, close, pings and pongs stay the server's. Anything else
    (another server, another protocol class) uses plain ASGI sends.
    """
    proto = getattr(send, "__self__", None)
    if type(proto).__name__ != "WebSocketsSansIOProtocol":
        return None
    if not all(hasattr(proto, name) for name in ("transport", "writable", "close_sent", "conn")):
        return None
    if getattr(proto.conn, "extensions", None):  # a negotiated extension (compression) frames differently
        return None
    return proto


class Connection:
    """The sending half of one accepted WebSocket: push (never waits), drop, close; its writer task sends."""

    __slots__ = ("_abort_timer", "_bytes", "_close", "_count", "_dirty", "_on_drop", "_proto", "_queue", "_send",
                 "_waiting", "_wake", "dropped", "finished", "id", "ip", "limits", "open", "path", "sent")

    def __init__(self, send, ip: str, path: str, limits: WsLimits, *, direct: bool = True) -> None:
        self._send = send
        self.ip = ip
        self.path = path
        self.limits = limits
        self.id = next(_ids)
        self._proto = _direct_protocol(send) if direct else None
        self._queue: deque[Msg | Batch] = deque()
        self._bytes = 0
        self._count = 0
        self._wake = asyncio.Event()
        self._dirty = False  # marked for the flusher (direct path)
        self._waiting = False  # the transport is full: the writer task waits until it drains (direct path)
        self._close: tuple[int, str] | None = None
        self._on_drop: list[Callable[[], None]] = []
        self.open = True  # accepting messages
        self.dropped = False
        self.finished = False  # the peer is gone (the session saw the disconnect)
        self._abort_timer: asyncio.TimerHandle | None = None
        self.sent = 0

    def __repr__(self) -> str:
        # only the route: /ws/<listenKey> carries a credential to a private stream, which must not reach a log
        route = self.path.lstrip("/").split("/", 1)[0]
        return f"Connection#{self.id}({self.ip} /{route})"

    @property
    def direct(self) -> bool:
        return self._proto is not None

    def on_drop(self, callback: Callable[[], None]) -> None:
        """Called once when the connection stops accepting messages (dropped or closing)."""
        self._on_drop.append(callback)

    # -- producers ---------------------------------------------------------------------------------------
    def push(self, msg: Msg | Batch) -> None:
        if not self.open:
            return
        self._queue.append(msg)
        self._count += msg.count
        self._bytes += msg.size
        limits = self.limits
        if (limits.send_queue and self._count > limits.send_queue) or \
                (limits.send_queue_bytes and self._bytes > limits.send_queue_bytes):
            self.drop(f"Slow consumer: more than {limits.send_queue} messages or {limits.send_queue_bytes} bytes "
                      f"waiting to be sent")
            return
        if self._proto is not None:
            if not self._dirty:
                self._dirty = True
                try:
                    FLUSHER.mark(self)
                except RuntimeError:  # no loop (unit tests): the writer task sends
                    self._dirty = False
                    self._wake.set()
        else:
            self._wake.set()

    def push_json(self, payload: object) -> None:
        self.push(Msg.of(payload))

    def pending(self) -> int:
        return self._count

    # -- the direct path ---------------------------------------------------------------------------------
    def _flush(self) -> None:
        self._dirty = False
        if not self._queue or self._waiting:
            return
        proto = self._proto
        if proto.close_sent or proto.transport.is_closing():
            self.open = False
            self._queue.clear()
            return
        if not proto.writable.is_set():  # the peer reads slower than we write: wait, and let the queue grow
            self._waiting = True
            self._wake.set()
            return
        self._write_direct()

    def _write_direct(self) -> None:
        queue = self._queue
        data = queue[0].frame if len(queue) == 1 else b"".join([m.frame for m in queue])
        queue.clear()
        self.sent += self._count
        self._bytes = self._count = 0
        self._proto.transport.write(data)

    # -- ending ------------------------------------------------------------------------------------------
    def drop(self, reason: str) -> None:
        """Too slow: forget what is queued, stop accepting, close with 1008 and ``reason``."""
        if self.dropped or not self.open:
            return
        self.dropped = True
        log.warning("dropping %r: %s", self, reason)
        self._queue.clear()
        self._bytes = self._count = 0
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
        """ASGI path: send each queued message. Direct path: wait for a full transport to drain. Both: close."""
        send = self._send
        queue = self._queue
        wake = self._wake
        proto = self._proto
        try:
            while True:
                await wake.wait()
                wake.clear()
                if proto is not None:
                    if queue:
                        await proto.writable.wait()
                        self._waiting = False
                        if proto.close_sent or proto.transport.is_closing():
                            self.open = False
                            queue.clear()
                        elif queue:
                            self._write_direct()
                else:
                    while queue:
                        item = queue.popleft()
                        self._bytes -= item.size
                        self._count -= item.count
                        for msg in item.parts():
                            await send({"type": "websocket.send", "text": msg.data.decode()})
                            self.sent += 1
                if self._close is not None and not queue:
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
