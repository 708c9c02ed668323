"""One market-stream connection (``/ws``, ``/ws/<streams>``, ``/stream?streams=…``): its subscriptions and
Binance's live control messages (SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY, GET_PROPERTY).

Replies are ``{"result": …, "id": …}``; errors ``{"error": {"code", "msg"}, "id": …}`` with Binance's codes:
0 unknown property, 1 bad value type, 2 invalid request, 3 invalid JSON. More than ``messages_per_s``
incoming messages in a second close the connection (1008), as Binance disconnects.

A listen key is a stream name too: ``/ws/<listenKey>``, ``/stream?streams=<listenKey>`` or SUBSCRIBE with it
delivers that account's user data events (raw, or wrapped with the key as the stream name when combined).
"""

from __future__ import annotations

import json
import re

from minance.server.ws.protocol import POLICY, Connection, MessageRate
from minance.server.ws.streams import StreamSpec, parse_stream
from minance.server.ws.user_stream import UserSink, looks_like_listen_key

METHODS = ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS", "SET_PROPERTY", "GET_PROPERTY")
_ID_RE = re.compile(r"[a-zA-Z0-9\-_]{1,36}")
INT64 = (-(2**63), 2**63 - 1)


class ControlError(Exception):
    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg


def invalid(detail: str) -> ControlError:
    return ControlError(2, f"Invalid request: {detail}")


def valid_id(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return INT64[0] <= value <= INT64[1]
    return isinstance(value, str) and _ID_RE.fullmatch(value) is not None


def json_error_text(exc: json.JSONDecodeError) -> str:
    """Python's JSON error in the words Binance's (serde) parser uses."""
    words = {"Expecting value": "expected value", "Extra data": "trailing characters",
             "Unterminated string starting at": "EOF while parsing a string"}
    msg = words.get(exc.msg, exc.msg[:1].lower() + exc.msg[1:])
    return f"Invalid JSON: {msg} at line {exc.lineno} column {exc.colno}"


class StreamSession:
    """Subscriptions of one market-stream connection."""

    def __init__(self, gateway, conn: Connection, *, combined: bool, micros: bool = False) -> None:
        self.gateway = gateway
        self.conn = conn
        self.combined = combined
        self.micros = micros  # timeUnit=MICROSECOND: every event's times in µs
        self.rate = MessageRate(conn.limits.messages_per_s)
        self.streams: dict[str, StreamSpec | UserSink] = {}  # in subscription order

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def open(self, names: list[str]) -> None:
        """The streams named in the URL. Anything that is not a stream (ccxt opens ``/ws/0``) is ignored."""
        wanted = [n for n in names if n and (parse_stream(n) is not None or self._listen_account(n) is not None)]
        self._subscribe(wanted[: self.conn.limits.max_streams or None])

    def close(self) -> None:
        hub, users = self.gateway.hub, self.gateway.users
        for name, target in self.streams.items():
            if isinstance(target, UserSink):
                users.detach(target)
            else:
                hub.unsubscribe(self, name)
        self.streams = {}

    # -- control messages ----------------------------------------------------------------------------------------
    def on_message(self, text: str | None, now_ms: int) -> None:
        if not self.rate.allow(now_ms):
            self.conn.close(POLICY, f"Too many messages: at most {self.rate.limit} per second")
            return
        request_id = None
        try:
            if text is None:
                raise invalid("expected a JSON text frame")
            try:
                message = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ControlError(3, json_error_text(exc)) from None
            except (ValueError, RecursionError):
                raise ControlError(3, "Invalid JSON: recursion limit exceeded") from None
            if not isinstance(message, dict):
                raise invalid("expected a JSON object")
            if "method" not in message:
                raise invalid("missing field `method`")
            if "id" not in message or not valid_id(message["id"]):
                raise invalid("request ID must be an unsigned integer")
            request_id = message["id"]
            method = message["method"]
            if method not in METHODS:
                raise invalid(f"unknown variant `{method}`, expected one of "
                              + ", ".join(f"`{m}`" for m in METHODS))
            result = self._dispatch(method, message.get("params"))
            self.conn.push_json({"result": result, "id": request_id})
        except ControlError as exc:
            self.conn.push_json({"error": {"code": exc.code, "msg": exc.msg}, "id": request_id})

    def _dispatch(self, method: str, params: object):
        if method in ("SUBSCRIBE", "UNSUBSCRIBE"):
            if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
                raise invalid("invalid stream" if isinstance(params, list) else "params must be a list of streams")
            if method == "SUBSCRIBE":
                bad = [n for n in params if parse_stream(n) is None and self._listen_account(n) is None]
                if bad:
                    raise invalid("invalid stream")
                new = [n for n in dict.fromkeys(params) if n not in self.streams]
                limit = self.conn.limits.max_streams
                if limit and len(self.streams) + len(new) > limit:
                    raise invalid(f"too many streams; a connection can listen to at most {limit}")
                self._subscribe(new)
            else:
                self._unsubscribe(params)
            return None
        if method == "LIST_SUBSCRIPTIONS":
            return list(self.streams)
        if not isinstance(params, list) or not params:
            raise invalid("property name must be a string")
        if not isinstance(params[0], str):
            raise invalid("property name must be a string")
        if params[0] != "combined":
            raise ControlError(0, "Unknown property")
        if method == "GET_PROPERTY":
            if len(params) > 1:
                raise invalid("too many parameters")
            return self.combined
        if len(params) > 2:
            raise invalid("too many parameters")
        if len(params) < 2 or not isinstance(params[1], bool):
            raise ControlError(1, "Invalid value type: expected Boolean")
        self._set_combined(params[1])
        return None

    # -- subscriptions -------------------------------------------------------------------------------------------
    def _listen_account(self, name: str) -> int | None:
        if not looks_like_listen_key(name):
            return None
        return self.gateway.ctx.listen_keys.account_of(name, self.gateway.ctx.clock.now_ms())

    def _subscribe(self, names: list[str]) -> None:
        hub, users = self.gateway.hub, self.gateway.users
        for name in names:
            if name in self.streams:
                continue
            spec = parse_stream(name)
            if spec is not None:
                hub.subscribe(self, spec)
                self.streams[name] = spec
                continue
            account_id = self._listen_account(name)
            if account_id is not None:
                sink = UserSink(self.conn, account_id, listen_key=name, combined=self.combined, micros=self.micros)
                users.attach(sink)
                self.streams[name] = sink

    def _unsubscribe(self, names: list[str]) -> None:
        hub, users = self.gateway.hub, self.gateway.users
        for name in names:
            target = self.streams.pop(name, None)
            if isinstance(target, UserSink):
                users.detach(target)
            elif target is not None:
                hub.unsubscribe(self, name)

    def _set_combined(self, combined: bool) -> None:
        if combined == self.combined:
            return
        self.combined = combined
        users = self.gateway.users
        for name, target in list(self.streams.items()):  # user events are framed per sink: re-frame them
            if isinstance(target, UserSink):
                users.detach(target)
                sink = UserSink(self.conn, target.account_id, listen_key=name, combined=combined,
                                micros=self.micros)
                users.attach(sink)
                self.streams[name] = sink
