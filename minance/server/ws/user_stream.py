"""User data streams: listen keys (the legacy REST flow) and the per-account fan-out of account events.

An account's events are rendered once per command, in the engine's order: ``executionReport`` per order
update, ``listStatus`` per list update, ``balanceUpdate`` per deposit/withdrawal, and one
``outboundAccountPosition`` with every asset the command changed (the engine reports balances last).
Each :class:`UserSink` then frames them its own way: raw (``/ws/<listenKey>``), combined
(``{"stream": listenKey, "data": …}``) or WebSocket API (``{"subscriptionId": n, "event": …}``).

Listen keys live in memory: a restart forgets them, and a client's keepalive then gets -1125 and it makes a
new one (which is what clients do when Binance expires a key).
"""

from __future__ import annotations

import logging
import secrets
import string
from collections.abc import Callable

import orjson

from minance.domain.errors import BinanceError, Err
from minance.engine import BalanceDelta, BalanceUpdate, ListStatus, OrderUpdate
from minance.engine.responses import account_position, balance_update, execution_report, list_status_event
from minance.server.ws.protocol import Connection, Msg
from minance.server.ws.timeunit import micros

log = logging.getLogger("minance.ws")

LISTEN_KEY_TTL_MS = 60 * 60 * 1000
LISTEN_KEY_LENGTH = 64
_ALPHABET = string.ascii_letters + string.digits


def unknown_listen_key() -> BinanceError:
    return Err.INVALID_LISTEN_KEY()


def looks_like_listen_key(text: str) -> bool:
    return len(text) == LISTEN_KEY_LENGTH and text.isascii() and text.isalnum()


class ListenKeys:
    """One active listen key per account, valid 60 minutes after its creation or last keepalive."""

    def __init__(self, ttl_ms: int = LISTEN_KEY_TTL_MS) -> None:
        self.ttl_ms = ttl_ms
        self._keys: dict[str, list[int]] = {}  # key → [account id, expires at]
        self._by_account: dict[int, str] = {}
        self.on_end: Callable[[str, bool], None] | None = None  # (key, expired) when a key ends

    def create(self, account_id: int, now_ms: int) -> str:
        """POST: the account's active key (extended), or a new one."""
        key = self._by_account.get(account_id)
        if key is not None and self._keys[key][1] > now_ms:
            self._keys[key][1] = now_ms + self.ttl_ms
            return key
        if key is not None:
            self._end(key, expired=True)
        key = "".join(secrets.choice(_ALPHABET) for _ in range(LISTEN_KEY_LENGTH))
        self._keys[key] = [account_id, now_ms + self.ttl_ms]
        self._by_account[account_id] = key
        return key

    def _owned(self, key: str | None, account_id: int, now_ms: int) -> list[int]:
        entry = self._keys.get(key) if key else None
        if entry is None or entry[0] != account_id:
            raise unknown_listen_key()
        if entry[1] <= now_ms:
            self._end(key, expired=True)
            raise unknown_listen_key()
        return entry

    def keepalive(self, key: str | None, account_id: int, now_ms: int) -> None:
        """PUT: 60 more minutes; -1125 for a key that is unknown, expired or another account's."""
        self._owned(key, account_id, now_ms)[1] = now_ms + self.ttl_ms

    def close(self, key: str | None, account_id: int, now_ms: int) -> None:
        """DELETE."""
        self._owned(key, account_id, now_ms)
        self._end(key, expired=False)

    def account_of(self, key: str, now_ms: int) -> int | None:
        entry = self._keys.get(key)
        if entry is None or entry[1] <= now_ms:
            return None
        return entry[0]

    def sweep(self, now_ms: int) -> None:
        """End the keys whose time is up (called every second)."""
        for key in [k for k, (_, expires) in self._keys.items() if expires <= now_ms]:
            self._end(key, expired=True)

    def _end(self, key: str, *, expired: bool) -> None:
        account_id, _ = self._keys.pop(key)
        if self._by_account.get(account_id) == key:
            del self._by_account[account_id]
        if self.on_end is not None:
            self.on_end(key, expired)

    def __len__(self) -> int:
        return len(self._keys)


class UserSink:
    """Where one account's events go on one connection, and how they are framed there."""

    __slots__ = ("_prefix", "account_id", "conn", "listen_key", "micros", "subscription_id")

    def __init__(self, conn: Connection, account_id: int, *, subscription_id: int | None = None,
                 listen_key: str | None = None, combined: bool = False, micros: bool = False) -> None:
        self.conn = conn
        self.account_id = account_id
        self.micros = micros  # timeUnit=MICROSECOND on this connection
        self.subscription_id = subscription_id
        self.listen_key = listen_key
        if subscription_id is not None:
            self._prefix = b'{"subscriptionId":%d,"event":' % subscription_id
        elif combined:
            self._prefix = b'{"stream":' + orjson.dumps(listen_key) + b',"data":'
        else:
            self._prefix = b""

    def deliver(self, event: bytes) -> None:
        if self.micros:
            event = micros(event)
        self.conn.push(Msg(self._prefix + event + b"}" if self._prefix else event))

    def deliver_json(self, event: dict) -> None:
        self.deliver(orjson.dumps(event))


class UserStreams:
    """Account id → sinks; the venue listener renders each account's events once and hands them out."""

    def __init__(self, listen_keys: ListenKeys, clock) -> None:
        self.listen_keys = listen_keys
        self.clock = clock
        self._sinks: dict[int, list[UserSink]] = {}
        self._by_key: dict[str, list[UserSink]] = {}
        listen_keys.on_end = self._key_ended

    def attach(self, sink: UserSink) -> None:
        self._sinks.setdefault(sink.account_id, []).append(sink)
        if sink.listen_key is not None:
            self._by_key.setdefault(sink.listen_key, []).append(sink)

    def detach(self, sink: UserSink) -> None:
        sinks = self._sinks.get(sink.account_id)
        if sinks is not None and sink in sinks:
            sinks.remove(sink)
            if not sinks:
                del self._sinks[sink.account_id]
        if sink.listen_key is not None:
            by_key = self._by_key.get(sink.listen_key)
            if by_key is not None and sink in by_key:
                by_key.remove(sink)
                if not by_key:
                    del self._by_key[sink.listen_key]

    def _key_ended(self, key: str, expired: bool) -> None:
        """A listen key expired (its listeners get ``listenKeyExpired``) or was closed: its sinks go quiet."""
        now = self.clock.now_ms()
        for sink in list(self._by_key.get(key, ())):
            if expired:
                sink.deliver_json({"e": "listenKeyExpired", "E": now, "listenKey": key})
            self.detach(sink)

    def sweep(self, now_ms: int) -> None:
        self.listen_keys.sweep(now_ms)

    # -- the engine's events --------------------------------------------------------------------------------------
    def wants_events(self) -> bool:
        return bool(self._sinks)

    def on_events(self, events: list) -> None:
        """Venue listener: synchronous, in engine order; never waits."""
        sinks = self._sinks
        if not sinks:
            return
        out: dict[int, list[bytes]] | None = None
        positions: dict[int, list[BalanceUpdate]] | None = None
        for ev in events:
            kind = type(ev)
            if kind is OrderUpdate:
                account_id = ev.order.account_id
                if account_id in sinks:
                    body = execution_report(ev)
                else:
                    continue
            elif kind is BalanceUpdate:
                if ev.account_id in sinks:
                    if positions is None:
                        positions = {}
                    positions.setdefault(ev.account_id, []).append(ev)
                continue
            elif kind is ListStatus:
                account_id = ev.order_list.account_id
                if account_id in sinks:
                    body = list_status_event(ev)
                else:
                    continue
            elif kind is BalanceDelta:
                account_id = ev.account_id
                if account_id in sinks:
                    body = balance_update(ev)
                else:
                    continue
            else:
                continue
            if out is None:
                out = {}
            out.setdefault(account_id, []).append(orjson.dumps(body))
        if positions:
            if out is None:
                out = {}
            for account_id, updates in positions.items():
                out.setdefault(account_id, []).append(orjson.dumps(account_position(updates)))
        if out:
            for account_id, texts in out.items():
                for sink in tuple(sinks.get(account_id, ())):
                    for text in texts:
                        sink.deliver(text)
