"""``timeUnit=MICROSECOND`` on stream connections (``/ws``, ``/stream``, ``/ws-api/v3`` user data): the same events
with every time field in microseconds, as Binance renders them for such a connection.

Events are serialized once for everybody in milliseconds (see fanout.py); a connection that asked for
microseconds gets a converted copy, made once per message for all such connections. Which keys are times depends
on the event: ``E`` (event time), ``T`` (trade/transaction/close time), ``O``/``C`` (ticker open/close times,
order creation time), ``W`` (working time), ``D`` (trailing time) in any event, ``u`` only in
``outboundAccountPosition`` (elsewhere it is a book update id), and ``t``/``T`` of a kline's ``k`` (``t`` is a
trade id elsewhere). Strings (a ``C`` client order id) and non-positive values are left as they are.
"""

from __future__ import annotations

import orjson

__all__ = ["TIME_UNITS", "micros"]

# the accepted values of ``timeUnit`` (Binance accepts both cases) → microseconds?
TIME_UNITS = {"MICROSECOND": True, "microsecond": True, "MILLISECOND": False, "millisecond": False}

_TIMES = ("E", "T", "O", "C", "W", "D")
_ACCOUNT_TIMES = (*_TIMES, "u")


def _scale(body: dict, keys: tuple[str, ...]) -> None:
    for key in keys:
        value = body.get(key)
        if type(value) is int and value > 0:
            body[key] = value * 1000


def micros(raw: bytes) -> bytes:
    """One serialized event (a JSON object) with its time fields in µs."""
    body = orjson.loads(raw)
    if not isinstance(body, dict):
        return raw
    _scale(body, _ACCOUNT_TIMES if body.get("e") == "outboundAccountPosition" else _TIMES)
    kline = body.get("k")
    if isinstance(kline, dict):
        start, close = kline.get("t"), kline.get("T")
        if type(start) is int:
            kline["t"] = start * 1000
        if type(close) is int:
            kline["T"] = close * 1000 + 999  # the last µs of the kline, as REST's klines render it
    return orjson.dumps(body)
