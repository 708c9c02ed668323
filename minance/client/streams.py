"""Binance Spot WebSocket streams for the SDK: market streams and user data, typed, reconnecting, gap-aware.

>>> async with AsyncStreams(api_key, api_secret, target="local") as streams:      # doctest: +SKIP
...     bars = streams.subscribe_klines("BTCUSDT", "1m")          # KlineEvent (closed ones: ev.closed)
...     quotes = streams.subscribe_book_ticker(["BTCUSDT", "ETHUSDT"])  # BookTickerEvent
...     book = streams.subscribe_depth("BTCUSDT")                 # DepthUpdate; book.book is the LocalOrderBook
...     user = streams.user_data(symbols=["BTCUSDT"])             # ExecutionReport, AccountPosition, ...
...     await user.ready()                                        # subscribed (and the REST baseline taken)
...     async for event in user: ...                              # or: await user.next(timeout=5)

Blocking code uses :class:`~minance.client.streams_sync.Streams` (same methods; a background event loop).

* Every ``subscribe_*`` / ``user_data`` call returns a :class:`Subscription` with its own connection:
  ``async for`` / ``await sub.next(timeout)``, or pass ``on_event=callback`` (plain or ``async``; events then
  go to the callback only; otherwise they wait in the subscription's queue until read). ``await sub.ready()``
  waits for the connection (and its subscription); ``await sub.close()`` ends it; ``sub.reconnects`` counts
  reconnections; ``sub.ended`` / ``sub.error`` say whether and why it stopped for good.
* Market streams: ``subscribe_klines(symbol, interval)``, ``subscribe_book_ticker(symbols)``,
  ``subscribe_trades(symbol)``, ``subscribe_agg_trades(symbol)``, ``subscribe_depth(symbol)``.
* Reconnect: any drop (network, server restart, the 24 h limit, ``serverShutdown``) reconnects with
  exponential back-off and jitter (:class:`Backoff`); bad credentials end the subscription with the error.
* Gaps: kline bars whose close was not seen (a disconnection, a skipped beat) are backfilled from REST
  (``synthetic=True``), so closed bars arrive one per interval, in order, none twice; trade and
  aggTrade id jumps yield a :class:`~minance.client.stream_events.StreamGap`; the depth book is kept from a
  REST snapshot plus diffs and re-synced on any update-id gap (a ``StreamGap`` is yielded).
* User data: the WebSocket API's ``userDataStream.subscribe.signature`` (default) or a legacy listen key
  (``listen_key=True``). After a reconnect, REST (openOrders, account, myTrades since the last trade id of each
  watched symbol) says what was missed: synthetic ``ExecutionReport``s and an ``AccountPosition``, then a
  :class:`~minance.client.stream_events.Reconciled` summary (see :mod:`minance.client.reconcile`).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import json
import logging
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Generic, Self, TypeVar

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from minance.client.async_ import AsyncClient
from minance.client.errors import (
    ApiError,
    AuthError,
    ClientError,
    IpBannedError,
    ResponseFormatError,
    StopError,
    TimestampError,
    TransportError,
    error_class_for,
)
from minance.client.orderbook import BookGap, LocalOrderBook
from minance.client.reconcile import UserState
from minance.client.signer import Signer, ws_payload
from minance.client.stream_events import (
    AggTradeEvent,
    DepthUpdate,
    KlineEvent,
    MarketEvent,
    StreamGap,
    TradeEvent,
    UserEvent,
    parse_market,
    parse_user,
)
from minance.client.targets import Target

__all__ = ["AsyncStreams", "Backoff", "StreamError", "Subscription", "ws_urls"]

log = logging.getLogger("minance.streams")
# the websockets library logs handshakes (the request line, which holds a listen key) at DEBUG: its records are
# not even made, whatever level the application's logging is at
_wire_log = logging.getLogger("minance.streams.wire")
_wire_log.setLevel(logging.CRITICAL + 1)
_wire_log.propagate = False
E = TypeVar("E")
_CLOSED = object()  # queue sentinel: the subscription ended
_ids = itertools.count(1)
WS_URLS = {"testnet": ("wss://stream.testnet.binance.vision", "wss://ws-api.testnet.binance.vision/ws-api/v3"),
           "live": ("wss://stream.binance.com:9443", "wss://ws-api.binance.com:443/ws-api/v3")}


def _fatal(exc: ApiError) -> bool:
    """Reconnecting will not help (bad key or signature, no permission, an IP ban), but a clock drift will."""
    return isinstance(exc, AuthError | StopError | IpBannedError) and not isinstance(exc, TimestampError)


_UNIT_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}


def interval_ms(interval: str) -> int | None:
    """A kline interval's length (``1m`` → 60000); None for ``1M`` (calendar months) or an unknown one."""
    unit = interval[-1:]
    if unit not in _UNIT_MS or not interval[:-1].isdigit():
        return None
    return int(interval[:-1]) * _UNIT_MS[unit]


class StreamError(ClientError):
    """A subscription ended for good (bad credentials, refused subscription); raised by ``next()``."""


def ws_urls(target: Target) -> tuple[str, str]:
    """(market streams base, WebSocket API URL) for a target: minance serves both on its REST port."""
    if target.name in WS_URLS:
        return WS_URLS[target.name]
    base = "ws" + target.base_url.removeprefix("http")
    return base, base + "/ws-api/v3"


@dataclass(frozen=True, slots=True)
class Backoff:
    """Reconnect delays: ``initial_s × factor^attempt`` capped at ``max_s``, ± ``jitter`` (a fraction)."""

    initial_s: float = 0.25
    factor: float = 2.0
    max_s: float = 30.0
    jitter: float = 0.2

    def delay(self, attempt: int) -> float:
        base = min(self.max_s, self.initial_s * self.factor ** min(attempt, 32))
        return max(0.0, base * (1 + random.uniform(-self.jitter, self.jitter)))  # noqa: S311 - not crypto


class Subscription(Generic[E]):
    """One connection's events. Async-iterable; see the module docstring."""

    def __init__(self, owner: AsyncStreams, name: str, on_event: Callable[[E], Any] | None = None) -> None:
        self.name = name
        self.reconnects = 0
        self._owner = owner
        self._on_event = on_event
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._connected = asyncio.Event()
        self._ws: ClientConnection | None = None
        self._error: BaseException | None = None
        self._closing = False
        self._down_since: float | None = None
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"stream {name}")

    def __repr__(self) -> str:
        return f"Subscription({self.name}, connected={self.connected}, reconnects={self.reconnects})"

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    @property
    def ended(self) -> bool:
        """True once the subscription stopped for good (closed, or a :class:`StreamError`)."""
        return self._task.done()

    @property
    def error(self) -> BaseException | None:
        """Why it ended, when it ended on an error (bad credentials, a refused subscription)."""
        return self._error

    async def ready(self, timeout: float | None = 10.0) -> None:
        """Wait until connected and subscribed (raises the subscription's error, or TimeoutError)."""
        waiter = asyncio.ensure_future(self._connected.wait())
        done, _ = await asyncio.wait({waiter, self._task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if self._error is not None:
            raise self._error
        if not done:
            raise TimeoutError(f"{self.name}: not connected within {timeout}s")

    async def next(self, timeout: float | None = None) -> E:
        """The next event; raises TimeoutError, the subscription's error, or StopAsyncIteration once closed."""
        item = await asyncio.wait_for(self._queue.get(), timeout)
        if item is _CLOSED:
            self._queue.put_nowait(_CLOSED)  # keep telling later callers
            if self._error is not None:
                raise self._error
            raise StopAsyncIteration
        return item

    def __aiter__(self) -> AsyncIterator[E]:
        return self

    async def __anext__(self) -> E:
        return await self.next()

    async def drop(self) -> None:
        """Close the current connection as a network failure would (it reconnects): for tests and rotation."""
        if self._ws is not None:
            self._ws.transport.abort()

    async def close(self) -> None:
        self._closing = True
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task
        self._queue.put_nowait(_CLOSED)
        self._owner._forget(self)

    # -- the connection loop -----------------------------------------------------------------
    async def _emit(self, event: E) -> None:
        if self._on_event is None:
            self._queue.put_nowait(event)
            return
        try:
            result = self._on_event(event)
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("%s: the event callback raised", self.name)

    async def _run(self) -> None:
        attempt = 0
        try:
            while not self._closing:
                try:
                    await self._prepare()
                    async with connect(self._url(), open_timeout=10, compression=None, max_size=2 ** 24,
                                       ping_interval=20, ping_timeout=20, close_timeout=2, proxy=None,
                                       logger=_wire_log) as ws:
                        self._ws = ws
                        await self._on_open(ws)
                        attempt = 0
                        self._down_since = None
                        self._connected.set()
                        async for message in ws:
                            await self._on_message(orjson.loads(message))
                except StreamError as exc:
                    self._error = exc
                    return
                except (OSError, WebSocketException, TimeoutError, TransportError, ResponseFormatError,
                        ApiError, ValueError) as exc:
                    if isinstance(exc, ApiError) and _fatal(exc):
                        self._error = StreamError(f"{self.name}: {exc.code} {exc.msg}")
                        return
                    log.info("%s: connection lost (%s); reconnecting", self.name, type(exc).__name__)
                finally:
                    self._ws = None
                    if self._connected.is_set():
                        self._connected.clear()
                        self._down_since = time.monotonic()
                if self._closing:
                    return
                delay = self._owner.backoff.delay(attempt)
                attempt += 1
                self.reconnects += 1 if attempt == 1 else 0
                await asyncio.sleep(delay)
        finally:
            if self._error is not None or not self._closing:
                self._queue.put_nowait(_CLOSED)

    def _url(self) -> str:
        raise NotImplementedError

    async def _prepare(self) -> None:
        """Called before every connection attempt (e.g. to get a listen key)."""

    async def _on_open(self, ws: ClientConnection) -> None:
        """Called on every (re)connection before messages are read."""

    async def _on_message(self, message: Any) -> None:
        raise NotImplementedError

    def _parse(self, parse: Callable[[], Any]) -> Any:
        """One payload's event, or None (logged) when it is malformed: one bad message is no reason to reconnect."""
        try:
            return parse()
        except ResponseFormatError as exc:
            log.warning("%s: skipped a malformed message (%s)", self.name, exc)
            return None

    def _down_ms(self) -> int:
        return int((time.monotonic() - self._down_since) * 1000) if self._down_since is not None else 0


class MarketSubscription(Subscription[MarketEvent]):
    """Combined market streams (``/stream?streams=a/b``); trade id gaps reported; klines backfilled."""

    def __init__(self, owner: AsyncStreams, streams: list[str], on_event: Callable[[Any], Any] | None) -> None:
        self.streams = streams
        self._last_id: dict[str, int] = {}
        self._last_closed: dict[str, int] = {}  # stream → open time of the last closed bar emitted
        super().__init__(owner, "/".join(streams), on_event)

    def _url(self) -> str:
        return f"{self._owner.stream_url}/stream?streams={'/'.join(self.streams)}"

    async def _on_message(self, message: Any) -> None:
        if not isinstance(message, dict) or "stream" not in message:
            return  # control answers, serverShutdown (the close follows)
        stream = message["stream"]
        event = self._parse(lambda: parse_market(stream, message["data"]))
        if event is None:
            return
        if isinstance(event, KlineEvent):
            await self._kline(stream, event)
            return
        ident = event.trade_id if isinstance(event, TradeEvent) else \
            event.agg_id if isinstance(event, AggTradeEvent) else None
        if ident is not None:
            last = self._last_id.get(stream)
            if last is not None and ident > last + 1:
                await self._emit(StreamGap(stream, last + 1, ident))
            self._last_id[stream] = max(ident, last or ident)
        await self._emit(event)

    async def _kline(self, stream: str, event: KlineEvent) -> None:
        last = self._last_closed.get(stream)
        step = interval_ms(event.interval)
        if last is not None and step and event.kline.open_time > last + step:
            # bars closed that we never saw closing (we were disconnected, or the server skipped a beat): REST
            bars = await self._owner.client.klines(event.symbol, event.interval, start_time=last + 1, limit=1000)
            for bar in bars:
                if last < bar.open_time < event.kline.open_time:
                    await self._emit(KlineEvent(event.symbol, event.interval, bar, True, event.event_time,
                                                synthetic=True))
                    self._last_closed[stream] = bar.open_time
        if event.closed:
            if event.kline.open_time <= self._last_closed.get(stream, -1):
                return  # already emitted (e.g. backfilled)
            self._last_closed[stream] = event.kline.open_time
        await self._emit(event)


class DepthSubscription(Subscription[DepthUpdate | StreamGap]):
    """``<symbol>@depth@100ms`` kept as a :class:`LocalOrderBook` (``self.book``) from a REST snapshot."""

    def __init__(self, owner: AsyncStreams, symbol: str, limit: int, on_event: Callable[[Any], Any] | None) -> None:
        self.book = LocalOrderBook(symbol)
        self.symbol = symbol
        self._limit = limit
        self._stream = f"{symbol.lower()}@depth@100ms"
        self._buffer: list[DepthUpdate] = []
        self._sync_task: asyncio.Task | None = None
        super().__init__(owner, self._stream, on_event)

    def _url(self) -> str:
        return f"{self._owner.stream_url}/stream?streams={self._stream}"

    async def _on_open(self, ws: ClientConnection) -> None:
        self._resync()

    async def close(self) -> None:
        if self._sync_task is not None:
            self._sync_task.cancel()
        await super().close()

    def _resync(self) -> None:
        self.book.reset()
        self._buffer.clear()
        if self._sync_task is not None:
            self._sync_task.cancel()
        self._sync_task = asyncio.get_running_loop().create_task(self._snapshot())

    async def _snapshot(self) -> None:
        snapshot = await self._owner.client.depth(self.symbol, limit=self._limit)
        self.book.load(snapshot)
        pending, self._buffer = self._buffer, []
        for event in pending:
            await self._apply(event)

    async def _apply(self, event: DepthUpdate) -> None:
        try:
            if self.book.apply(event):
                await self._emit(event)
        except BookGap as gap:
            await self._emit(StreamGap(self._stream, gap.expected, gap.got))
            self._resync()

    async def _on_message(self, message: Any) -> None:
        if not isinstance(message, dict) or message.get("stream") != self._stream:
            return
        event = self._parse(lambda: parse_market(self._stream, message["data"]))
        if not isinstance(event, DepthUpdate):
            return
        if not self.book.ready:
            self._buffer.append(event)
            if self._sync_task is not None and self._sync_task.done() and self._sync_task.exception():
                self._resync()  # the snapshot request failed: try again
            return
        await self._apply(event)


class UserSubscription(Subscription[UserEvent]):
    """The account's user data, reconciled over REST after each reconnect."""

    def __init__(self, owner: AsyncStreams, symbols: list[str], listen_key: bool,
                 on_event: Callable[[Any], Any] | None) -> None:
        self.state: UserState | None = None
        self._symbols = [s.upper() for s in symbols]
        self._use_listen_key = listen_key
        self._listen_key: str | None = None
        self._keepalive: asyncio.Task | None = None
        self._told: dict[str, int] = {}  # last trade id per symbol that a reconciliation reported
        super().__init__(owner, "userData", on_event)

    def _url(self) -> str:
        if self._use_listen_key:
            return f"{self._owner.stream_url}/ws/{self._listen_key}"
        return self._owner.ws_api_url

    async def _run(self) -> None:
        try:
            await super()._run()
        finally:
            if self._keepalive is not None:
                self._keepalive.cancel()

    async def _connect_key(self) -> None:
        self._listen_key = await self._owner.client.new_listen_key()
        if self._keepalive is None:
            self._keepalive = asyncio.get_running_loop().create_task(self._keep_alive())

    async def _keep_alive(self) -> None:
        while True:  # Binance: a key lives 60 min without keepalive; every 30 min is recommended
            await asyncio.sleep(30 * 60)
            if self._listen_key:
                with contextlib.suppress(ClientError):
                    await self._owner.client.keepalive_listen_key(self._listen_key)

    async def _prepare(self) -> None:
        # every attempt asks for the key: Binance returns the active one (extended) or a new one when it expired
        # or the server forgot it (a restart), so a stale key never blocks the reconnection
        if self._use_listen_key:
            await self._connect_key()

    async def _on_open(self, ws: ClientConnection) -> None:
        if not self._use_listen_key:
            await self._subscribe(ws)
        await self._reconcile()

    async def _subscribe(self, ws: ClientConnection) -> None:
        client = self._owner.client
        if client.api_key is None or client.signer is None:
            raise StreamError("user data needs an API key and its secret or private key")
        if client.time_offset_ms is None:
            await client.sync_time()
        params: dict[str, Any] = {"apiKey": client.api_key, "timestamp": client.server_now_ms()}
        params["signature"] = client.signer.sign(ws_payload(params))
        rid = f"uds{next(_ids)}"
        await ws.send(json.dumps({"id": rid, "method": "userDataStream.subscribe.signature", "params": params}))
        while True:
            reply = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
            if reply.get("id") == rid:
                break
        if reply.get("status") != 200:
            err = reply.get("error") or {}
            status, code = int(reply.get("status") or 0), int(err.get("code") or 0)
            exc = error_class_for(code, status)(code, err.get("msg"), http_status=status)
            if isinstance(exc, TimestampError):  # our clock drifted: measure it again before the next attempt
                client.time_offset_ms = None
            raise exc  # fatal or retried by the connection loop

    async def _reconcile(self) -> None:
        client = self._owner.client
        now = client.server_now_ms()
        open_now = await client.open_orders()
        account = await client.account()
        if self.state is None:  # first connection: the baseline the stream's events then update
            last: dict[str, int] = {}
            for symbol in self._symbols:
                trades = await client.my_trades(symbol, limit=1)
                last[symbol] = trades[-1].id if trades else -1
            self.state = UserState.from_rest(open_now, account.balances, last, now)
            return
        state = self.state
        missed = {}
        for symbol in sorted(state.symbols(self._symbols)):
            from_id = state.last_trade_id.get(symbol, -1) + 1
            missed[symbol] = [t for t in await client.my_trades(symbol, from_id=from_id, limit=1000)
                              if t.id >= from_id]
        lookups = {}
        for symbol, order_id in sorted(state.lookups_needed(open_now, missed)):
            lookups[(symbol, order_id)] = await client.get_order(symbol, order_id=order_id)
        for event in state.reconcile(open_now, account.balances, missed, lookups, self._down_ms(), now):
            await self._emit(event)
        self._told = dict(state.last_trade_id)

    async def _on_message(self, message: Any) -> None:
        if not isinstance(message, dict):
            return
        if "event" in message and "subscriptionId" in message:
            message = message["event"]
        elif "stream" in message and "data" in message:
            message = message["data"]
        if message.get("e") == "listenKeyExpired":
            self._listen_key = None
            raise TransportError("listen key expired")
        event = self._parse(lambda: parse_user(message))
        if event is None:
            return
        if self.state is not None:
            trade_id = getattr(event, "trade_id", -1)
            if 0 <= trade_id <= self._told.get(event.symbol, -1):
                return  # already told by the reconciliation
            self.state.apply(event)
        await self._emit(event)


class AsyncStreams:
    """Stream subscriptions on one target, sharing one :class:`AsyncClient` for REST (snapshots, backfill,
    reconciliation). Give credentials (as for the client) or an existing ``client``."""

    def __init__(self, api_key: str | None = None, api_secret: str | None = None, *,
                 private_key: str | bytes | None = None, signer: Signer | None = None,
                 target: Target | str | None = None, client: AsyncClient | None = None,
                 ws_url: str | None = None, ws_api_url: str | None = None, backoff: Backoff | None = None) -> None:
        # Any: the shared ApiMethods are annotated with their blocking results; on AsyncClient they are awaitables
        self.client: Any = client or AsyncClient(api_key, api_secret, private_key=private_key, signer=signer,
                                                 target=target)
        self._own_client = client is None
        stream_url, api_url = ws_urls(self.client.target)
        self.stream_url = (ws_url or stream_url).rstrip("/")
        self.ws_api_url = ws_api_url or (self.stream_url + "/ws-api/v3" if ws_url else api_url)
        self.backoff = backoff or Backoff()
        self._subs: list[Subscription[Any]] = []

    def __repr__(self) -> str:
        return f"AsyncStreams({self.client.target}, {len(self._subs)} subscriptions)"

    def _add(self, sub: Subscription[Any]) -> Any:
        self._subs.append(sub)
        return sub

    def _forget(self, sub: Subscription[Any]) -> None:
        if sub in self._subs:
            self._subs.remove(sub)

    def subscribe(self, streams: list[str], on_event: Callable[[Any], Any] | None = None) -> MarketSubscription:
        """Any market streams by Binance name (``btcusdt@trade``, ``ethbtc@kline_1m``, ...)."""
        return self._add(MarketSubscription(self, list(streams), on_event))

    def subscribe_klines(self, symbol: str, interval: str, on_event: Callable[[Any], Any] | None = None
                         ) -> MarketSubscription:
        return self.subscribe([f"{symbol.lower()}@kline_{interval}"], on_event)

    def subscribe_book_ticker(self, symbols: str | list[str], on_event: Callable[[Any], Any] | None = None
                              ) -> MarketSubscription:
        names = [symbols] if isinstance(symbols, str) else symbols
        return self.subscribe([f"{s.lower()}@bookTicker" for s in names], on_event)

    def subscribe_trades(self, symbol: str, on_event: Callable[[Any], Any] | None = None) -> MarketSubscription:
        return self.subscribe([f"{symbol.lower()}@trade"], on_event)

    def subscribe_agg_trades(self, symbol: str, on_event: Callable[[Any], Any] | None = None
                             ) -> MarketSubscription:
        return self.subscribe([f"{symbol.lower()}@aggTrade"], on_event)

    def subscribe_depth(self, symbol: str, limit: int = 1000, on_event: Callable[[Any], Any] | None = None
                        ) -> DepthSubscription:
        return self._add(DepthSubscription(self, symbol.upper(), limit, on_event))

    def user_data(self, symbols: list[str] | tuple[str, ...] = (), *, listen_key: bool = False,
                  on_event: Callable[[Any], Any] | None = None) -> UserSubscription:
        """The account's events. ``symbols``: where to look for trades missed while disconnected (symbols of
        orders seen on the stream are watched anyway)."""
        return self._add(UserSubscription(self, list(symbols), listen_key, on_event))

    async def close(self) -> None:
        for sub in list(self._subs):
            await sub.close()
        if self._own_client:
            await self.client.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
