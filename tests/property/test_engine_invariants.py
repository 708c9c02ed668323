"""Random order flows against the engine, with the whole-state invariants checked after every command.

Checked after each step: per-asset conservation (totals move only by deposits/withdrawals), no negative
balance, every account's locked balance equal to what its open orders reserve, no crossed book at rest,
book levels consistent with their orders, and a declined command leaving the state hash unchanged. At
the end: snapshot/restore keeps the hash (and the snapshot), and replaying the commands on a fresh engine
gives the same hash.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minance.engine import (
    CancelOpenOrders,
    CancelOrder,
    CancelReplace,
    Deposit,
    Exchange,
    NewOco,
    NewOrder,
    NewOto,
    NewOtoco,
    OrderLeg,
    SetCommission,
    Withdraw,
    check_invariants,
)

SYMBOL = "BTCUSDT"
MID = 50_000
TRADERS = (1, 2, 3)
MAKER = 10  # a market-maker-like account quoting ladders
ACCOUNTS = (*TRADERS, MAKER)
STP = st.sampled_from([None, "NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT"])
PRICE = st.integers(-25, 25)  # dollars from the mid
QTY = st.integers(1, 60)  # thousandths of a BTC


def price(offset: int) -> Decimal:
    return Decimal(MID + offset)


def qty(n: int) -> Decimal:
    return Decimal(n) / 1000


ops = st.one_of(
    st.tuples(st.just("limit"), st.sampled_from(ACCOUNTS), st.sampled_from(["BUY", "SELL"]), PRICE, QTY,
              st.sampled_from(["GTC", "GTC", "IOC", "FOK"]), STP),
    st.tuples(st.just("maker"), st.sampled_from(ACCOUNTS), st.sampled_from(["BUY", "SELL"]), PRICE, QTY),
    st.tuples(st.just("market"), st.sampled_from(ACCOUNTS), st.sampled_from(["BUY", "SELL"]), QTY, st.booleans(),
              STP),
    st.tuples(st.just("stop"), st.sampled_from(TRADERS), st.sampled_from(["BUY", "SELL"]),
              st.sampled_from(["STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"]), PRICE, QTY,
              st.sampled_from([None, None, 50, 200])),
    st.tuples(st.just("cancel"), st.sampled_from(ACCOUNTS), st.integers(0, 50)),
    st.tuples(st.just("cancel_all"), st.sampled_from(ACCOUNTS)),
    st.tuples(st.just("replace"), st.sampled_from(ACCOUNTS), st.integers(0, 50), PRICE, QTY,
              st.sampled_from(["STOP_ON_FAILURE", "ALLOW_FAILURE"])),
    st.tuples(st.just("oco"), st.sampled_from(TRADERS), st.sampled_from(["BUY", "SELL"]), st.integers(1, 20),
              st.integers(1, 20), QTY),
    st.tuples(st.just("oto"), st.sampled_from(TRADERS), st.sampled_from(["BUY", "SELL"]), PRICE, QTY),
    st.tuples(st.just("otoco"), st.sampled_from(TRADERS), st.sampled_from(["BUY", "SELL"]), PRICE, QTY),
    st.tuples(st.just("quotes"), st.integers(-5, 5), st.integers(1, 4)),
    st.tuples(st.just("cash"), st.sampled_from(ACCOUNTS), st.sampled_from(["BTC", "USDT"]), st.integers(-300, 300)),
    st.tuples(st.just("fees"), st.sampled_from(ACCOUNTS), st.integers(0, 30), st.integers(0, 30)),
)


class Driver:
    def __init__(self) -> None:
        self.ex = Exchange(keep_entries=True)
        self.ts = 1_700_000_000_000
        self.log: list = []
        for account in ACCOUNTS:
            self.send(Deposit(account, "USDT", Decimal(200_000 if account == MAKER else 20_000), self.tick()))
            self.send(Deposit(account, "BTC", Decimal(4 if account == MAKER else 1), self.tick()))
        self.send(NewOrder(1, SYMBOL, "SELL", "LIMIT", self.tick(), quantity=Decimal("0.01"), price=price(0),
                           time_in_force="GTC"))
        self.send(NewOrder(2, SYMBOL, "BUY", "LIMIT", self.tick(), quantity=Decimal("0.01"), price=price(0),
                           time_in_force="GTC"))

    def tick(self) -> int:
        self.ts += 250
        return self.ts

    def send(self, cmd) -> None:
        before = self.ex.state_hash()
        self.log.append(cmd)
        result = self.ex.handle(cmd)
        check_invariants(self.ex)
        if not result.ok and result.reply is None:
            assert result.events == [] and self.ex.state_hash() == before, result.error

    def open_ids(self, account: int) -> list[int]:
        return [v.order_id for v in self.ex.open_orders(account, SYMBOL)]

    def apply(self, op: tuple) -> None:
        getattr(self, "op_" + op[0])(*op[1:])

    def op_limit(self, account, side, offset, n, tif, stp) -> None:
        self.send(NewOrder(account, SYMBOL, side, "LIMIT", self.tick(), quantity=qty(n), price=price(offset),
                           time_in_force=tif, stp_mode=stp))

    def op_maker(self, account, side, offset, n) -> None:
        self.send(NewOrder(account, SYMBOL, side, "LIMIT_MAKER", self.tick(), quantity=qty(n), price=price(offset)))

    def op_market(self, account, side, n, by_quote, stp) -> None:
        amount = {"quote_order_qty": qty(n) * 1000} if by_quote else {"quantity": qty(n)}
        self.send(NewOrder(account, SYMBOL, side, "MARKET", self.tick(), stp_mode=stp, **amount))

    def op_stop(self, account, side, order_type, offset, n, trailing) -> None:
        limit = {"price": price(offset), "time_in_force": "GTC"} if order_type.endswith("LIMIT") else {}
        stop = {"stop_price": price(offset + (3 if side == "BUY" else -3))} if trailing is None or offset % 2 else {}
        self.send(NewOrder(account, SYMBOL, side, order_type, self.tick(), quantity=qty(n), trailing_delta=trailing,
                           **stop, **limit))

    def op_cancel(self, account, index) -> None:
        ids = self.open_ids(account)
        order_id = ids[index % len(ids)] if ids else 10**6
        self.send(CancelOrder(account, SYMBOL, self.tick(), order_id=order_id))

    def op_cancel_all(self, account) -> None:
        self.send(CancelOpenOrders(account, SYMBOL, self.tick()))

    def op_replace(self, account, index, offset, n, mode) -> None:
        ids = self.open_ids(account)
        order_id = ids[index % len(ids)] if ids else 10**6
        new = NewOrder(account, SYMBOL, "BUY" if offset < 0 else "SELL", "LIMIT", self.ts + 1, quantity=qty(n),
                       price=price(offset), time_in_force="GTC")
        self.send(CancelReplace(account, SYMBOL, self.tick(), mode, new, cancel_order_id=order_id))

    def op_oco(self, account, side, up, down, n) -> None:
        last = int(self.ex.last_price(SYMBOL) or MID)
        profit = OrderLeg("LIMIT_MAKER", price=Decimal(last + up if side == "SELL" else last - up))
        loss = OrderLeg("STOP_LOSS_LIMIT", price=Decimal(last - down - 1 if side == "SELL" else last + down + 1),
                        stop_price=Decimal(last - down if side == "SELL" else last + down), time_in_force="GTC")
        above, below = (profit, loss) if side == "SELL" else (loss, profit)
        self.send(NewOco(account, SYMBOL, side, qty(n), above=above, below=below, ts_ms=self.tick()))

    def op_oto(self, account, side, offset, n) -> None:
        other = "SELL" if side == "BUY" else "BUY"
        exit_price = price(offset + (10 if side == "BUY" else -10))
        self.send(NewOto(account, SYMBOL, working=OrderLeg("LIMIT", side=side, quantity=qty(n), price=price(offset),
                                                             time_in_force="GTC"),
                         pending=OrderLeg("LIMIT", side=other, quantity=qty(n), price=exit_price,
                                          time_in_force="GTC"), ts_ms=self.tick()))

    def op_otoco(self, account, side, offset, n) -> None:
        """Enter at ``offset``; once filled, exit with a take-profit 15 away or a stop-loss 8 away."""
        exit_side = "SELL" if side == "BUY" else "BUY"
        sign = 1 if side == "BUY" else -1
        profit = OrderLeg("LIMIT_MAKER", price=price(offset + sign * 15))
        loss = OrderLeg("STOP_LOSS", stop_price=price(offset - sign * 8))
        above, below = (profit, loss) if exit_side == "SELL" else (loss, profit)
        self.send(NewOtoco(account, SYMBOL, working=OrderLeg("LIMIT", side=side, quantity=qty(n),
                                                             price=price(offset), time_in_force="GTC"),
                           pending_side=exit_side, pending_quantity=qty(n), pending_above=above,
                           pending_below=below, ts_ms=self.tick()))

    def op_quotes(self, shift, depth) -> None:
        """The market maker pulls its quotes and lays a fresh ladder around the mid."""
        if self.open_ids(MAKER):
            self.send(CancelOpenOrders(MAKER, SYMBOL, self.tick()))
        for level in range(1, depth + 1):
            for side, sign in (("BUY", -1), ("SELL", 1)):
                self.send(NewOrder(MAKER, SYMBOL, side, "LIMIT", self.tick(), quantity=Decimal("0.02"),
                                   price=price(shift + sign * level), time_in_force="GTC", stp_mode="EXPIRE_MAKER"))

    def op_cash(self, account, asset, amount) -> None:
        if amount > 0:
            self.send(Deposit(account, asset, Decimal(amount) / 100, self.tick()))
        elif amount < 0:
            self.send(Withdraw(account, asset, Decimal(-amount) / 100, self.tick()))

    def op_fees(self, account, maker_bps, taker_bps) -> None:
        self.send(SetCommission(account, maker_bps, taker_bps, self.tick()))


@settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ops, min_size=30, max_size=90))
def test_random_flows_keep_the_invariants(flow):
    driver = Driver()
    for op in flow:
        driver.apply(op)
    ex = driver.ex
    snap = ex.snapshot()
    restored = Exchange()
    restored.restore(snap)
    check_invariants(restored)
    assert restored.state_hash() == ex.state_hash() and restored.snapshot() == snap
    replay = Exchange(keep_entries=True)
    for cmd in driver.log:
        replay.handle(cmd)
    assert replay.state_hash() == ex.state_hash()


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ops, min_size=10, max_size=40), st.integers(1, 9))
def test_restore_midway_continues_identically(flow, cut):
    """A snapshot taken mid-flow, restored, and fed the rest gives the same end state as never stopping."""
    driver = Driver()
    cut = len(flow) * cut // 10
    for op in flow[:cut]:
        driver.apply(op)
    resumed = Exchange()
    resumed.restore(driver.ex.snapshot())
    start = len(driver.log)
    for op in flow[cut:]:
        driver.apply(op)
    for cmd in driver.log[start:]:
        resumed.handle(cmd)
    assert resumed.state_hash() == driver.ex.state_hash()
    assert resumed.snapshot() == driver.ex.snapshot()
