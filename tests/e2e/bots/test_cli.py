"""``minance bot ...`` and ``minance market dislocate`` as a user types them: the same strategy file through the
CLI and through Python, bad input (one line, exit 2, nothing sent), key safety, dry runs, and status/stop/logs from
another terminal."""

from __future__ import annotations

import json
import signal
import textwrap
from decimal import Decimal

import httpx
import pytest

from minance.bots import run
from tests.e2e.bots.conftest import wait_until

pytestmark = pytest.mark.parametrize("trader", [("USDT=1000", "BTC=0.01")], indirect=True)

ONCE = textwrap.dedent('''
    """Buys once, at start, with a fixed key; remembers what it paid."""
    from decimal import Decimal

    from minance.bots import Param, Strategy


    class Once(Strategy):
        interval = None
        symbol = Param(str, "BTCUSDT")
        quote = Param(Decimal, "10")

        def on_start(self, ctx):
            order = ctx.buy(ctx.round_qty(self.quote / ctx.quote().ask), key="once")
            ctx.state["paid"] = str(order.cummulative_quote_qty)
            ctx.state["status"] = order.status
    ''')


def _orders(trader, symbol="BTCUSDT"):
    with trader.client() as c:
        return c.all_orders(symbol)


def test_the_same_file_runs_from_python_and_the_cli(trader, tmp_path):
    path = tmp_path / "once.py"
    path.write_text(ONCE)
    py = run(str(path), venue="local", profile=trader.profile, params={"quote": "15"}, name="once-py",
             state_dir=trader.home / "once-py", stop_after=0.5)
    proc = trader.cli("bot", "run", str(path), "--profile", "env", "--param", "quote=15", "--name", "once-cli",
                      "--for", "1s", "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["orders"] == 1 and summary["fills"] >= 1
    cli_state = json.loads(trader.cli("bot", "status", "once-cli", "--json").stdout)["userState"]
    assert py.state["status"] == cli_state["status"] == "FILLED"
    assert Decimal(py.state["paid"]) > 0 and Decimal(cli_state["paid"]) > 0
    assert len(_orders(trader)) == 2  # one each: the key makes the client order ids differ per bot name


@pytest.mark.parametrize("args, message", [
    (("no-such-strategy",), "unknown strategy 'no-such-strategy'"),
    (("dca", "--param", "quote=20", "--param", "colour=red"), "unknown parameter 'colour'"),
    (("dca", "--param", "quote=twenty"), "--param quote: not a number: 'twenty'"),
    (("dca", "--param", "quote=20", "--param", "every=often"), "--param every: not a duration"),
    (("dca", "--param", "quote"), "--param 'quote': write it as NAME=VALUE"),
    (("dca",), "missing --param quote"),
    (("dca", "--param", "quote=20", "--param", "symbol=NOPEUSDT"), "unknown symbol NOPEUSDT"),
    (("dca", "--param", "quote=1"), "below BTCUSDT's min notional 5 USDT"),
    (("grid", "--param", "lower=2", "--param", "upper=1", "--param", "qty=0.001"), "lower must be positive"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_sent(trader, args, message):
    proc = trader.cli("bot", "run", *args, "--profile", "env", "--name", "bad")
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("minance: ") and message in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert _orders(trader) == []


def test_a_strategy_that_raises_shows_the_users_frames(trader, tmp_path):
    bad = tmp_path / "broken.py"
    bad.write_text(textwrap.dedent('''
        from minance.bots import Strategy


        class Broken(Strategy):
            interval = None

            def on_start(self, ctx):
                self.helper()

            def helper(self):
                return {}["missing"]
        '''))
    proc = trader.cli("bot", "run", str(bad), "--profile", "env")
    assert proc.returncode == 2
    assert "broken.py" in proc.stderr and "self.helper()" in proc.stderr and "KeyError" in proc.stderr
    assert "minance/bots" not in proc.stderr  # only the user's frames
    assert proc.stderr.strip().splitlines()[-1].startswith("minance: the strategy raised KeyError in on_start")
    syntax = tmp_path / "syntax.py"
    syntax.write_text("class Oops(:\n")
    proc = trader.cli("bot", "run", str(syntax), "--profile", "env")
    assert proc.returncode == 2 and "syntax.py:1: syntax error" in proc.stderr
    assert _orders(trader) == []


def test_read_profiles_and_withdrawal_keys_are_refused(trader):
    proc = trader.cli("bot", "run", "dca", "--param", "quote=20", "--profile", "env",
                      extra_env={"MINANCE_KEY_USE": "read"})
    assert proc.returncode == 2 and "declared --use read" in proc.stderr, proc.stderr
    token = (trader.server.data_dir / "admin.token").read_text().strip()
    issued = httpx.post(trader.server.url + "/admin/keys", headers={"Authorization": f"Bearer {token}"},
                        json={"account": trader.account, "permissions": ["reading", "spot", "withdrawals"],
                              "ips": ["127.0.0.1"]}).json()
    proc = trader.cli("bot", "run", "dca", "--param", "quote=20", "--profile", "env",
                      extra_env={"MINANCE_API_KEY": issued["apiKey"], "MINANCE_API_SECRET": issued["secretKey"]})
    assert proc.returncode == 2 and "withdrawals are enabled" in proc.stderr, proc.stderr
    assert _orders(trader) == []


def test_dry_run_sends_nothing(trader):
    proc = trader.cli("bot", "run", "dca", "--profile", "env", "--param", "quote=20", "--param", "every=1s",
                      "--dry-run", "--for", "2s", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["orders"] >= 2  # simulated against the book
    assert _orders(trader) == []


def test_status_stop_logs_list_from_another_terminal(trader):
    proc = trader.spawn("bot", "run", "guard", "--profile", "env", "--param", "stop_pct=5", "--name", "g1")
    store_ready = lambda: trader.store("g1").get("ready")  # noqa: E731
    wait_until(lambda: (trader.home / "g1" / "bot.db").exists() and store_ready(), what="the bot running")
    status = json.loads(trader.cli("bot", "status", "g1", "--json").stdout)
    assert status["state"] == "running" and status["running"] and status["openOrders"] == 1
    listed = json.loads(trader.cli("bot", "list", "--json").stdout)
    assert [b["name"] for b in listed] == ["g1"]
    assert len([o for o in _orders(trader) if o.status == "NEW"]) == 1
    stop = trader.cli("bot", "stop", "g1", "--cancel-orders", "--json")
    assert stop.returncode == 0, stop.stderr
    assert json.loads(stop.stdout)["state"] == "stopped"
    assert proc.wait(timeout=20) == 0
    assert [o.status for o in _orders(trader)] == ["CANCELED"]
    logs = trader.cli("bot", "logs", "g1").stdout
    assert "armed 0.01000000 BTCUSDT" in logs and "bot stopped: stop requested" in logs


def test_ctrl_c_stops_cleanly(trader):
    proc = trader.spawn("bot", "run", "dca", "--profile", "env", "--param", "quote=20", "--param", "every=1h",
                        "--name", "c1")
    wait_until(lambda: (trader.home / "c1" / "bot.db").exists() and trader.store("c1").get("ready"),
               what="the bot running")
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=20) == 0, proc.stderr.read()
    status = json.loads(trader.cli("bot", "status", "c1", "--json").stdout)
    assert status["state"] == "stopped" and "Ctrl-C" in status["reason"]


def test_market_dislocate_cli(trader):
    data = str(trader.server.data_dir)
    with trader.client() as c:
        before = c.book_ticker("ETHBTC").bid_price
    proc = trader.cli("market", "dislocate", "ETHBTC", "--bps", "60", "--for", "5s", "--data", data, "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["bps"] == 60
    with trader.client() as c:
        after = c.book_ticker("ETHBTC").bid_price
    assert after / before > Decimal("1.004")
    trader.step(6000)  # 5 s of market time later it is over
    with trader.client() as c:
        assert c.book_ticker("ETHBTC").bid_price / before < Decimal("1.003")
    bad = trader.cli("market", "dislocate", "NOPE", "--bps", "60", "--data", data)
    assert bad.returncode == 2, bad.stderr
    assert bad.stderr.strip().splitlines()[-1].startswith("minance: server refused: unknown symbol NOPE"), bad.stderr
