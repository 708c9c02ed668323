"""Market stream fan-out: one :class:`Topic` per stream name, rendered once and pushed to every subscriber.

Two sources feed the topics:

* the engine's events (a venue listener, called synchronously after each command, in engine order): trades
  go out at once (``@trade``, ``@aggTrade`` per taker order and price), a changed best bid/ask at once
  (``@bookTicker``), book changes are merged into diff-depth batches (``@depth``/``@depth@100ms``) whose
  ``U``/``u`` are the engine's update ids, so they chain with ``/api/v3/depth``'s ``lastUpdateId``;
* a periodic task on 100 ms boundaries: diff-depth batches, partial books, and every second the tickers,
  average prices and ``1s`` klines, every two seconds the other klines.

Pushing never waits (see :class:`~minance.server.ws.protocol.Connection`); a topic's message is serialized
once, and once more wrapped for combined-stream subscribers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

import orjson

from minance.domain.orders import Trade, format_units
from minance.engine import BookDelta
from minance.engine.responses import depth_response, depth_update, trade_event
from minance.market import tickers
from minance.market.intervals import DAY_MS, bucket_open, next_open
from minance.server.ws.protocol import FLUSHER, Batch, Connection, Msg
from minance.server.ws.streams import (
    WINDOWS,
    StreamSpec,
    kline_event,
    mini_ticker_event,
    rolling_event,
    rolling_open_ms,
    ticker_event,
)
from minance.server.ws.timeunit import micros

log = logging.getLogger("minance.ws")

TICK_MS = 100
REALTIME_KINDS = frozenset({"trade", "aggTrade", "bookTicker"})


class Subscriber(Protocol):
    conn: Connection
    combined: bool
    micros: bool  # timeUnit=MICROSECOND: time fields in µs


class Topic:
    """One stream name and its subscribers (in subscription order).

    What a topic publishes during one turn of the event loop is handed to each subscriber as one batch when
    the turn ends (see :class:`~minance.server.ws.protocol.FLUSHER`): a trade costs the same for 1 or 200
    subscribers, and each subscriber gets one write. Each stream's messages keep their order; messages of
    different streams on one connection are not ordered among themselves (nor are they on Binance).
    """

    __slots__ = ("_pending", "_prefix", "name", "spec", "subs")

    def __init__(self, spec: StreamSpec) -> None:
        self.spec = spec
        self.name = spec.name
        self.subs: dict[Subscriber, None] = {}
        self._prefix = b'{"stream":' + orjson.dumps(spec.name) + b',"data":'
        self._pending: list[bytes] = []

    def publish(self, payload: object) -> int:
        return self.publish_data(orjson.dumps(payload))

    def publish_data(self, raw: bytes) -> int:
        pending = self._pending
        pending.append(raw)
        if len(pending) == 1:
            try:
                FLUSHER.mark_topic(self)
            except RuntimeError:  # no event loop (unit tests): at once
                self.flush()
        return len(self.subs)

    def flush(self) -> None:
        raws, self._pending = self._pending, []
        if not raws or not self.subs:
            return
        # one rendering per (combined, µs) kind of subscriber, shared by all subscribers of that kind
        renderings: dict[tuple[bool, bool], Msg | Batch] = {}
        us_raws: list[bytes] | None = None
        for sub in self.subs:
            kind = (sub.combined, sub.micros)
            batch = renderings.get(kind)
            if batch is None:
                data = raws
                if sub.micros:
                    if us_raws is None:
                        us_raws = [micros(r) for r in raws]
                    data = us_raws
                prefix = self._prefix
                batch = renderings[kind] = _batch([Msg(prefix + r + b"}") if sub.combined else Msg(r) for r in data])
            sub.conn.push(batch)


def _batch(msgs: list[Msg]) -> Msg | Batch:
    return msgs[0] if len(msgs) == 1 else Batch(msgs)


class DiffBatch:
    """Book changes of one symbol merged over one period (100 ms or 1 s) for its diff-depth topics."""

    __slots__ = ("asks", "bids", "first", "last", "topics")

    def __init__(self) -> None:
        self.topics: list[Topic] = []
        self.first = 0
        self.last = 0
        self.bids: dict[int, int] = {}
        self.asks: dict[int, int] = {}

    def add(self, d: BookDelta) -> None:
        if not self.first:
            self.first = d.first_update_id
        self.last = d.last_update_id
        if d.bids:
            self.bids.update(d.bids)
        if d.asks:
            self.asks.update(d.asks)

    def take(self, symbol: str, now_ms: int) -> dict | None:
        if not self.first:
            return None
        delta = BookDelta(symbol, self.first, self.last, sorted(self.bids.items(), reverse=True),
                          sorted(self.asks.items()), now_ms)
        self.first = self.last = 0
        self.bids = {}
        self.asks = {}
        return depth_update(delta, now_ms)


class StreamHub:
    """Every market topic of the server; the venue listener and the periodic task publish into it."""

    def __init__(self, engine, history, clock) -> None:
        self.engine = engine
        self.history = history
        self.clock = clock
        self.topics: dict[str, Topic] = {}
        self._realtime: dict[tuple[str, str], Topic] = {}  # (kind, symbol) → topic
        self._diff: dict[tuple[str, int], DiffBatch] = {}  # (symbol, speed) → batch
        self._diff_by_symbol: dict[str, list[DiffBatch]] = {}
        self._periodic: dict[str, list[Topic]] = {}  # kind → topics
        self._last_book: dict[str, tuple] = {}  # symbol → best bid/ask last published
        self._kline_open: dict[str, int] = {}  # kline topic → open time of the candle last published
        self._arr_last: dict[str, dict[str, tuple]] = {}  # all-market topic → symbol → what was last sent
        self._every_second: list[Callable[[int], None]] = []
        self._task: asyncio.Task | None = None
        self.published = 0  # messages handed to connections (for the stats)

    # -- subscriptions ---------------------------------------------------------------------------------------
    def subscribe(self, sub: Subscriber, spec: StreamSpec) -> None:
        topic = self.topics.get(spec.name)
        if topic is None:
            topic = self.topics[spec.name] = Topic(spec)
            self._index(topic)
        topic.subs[sub] = None

    def unsubscribe(self, sub: Subscriber, name: str) -> None:
        topic = self.topics.get(name)
        if topic is None:
            return
        topic.subs.pop(sub, None)
        if not topic.subs:
            del self.topics[name]
            self._unindex(topic)

    def _index(self, topic: Topic) -> None:
        spec = topic.spec
        if spec.kind in REALTIME_KINDS:
            self._realtime[(spec.kind, spec.symbol)] = topic
        elif spec.kind == "depthDiff":
            key = (spec.symbol, spec.speed_ms)
            batch = self._diff.get(key)
            if batch is None:
                batch = self._diff[key] = DiffBatch()
                self._diff_by_symbol.setdefault(spec.symbol, []).append(batch)
            batch.topics.append(topic)
        else:
            self._periodic.setdefault(spec.kind, []).append(topic)

    def _unindex(self, topic: Topic) -> None:
        spec = topic.spec
        if spec.kind in REALTIME_KINDS:
            self._realtime.pop((spec.kind, spec.symbol), None)
            if spec.kind == "bookTicker":
                self._last_book.pop(spec.symbol, None)
        elif spec.kind == "depthDiff":
            key = (spec.symbol, spec.speed_ms)
            batch = self._diff[key]
            batch.topics.remove(topic)
            if not batch.topics:
                del self._diff[key]
                batches = self._diff_by_symbol[spec.symbol]
                batches.remove(batch)
                if not batches:
                    del self._diff_by_symbol[spec.symbol]
        else:
            topics = self._periodic[spec.kind]
            topics.remove(topic)
            if not topics:
                del self._periodic[spec.kind]
            self._kline_open.pop(topic.name, None)
            self._arr_last.pop(topic.name, None)

    # -- the engine's events ------------------------------------------------------------------------------------
    def wants_events(self) -> bool:
        return bool(self._realtime or self._diff)

    def on_events(self, events: list) -> None:
        """Venue listener: synchronous, in engine order; never waits."""
        realtime, diff = self._realtime, self._diff_by_symbol
        if not realtime and not diff:
            return
        agg_topic = None
        agg: list = []  # the pending aggregate trade: [topic, agg id, first trade, last trade, qty]
        books: set[str] | None = None
        for ev in events:
            kind = type(ev)
            if kind is Trade:
                symbol = ev.symbol
                topic = realtime.get(("trade", symbol))
                if topic is not None:
                    self.published += topic.publish(trade_event(ev))
                agg_topic = realtime.get(("aggTrade", symbol))
                if agg_topic is not None:
                    if agg and agg[1] == ev.agg_id and agg[0] is agg_topic:
                        agg[3] = ev
                        agg[4] += ev.qty_u
                    else:
                        if agg:
                            self._publish_agg(agg)
                        agg = [agg_topic, ev.agg_id, ev, ev, ev.qty_u]
            elif kind is BookDelta:
                batches = diff.get(ev.symbol)
                if batches is not None:
                    for batch in batches:
                        batch.add(ev)
                if ("bookTicker", ev.symbol) in realtime:
                    if books is None:
                        books = set()
                    books.add(ev.symbol)
        if agg:
            self._publish_agg(agg)
        if books:
            for symbol in books:
                self._book_ticker(symbol)

    def _publish_agg(self, agg: list) -> None:
        topic, agg_id, first, last, qty = agg
        self.published += topic.publish({
            "e": "aggTrade", "E": last.time_ms, "s": first.symbol, "a": agg_id, "p": format_units(first.price_u),
            "q": format_units(qty), "f": first.trade_id, "l": last.trade_id, "T": first.time_ms,
            "m": first.is_buyer_maker, "M": True})

    def _book_ticker(self, symbol: str) -> None:
        bt = self.engine.book_ticker(symbol)
        top = (bt.bid_price_u, bt.bid_qty_u, bt.ask_price_u, bt.ask_qty_u)
        if self._last_book.get(symbol) == top:
            return
        self._last_book[symbol] = top
        topic = self._realtime.get(("bookTicker", symbol))
        if topic is not None:
            self.published += topic.publish({
                "u": bt.update_id, "s": symbol, "b": format_units(bt.bid_price_u), "B": format_units(bt.bid_qty_u),
                "a": format_units(bt.ask_price_u), "A": format_units(bt.ask_qty_u)})

    # -- the periodic streams -----------------------------------------------------------------------------------
    def every_second(self, hook: Callable[[int], None]) -> None:
        self._every_second.append(hook)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="minance-streams")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        while True:
            now = self.clock.now_ms()
            step = now // TICK_MS + 1
            await asyncio.sleep((step * TICK_MS - now) / 1000)
            try:
                self.tick(step)
            except Exception:  # a bug in one stream must not stop the others
                log.exception("stream tick failed")

    def tick(self, step: int) -> None:
        """One 100 ms step (``step`` counts 100 ms periods since the epoch)."""
        now = self.clock.now_ms()
        second = step % 10 == 0
        self._flush_diff(100, now)
        self._partial_depth(100, now)
        if second:
            self._flush_diff(1000, now)
            self._partial_depth(1000, now)
            periodic = self._periodic
            if periodic:
                self._tickers(now)
                self._klines(now, every_2s=step % 20 == 0)
                self._avg_prices(now)
            for hook in self._every_second:
                try:
                    hook(now)
                except Exception:
                    log.exception("per-second hook failed")

    def _flush_diff(self, speed_ms: int, now: int) -> None:
        for (symbol, speed), batch in self._diff.items():
            if speed != speed_ms:
                continue
            body = batch.take(symbol, now)
            if body is None:
                continue
            raw = orjson.dumps(body)
            for topic in batch.topics:
                self.published += topic.publish_data(raw)

    def _partial_depth(self, speed_ms: int, now: int) -> None:
        rendered: dict[tuple[str, int], bytes] = {}
        for topic in self._periodic.get("depthPartial", ()):
            spec = topic.spec
            if spec.speed_ms != speed_ms or spec.symbol not in self.engine.symbols:
                continue
            key = (spec.symbol, spec.levels)
            raw = rendered.get(key)
            if raw is None:
                raw = rendered[key] = orjson.dumps(depth_response(self.engine.depth(spec.symbol, spec.levels)))
            self.published += topic.publish_data(raw)

    def _full_ticker(self, symbol: str, now: int, cache: dict) -> dict:
        body = cache.get(symbol)
        if body is None:
            b = self.engine.book_ticker(symbol)
            book = tickers.BookTop(b.bid_price if b.bid_price_u else None, b.bid_qty if b.bid_price_u else None,
                                   b.ask_price if b.ask_price_u else None, b.ask_qty if b.ask_price_u else None)
            body = cache[symbol] = tickers.ticker_24hr(symbol, self.history.window(symbol, now - DAY_MS, now),
                                                       full=True, book=book)
        return body

    def _rolling(self, symbol: str, window: str, now: int, cache: dict) -> dict:
        key = (symbol, window)
        body = cache.get(key)
        if body is None:
            stats = self.history.window(symbol, rolling_open_ms(now, WINDOWS[window]), now)
            body = cache[key] = tickers.rolling_ticker(symbol, stats, full=True)
        return body

    def _tickers(self, now: int) -> None:
        periodic = self._periodic
        known = self.engine.symbols
        full: dict = {}
        rolling: dict = {}
        for topic in periodic.get("miniTicker", ()):
            if topic.spec.symbol in known:
                self.published += topic.publish(mini_ticker_event(self._full_ticker(topic.spec.symbol, now, full),
                                                                  now))
        for topic in periodic.get("ticker", ()):
            if topic.spec.symbol in known:
                self.published += topic.publish(ticker_event(self._full_ticker(topic.spec.symbol, now, full), now))
        for topic in periodic.get("rolling", ()):
            spec = topic.spec
            if spec.symbol in known:
                self.published += topic.publish(rolling_event(spec.interval, self._rolling(spec.symbol,
                                                                                           spec.interval, now,
                                                                                           rolling), now))
        for kind in ("miniTickerArr", "tickerArr", "rollingArr"):
            for topic in periodic.get(kind, ()):
                last = self._arr_last.setdefault(topic.name, {})
                rows = []
                for symbol in known:  # only the tickers that changed since the last push, as Binance does
                    if kind == "rollingArr":
                        body = rolling_event(topic.spec.interval, self._rolling(symbol, topic.spec.interval, now,
                                                                                rolling), now)
                        mark = (body["c"], body["v"], body["O"])
                    else:
                        t = self._full_ticker(symbol, now, full)
                        body = mini_ticker_event(t, now) if kind == "miniTickerArr" else ticker_event(t, now)
                        mark = (body["c"], body["v"], body["o"])
                    if last.get(symbol) != mark:
                        last[symbol] = mark
                        rows.append(body)
                if rows:
                    self.published += topic.publish(rows)

    def _klines(self, now: int, *, every_2s: bool) -> None:
        for topic in self._periodic.get("kline", ()):
            spec = topic.spec
            if spec.symbol not in self.engine.symbols or (spec.interval != "1s" and not every_2s):
                continue
            interval, tz = spec.interval, spec.tz_ms
            open_ms = bucket_open(interval, now, tz)
            previous = self._kline_open.get(topic.name)
            if previous is not None and previous != open_ms:  # the last update of the candle that just closed
                k = self.history.aggregate(spec.symbol, previous, open_ms)
                if k is not None:
                    k = k.relabel(previous, next_open(interval, previous, tz) - 1)
                    self.published += topic.publish(kline_event(spec.symbol, interval, k, True, now))
            self._kline_open[topic.name] = open_ms
            k = self.history.current(spec.symbol, interval, now, tz)
            self.published += topic.publish(kline_event(spec.symbol, interval, k, False, now))

    def _avg_prices(self, now: int) -> None:
        for topic in self._periodic.get("avgPrice", ()):
            symbol = topic.spec.symbol
            if symbol not in self.engine.symbols:
                continue
            last = self.history.builder(symbol).last_trade
            self.published += topic.publish({
                "e": "avgPrice", "E": now, "s": symbol, "i": "5m",
                "w": f"{self.history.avg_price(symbol, now):.8f}", "T": last.ts_ms if last is not None else now})
