"""``dca`` across crashes: killed right after an order was answered (before the bot recorded it), then killed -9
at a random moment, then restarted — exactly one buy per schedule slot, no slot missed, every fill recorded once."""

from __future__ import annotations

import re
import signal

import pytest

from tests.e2e.bots.conftest import wait_until

pytestmark = pytest.mark.parametrize("trader", [("USDT=10000",)], indirect=True)
ARGS = ("bot", "run", "dca", "--profile", "env", "--param", "symbol=BTCUSDT", "--param", "quote=20",
        "--param", "every=1s", "--param", "catchup=100", "--name", "dca")


def _exchange_orders(trader):
    with trader.client() as c:
        return c.all_orders("BTCUSDT"), c.my_trades("BTCUSDT")


def test_dca_buys_each_slot_once_across_kill9(trader):
    # 1. the bot dies (SIGKILL) right after its 2nd order is answered: that order is on the exchange, not in its state
    proc = trader.spawn(*ARGS, extra_env={"MINANCE_BOT_CRASH_AFTER_SEND": "2"})
    assert proc.wait(timeout=30) == -signal.SIGKILL, proc.stderr.read()
    store = trader.store("dca")
    statuses = sorted(r["status"] for r in store.orders())
    store.close()
    assert statuses == ["FILLED", "INTENT"]
    assert len(_exchange_orders(trader)[0]) == 2

    # 2. restarted, it adopts that order, goes on, and is killed -9 at no particular moment
    proc = trader.spawn(*ARGS)
    wait_until(lambda: len(_exchange_orders(trader)[0]) >= 5, what="more buys after the restart")
    proc.kill()
    proc.wait(timeout=10)

    # 3. restarted once more for a while, then stopped cleanly
    proc = trader.spawn(*ARGS, "--for", "2s")
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err

    orders, trades = _exchange_orders(trader)
    store = trader.store("dca")
    rows = store.orders()
    fills = store.fills()
    store.close()
    slots = sorted(int(re.fullmatch(r"t:dca:(\d+)#1", r["cause"]).group(1)) for r in rows)
    assert slots == list(range(len(slots))), slots  # no slot missed, none twice
    assert len(orders) == len(slots)  # one buy per slot on the exchange: no double buy
    assert sorted(o.client_order_id for o in orders) == sorted(r["client_id"] for r in rows)
    assert all(o.status == "FILLED" for o in orders)
    assert sorted(f.trade_id for f in fills) == sorted(t.id for t in trades)  # no lost (or repeated) fill
    assert "adopted order" in "\n".join(_logs(trader))


def _logs(trader):
    store = trader.store("dca")
    try:
        return [r["msg"] for r in store.logs(1000)]
    finally:
        store.close()
