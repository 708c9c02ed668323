"""Listen keys (one per account, 60 minutes, -1125) and the per-account user events in engine order."""

from __future__ import annotations

import json

import pytest

from minance.domain.clock import SimClock
from minance.domain.errors import BinanceError
from minance.engine import Deposit
from minance.server.ws.protocol import Connection, WsLimits
from minance.server.ws.user_stream import LISTEN_KEY_TTL_MS, ListenKeys, UserSink, UserStreams
from tests.unit.engine.conftest import Harness, d

T0 = 1_700_000_000_000


def conn() -> Connection:
    return Connection(None, "127.0.0.1", "/ws", WsLimits())


def taken(c: Connection) -> list:
    out = [json.loads(m.data) for m in c._queue]
    c._queue.clear()
    return out


def test_one_key_per_account_extended_on_each_post():
    keys = ListenKeys()
    key = keys.create(1, T0)
    assert len(key) == 64 and key.isalnum()
    assert keys.create(1, T0 + 1000) == key  # same key, 60 more minutes
    assert keys.account_of(key, T0 + 1000 + LISTEN_KEY_TTL_MS - 1) == 1
    assert keys.create(2, T0) != key


def test_keepalive_close_and_unknown_keys():
    keys = ListenKeys()
    key = keys.create(1, T0)
    keys.keepalive(key, 1, T0 + LISTEN_KEY_TTL_MS - 1)
    assert keys.account_of(key, T0 + 2 * LISTEN_KEY_TTL_MS - 2) == 1
    for bad, account in ((key, 2), ("x" * 64, 1), (None, 1)):  # another account's key is unknown too
        with pytest.raises(BinanceError) as err:
            keys.keepalive(bad, account, T0)
        assert (err.value.code, err.value.msg) == (-1125, "This listenKey does not exist.")
    keys.close(key, 1, T0)
    with pytest.raises(BinanceError):
        keys.close(key, 1, T0)
    assert keys.account_of(key, T0) is None


def test_expiry_sends_listen_key_expired_and_silences_the_stream():
    clock = SimClock(T0)
    keys = ListenKeys()
    users = UserStreams(keys, clock)
    key = keys.create(1, T0)
    c = conn()
    users.attach(UserSink(c, 1, listen_key=key))
    clock.set_ms(T0 + LISTEN_KEY_TTL_MS)
    users.sweep(clock.now_ms())
    assert taken(c) == [{"e": "listenKeyExpired", "E": T0 + LISTEN_KEY_TTL_MS, "listenKey": key}]
    with pytest.raises(BinanceError):
        keys.keepalive(key, 1, clock.now_ms())
    assert keys.create(1, clock.now_ms()) != key
    h = Harness()
    users.on_events(h.run(Deposit(1, "USDT", d("5"), T0)).events)
    assert taken(c) == []


def test_closing_a_key_silences_without_expiry_event():
    clock = SimClock(T0)
    keys = ListenKeys()
    users = UserStreams(keys, clock)
    key = keys.create(1, T0)
    c = conn()
    users.attach(UserSink(c, 1, listen_key=key))
    keys.close(key, 1, T0)
    assert taken(c) == []
    assert users._sinks == {}


def test_order_lifecycle_events_in_engine_order_with_each_framing():
    h = Harness()
    h.fund(1, USDT="100000", BTC="10")
    h.fund(2, USDT="100000", BTC="10")
    users = UserStreams(ListenKeys(), SimClock(T0))
    raw, combined, api = conn(), conn(), conn()
    users.attach(UserSink(raw, 1, listen_key="k" * 64))
    users.attach(UserSink(combined, 1, listen_key="k" * 64, combined=True))
    users.attach(UserSink(api, 1, subscription_id=3))
    users.on_events(h.order(2, "SELL", price="100", quantity="1").events)  # another account: nothing
    assert taken(raw) == []
    users.on_events(h.order(1, "BUY", price="100", quantity="2").events)  # fills 1, rests 1
    events = taken(raw)
    assert [(e["e"], e.get("x"), e.get("X")) for e in events] == [
        ("executionReport", "NEW", "NEW"), ("executionReport", "TRADE", "PARTIALLY_FILLED"),
        ("outboundAccountPosition", None, None)]
    report = events[1]
    assert set(report) >= {"e", "E", "s", "c", "S", "o", "f", "q", "p", "P", "F", "g", "C", "x", "X", "r", "i", "l",
                           "z", "L", "n", "N", "T", "t", "I", "w", "m", "M", "O", "Z", "Y", "Q", "W", "V"}
    assert report["l"] == "1.00000000" and report["L"] == "100.00000000" and report["t"] > 0
    assert {b["a"] for b in events[2]["B"]} == {"USDT", "BTC"}
    assert [m["stream"] for m in taken(combined)] == ["k" * 64] * 3
    wrapped = taken(api)
    assert [m["subscriptionId"] for m in wrapped] == [3, 3, 3] and wrapped[1]["event"] == report
    order_id = report["i"]
    users.on_events(h.cancel(1, order_id=order_id).events)
    cancel = taken(raw)
    assert [(e["e"], e.get("x")) for e in cancel] == [("executionReport", "CANCELED"),
                                                      ("outboundAccountPosition", None)]
    assert cancel[0]["C"] == report["c"]
    users.on_events(h.run(Deposit(1, "ETH", d("2"), h.tick())).events)
    deposit = taken(raw)
    assert [e["e"] for e in deposit] == ["balanceUpdate", "outboundAccountPosition"]
    assert deposit[0]["a"] == "ETH" and deposit[0]["d"] == "2.00000000"
