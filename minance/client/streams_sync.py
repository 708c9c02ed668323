"""Blocking streams: :class:`Streams` runs :class:`~minance.client.streams.AsyncStreams` on an event loop in a
background thread and hands events over.

>>> with Streams(api_key, api_secret, target="local") as streams:         # doctest: +SKIP
...     quotes = streams.subscribe_book_ticker(["BTCUSDT"])
...     quotes.ready()
...     for quote in quotes:                                              # blocks; or quotes.next(timeout=5)
...         print(quote.bid_price, quote.ask_price)

Callbacks (``on_event=``) run on the background thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, Generic, Self, TypeVar

from minance.client.orderbook import LocalOrderBook
from minance.client.reconcile import UserState
from minance.client.streams import AsyncStreams, Subscription

__all__ = ["Streams", "SyncSubscription"]

E = TypeVar("E")
T = TypeVar("T")


class SyncSubscription(Generic[E]):
    """A blocking view of a :class:`~minance.client.streams.Subscription`."""

    def __init__(self, owner: Streams, sub: Subscription[E]) -> None:
        self._owner = owner
        self.sub = sub

    def __repr__(self) -> str:
        return repr(self.sub)

    @property
    def connected(self) -> bool:
        return self.sub.connected

    @property
    def reconnects(self) -> int:
        return self.sub.reconnects

    @property
    def ended(self) -> bool:
        return self.sub.ended

    @property
    def error(self) -> BaseException | None:
        return self.sub.error

    @property
    def book(self) -> LocalOrderBook:
        return self.sub.book  # type: ignore[attr-defined]

    @property
    def state(self) -> UserState | None:
        return self.sub.state  # type: ignore[attr-defined]

    def ready(self, timeout: float | None = 10.0) -> None:
        self._owner._run(self.sub.ready(timeout))

    def next(self, timeout: float | None = None) -> E:
        """The next event; TimeoutError, the subscription's error, or StopIteration once closed."""
        try:
            return self._owner._run(self.sub.next(timeout))
        except StopAsyncIteration:
            raise StopIteration from None

    def __iter__(self) -> Iterator[E]:
        return self

    def __next__(self) -> E:
        return self.next()

    def drop(self) -> None:
        self._owner._run(self.sub.drop())

    def close(self) -> None:
        self._owner._run(self.sub.close())


class Streams:
    """Same constructor and methods as :class:`~minance.client.streams.AsyncStreams`, blocking."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="minance-streams", daemon=True)
        self._thread.start()

        async def make() -> AsyncStreams:
            return AsyncStreams(*args, **kwargs)

        self.streams = self._run(make())

    def __repr__(self) -> str:
        return repr(self.streams)

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def _wrap(self, make: Callable[[], Subscription[Any]]) -> SyncSubscription[Any]:
        async def create() -> Subscription[Any]:
            return make()

        return SyncSubscription(self, self._run(create()))

    def subscribe(self, streams: list[str], on_event: Callable[[Any], Any] | None = None) -> SyncSubscription[Any]:
        return self._wrap(lambda: self.streams.subscribe(streams, on_event))

    def subscribe_klines(self, symbol: str, interval: str, on_event: Callable[[Any], Any] | None = None
                         ) -> SyncSubscription[Any]:
        return self._wrap(lambda: self.streams.subscribe_klines(symbol, interval, on_event))

    def subscribe_book_ticker(self, symbols: str | list[str], on_event: Callable[[Any], Any] | None = None
                              ) -> SyncSubscription[Any]:
        return self._wrap(lambda: self.streams.subscribe_book_ticker(symbols, on_event))

    def subscribe_trades(self, symbol: str, on_event: Callable[[Any], Any] | None = None) -> SyncSubscription[Any]:
        return self._wrap(lambda: self.streams.subscribe_trades(symbol, on_event))

    def subscribe_agg_trades(self, symbol: str, on_event: Callable[[Any], Any] | None = None
                             ) -> SyncSubscription[Any]:
        return self._wrap(lambda: self.streams.subscribe_agg_trades(symbol, on_event))

    def subscribe_depth(self, symbol: str, limit: int = 1000, on_event: Callable[[Any], Any] | None = None
                        ) -> SyncSubscription[Any]:
        return self._wrap(lambda: self.streams.subscribe_depth(symbol, limit, on_event))

    def user_data(self, symbols: list[str] | tuple[str, ...] = (), *, listen_key: bool = False,
                  on_event: Callable[[Any], Any] | None = None) -> SyncSubscription[Any]:
        return self._wrap(lambda: self.streams.user_data(symbols, listen_key=listen_key, on_event=on_event))

    def close(self) -> None:
        if self._loop.is_closed():
            return
        self._run(self.streams.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
