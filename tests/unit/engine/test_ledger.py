"""The ledger alone: postings keep every asset's total equal to deposits minus withdrawals."""

import pytest

from minance.engine.ledger import Ledger, Reservation


def test_reserve_release_settle_conserve():
    ledger = Ledger(keep_entries=True)
    buyer_usdt, buyer_btc = ledger.cell(1, "USDT"), ledger.cell(1, "BTC")
    seller_usdt, seller_btc = ledger.cell(2, "USDT"), ledger.cell(2, "BTC")
    ledger.deposit(buyer_usdt, 1000)
    ledger.deposit(seller_btc, 10)
    b = Reservation(buyer_usdt, 0)
    s = Reservation(seller_btc, 0)
    ledger.reserve(b, 600)
    ledger.reserve(s, 5)
    ledger.settle(b, buyer_btc, s, seller_usdt, qty=5, quote=500, buyer_fee=1, seller_fee=2,
                  fee_base=ledger.cell(0, "BTC"), fee_quote=ledger.cell(0, "USDT"))
    ledger.release(b, b.amount)
    ledger.check_conservation()
    assert (buyer_usdt.free, buyer_usdt.locked, buyer_btc.free) == (500, 0, 4)
    assert (seller_usdt.free, seller_btc.free, seller_btc.locked) == (498, 5, 0)
    assert ledger.totals() == {"USDT": 1000, "BTC": 10}
    assert ledger.counts["trade"] == 4 and ledger.counts["fee"] == 2
    assert sum(e.free_delta + e.locked_delta for e in ledger.entries if e.asset == "BTC") == 10


def test_over_reserving_is_a_broken_invariant():
    ledger = Ledger()
    cell = ledger.cell(1, "USDT")
    ledger.deposit(cell, 10)
    with pytest.raises(AssertionError):
        ledger.reserve(Reservation(cell, 0), 11)
