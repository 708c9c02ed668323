"""Snapshot/restore round trips and determinism."""

from decimal import Decimal

from minance.engine import Exchange, NewOco, OrderLeg, check_invariants


def _busy(h):
    h.placed(3, "SELL", price="50000", quantity="0.01")
    h.placed(2, "BUY", price="50000", quantity="0.01")
    h.placed(2, "SELL", price="50100", quantity="0.3")
    h.placed(2, "SELL", price="50100", quantity="0.2")
    h.placed(3, "BUY", price="49900", quantity="0.5")
    h.placed(1, "BUY", price="50100", quantity="0.1")
    h.placed(1, "SELL", "STOP_LOSS_LIMIT", price="48000", stop_price="49000", quantity="0.2")
    h.placed(1, "SELL", "STOP_LOSS", quantity="0.1", trailing_delta=300)
    h.run(NewOco(2, "BTCUSDT", "SELL", Decimal("0.1"), above=OrderLeg("LIMIT_MAKER", price=Decimal("52000")),
                 below=OrderLeg("STOP_LOSS", stop_price=Decimal("48000")), ts_ms=h.tick()))
    h.placed(1, "BUY", "MARKET", quote_order_qty="1000")


def test_restore_round_trip_keeps_the_hash_and_the_future(h):
    _busy(h)
    snap = h.ex.snapshot()
    copy = Exchange()
    copy.restore(snap)
    check_invariants(copy)
    assert copy.state_hash() == h.ex.state_hash()
    assert copy.snapshot() == snap
    # the same next commands give the same events on both
    other = type(h)(copy)
    other.ts = h.ts
    for harness in (h, other):
        harness.fund(9, BTC="1")
        harness.placed(9, "SELL", "MARKET", quantity="0.9")  # sweeps bids, fires the stops
        harness.placed(3, "BUY", price="50100", quantity="0.2")
    assert [e for e in h.ex.handle(_probe(h)).events] == [e for e in copy.handle(_probe(other)).events]
    assert copy.state_hash() == h.ex.state_hash()


def _probe(harness):
    from minance.engine import NewOrder

    return NewOrder(2, "BTCUSDT", "BUY", "LIMIT", harness.ts + 1, quantity=Decimal("0.05"), price=Decimal("50100"),
                    time_in_force="GTC")


def test_replay_is_deterministic(h):
    _busy(h)
    replay = Exchange(keep_entries=True)
    for cmd in h.log:
        replay.handle(cmd)
    assert replay.state_hash() == h.ex.state_hash()
    assert replay.snapshot() == h.ex.snapshot()


def test_hash_changes_with_state(h):
    before = h.ex.state_hash()
    h.placed(1, "BUY", price="40000", quantity="0.1")
    assert h.ex.state_hash() != before
