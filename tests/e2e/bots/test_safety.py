"""Runtime safety: the kill switch stops a bot, a Binance rejection is logged with its code and the bot carries on
(or stops, per its policy) without spinning, and the template from ``bot new`` runs as is."""

from __future__ import annotations

import json
import textwrap
from decimal import Decimal

import pytest

from minance.bots import run
from minance.bots.safety import Limits

pytestmark = pytest.mark.parametrize("trader", [("USDT=1000",)], indirect=True)

GREEDY = textwrap.dedent('''
    from decimal import Decimal

    from minance.bots import Param, Strategy


    class Greedy(Strategy):
        """Every 200 ms, tries to buy more than the account holds (or a small lot when small=true)."""
        interval = None
        on_reject = "continue"
        symbol = Param(str, "BTCUSDT")
        small = Param(bool, False)

        def on_start(self, ctx):
            ctx.every("200ms", self.tick, catch_up=1)

        def tick(self, ctx):
            ctx.state["tries"] = ctx.state.get("tries", 0) + 1
            ctx.buy(Decimal("0.0001") if self.small else Decimal("5"))
    ''')


def _logs(result_path):
    from minance.bots.store import BotStore

    store = BotStore(result_path)
    try:
        return [r["msg"] for r in store.logs(1000)]
    finally:
        store.close()


def test_rejections_are_logged_with_their_code_and_never_spin(trader, tmp_path):
    path = tmp_path / "greedy.py"
    path.write_text(GREEDY)
    result = run(str(path), venue="local", profile=trader.profile, name="greedy", state_dir=trader.home / "greedy",
                 stop_after=1.5)
    tries = result.state["tries"]
    assert 3 <= tries <= 10  # one attempt per slot: a rejection does not make it retry in a loop
    assert result.reason == "5 failing hooks in a row" or result.reason == "run time elapsed"
    rejected = [m for m in _logs(result.state_path) if "-2010" in m]
    assert rejected and "insufficient balance" in rejected[0]
    assert all(o["status"] == "REJECTED" for o in result.orders)


def test_kill_switch_max_position_stops_the_bot(trader, tmp_path):
    path = tmp_path / "greedy.py"
    path.write_text(GREEDY)
    result = run(str(path), venue="local", profile=trader.profile, params={"small": "true"}, name="capped",
                 state_dir=trader.home / "capped", stop_after=10, limits=Limits(max_position=Decimal("0.00025")))
    assert result.reason.startswith("kill switch: buying 0.0001 BTCUSDT would hold")
    assert len([o for o in result.orders if o["status"] == "FILLED"]) == 2


def test_the_template_runs(trader, tmp_path):
    path = tmp_path / "mybot.py"
    made = trader.cli("bot", "new", str(path), "--json")
    assert made.returncode == 0 and path.exists()
    again = trader.cli("bot", "new", str(path))
    assert again.returncode == 2 and "exists" in again.stderr
    proc = trader.cli("bot", "run", str(path), "--profile", "env", "--param", "fast=2", "--param", "slow=3",
                      "--dry-run", "--for", "1s", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["reason"] == "run time elapsed"
