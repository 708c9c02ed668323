"""What a new user tripped on (issue 9, item 5), each as the user meets it: the real CLI, a real server.

serve on a busy port, the banner's MINANCE_URL and first key, connection errors, `| head`, --version, commands
run outside the data dir, private data files, read-only profiles, `order cancel --all` with an OCO open, alerts
that name their key, and `vault scan` on minance's own secrets.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import socket
import stat
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from minance.client import Client, ReadOnlyError
from minance.vault.profile import Profile, Secret, Use
from tests.e2e.usertools import User
from tests.support import admin_token, free_port, running_server, signed_request, wait_for

MINANCE = [sys.executable, "-m", "minance"]


def minance(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            **kw) -> subprocess.CompletedProcess:
    """``minance ARGS`` with no MINANCE_DATA / MINANCE_URL from the test's environment."""
    clean = {k: v for k, v in os.environ.items() if k not in ("MINANCE_DATA", "MINANCE_URL")}
    kw.setdefault("capture_output", "stdout" not in kw)
    return subprocess.run([*MINANCE, *args], text=True, timeout=60, cwd=cwd, env={**clean, **(env or {})}, **kw)


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1 and proc.stderr.startswith("minance: ")
    return proc.stderr


@pytest.fixture
def user(tmp_path, server) -> User:
    return User(tmp_path, server.url)


# -- serve --------------------------------------------------------------------------------------------------------
def test_serve_on_a_busy_port_fails_before_its_banner(tmp_path):
    data = tmp_path / "data"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = minance("serve", "--data", str(data), "--port", str(port), "--no-market")
    error = one_line_error(proc)
    assert f"127.0.0.1:{port}" in error and "in use" in error and "--port" in error
    assert "serving" not in proc.stdout
    assert not (data / "server.json").exists()  # no note naming a process that is not serving


def test_the_banner_names_minance_url_and_its_first_key_passes_audit(tmp_path):
    data = tmp_path / "data"
    with running_server(data, "--market-clock", "manual") as srv:
        banner = srv.log()
        assert f"export MINANCE_URL={srv.url}" in banner  # not on 8080: how the 'local' target finds it
        commands = [shlex.split(line) for line in banner.splitlines() if line.startswith("  ") and " create " in line]
        assert len(commands) == 2 and "--ip" in commands[1] and "127.0.0.1" in commands[1]
        # run the banner's two commands as printed (minus how minance was invoked), then the user side
        account = minance(*commands[0][commands[0].index("account"):])
        assert account.returncode == 0, account.stderr
        key = json.loads(minance(*commands[1][commands[1].index("key"):]).stdout)
        person = User(tmp_path / "home", srv.url)
        person.run("vault", "add", "bot", "--api-key", key["apiKey"], stdin=key["secretKey"] + "\n")
        audit = person.run("key", "audit", "--profile", "bot", "--data", str(data), check=False)
        assert audit.returncode == 0, audit.stdout + audit.stderr


def test_connection_errors_name_the_url(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    error = one_line_error(minance("market", "price", "BTCUSDT", env={"MINANCE_URL": url}))
    assert url in error and "MINANCE_URL" in error


# -- the command line itself -------------------------------------------------------------------------------------
def test_a_closed_pipe_is_quiet_and_version_exists(tmp_path):
    (tmp_path / ".env").write_text(f"MINANCE_MASTER_KEY={secrets.token_hex(32)}\n")
    read, write = os.pipe()
    os.close(read)  # the reader (`| head`) is gone before minance writes
    try:
        proc = minance("vault", "scan", str(tmp_path), "--no-history", "--json", stdout=write, stderr=subprocess.PIPE)
    finally:
        os.close(write)
    assert proc.returncode == 141 and proc.stderr == ""  # 128 + SIGPIPE, no BrokenPipeError traceback
    version = minance("--version")
    assert version.returncode == 0 and version.stdout.startswith("minance ")


@pytest.mark.parametrize("args", [("account", "list"), ("key", "list"), ("account", "show", "alice"),
                                  ("key", "alerts"), ("account", "deposit", "alice", "USDT", "1")])
def test_management_commands_do_not_make_a_data_dir(tmp_path, args):
    elsewhere = tmp_path / "not-a-data-dir"
    elsewhere.mkdir()
    error = one_line_error(minance(*args, cwd=elsewhere))
    assert str(elsewhere / "minance-data") in error and "--data" in error and "MINANCE_DATA" in error
    assert list(elsewhere.iterdir()) == []  # no new data dir, no new master key
    given = tmp_path / "typo"
    error = one_line_error(minance(*args, "--data", str(given)))
    assert str(given) in error and not given.exists()


def test_account_create_still_makes_a_data_dir(tmp_path):
    proc = minance("account", "create", "alice", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "minance-data" / "master.key").exists()
    assert minance("account", "list", "--json", cwd=tmp_path).returncode == 0


def test_data_files_are_private(server, http, make_creds):
    signed_request(http, "GET", "/api/v3/account", make_creds())  # something journalled and logged
    data = server.data_dir
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    files = [p for p in data.iterdir() if p.name.startswith(("minance.db", "journal.db"))]
    assert {p.name for p in files} >= {"minance.db", "journal.db"}
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in files} == {p.name: 0o600 for p in files}
    for name in ("master.key", "admin.token"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600


# -- trading with a profile --------------------------------------------------------------------------------------
def test_a_read_profile_refuses_trading_in_the_sdk(server, make_creds):
    creds = make_creds("--permissions", "reading,spot")  # the key could trade; the profile says it must not
    profile = Profile("reader", creds.api_key, secret=Secret(creds.secret), target=server.url, use=Use.READ)
    with profile.client() as client:
        assert client.account().balance("USDT").free == Decimal(10000)  # reads work
        for call in (lambda: client.create_order("BTCUSDT", "BUY", "MARKET", quantity="0.001"),
                     lambda: client.test_order("BTCUSDT", "BUY", "MARKET", quantity="0.001"),
                     lambda: client.cancel_open_orders("BTCUSDT"),
                     lambda: client.withdraw("USDT", "0x" + "1" * 40, "10", network="ETH")):
            with pytest.raises(ReadOnlyError, match="--use trade"):
                call()
        assert client.my_trades("BTCUSDT") == [] and client.open_orders("BTCUSDT") == []  # nothing got through
    trade = Profile("trader", creds.api_key, secret=Secret(creds.secret), target=server.url, use=Use.TRADE)
    with trade.client() as client:
        assert client.test_order("BTCUSDT", "BUY", "MARKET", quantity="0.001") is not None


def test_cancel_all_lists_every_cancelled_order_and_nothing_open_is_fine(user, make_creds, server):
    creds = make_creds("--permissions", "reading,spot")
    user.add("bot", creds)
    with Client(creds.api_key, creds.secret, target=server.url) as client:
        price = client.ticker_price("BTCUSDT").price
        low, high = (price / 2).quantize(Decimal("0.01")), (price * 2).quantize(Decimal("0.01"))
        plain = client.create_order("BTCUSDT", "BUY", "LIMIT", quantity="0.001", price=low, time_in_force="GTC")
        oco = client.create_oco("BTCUSDT", "SELL", "0.001", "LIMIT_MAKER", "STOP_LOSS", above_price=high,
                                below_stop_price=low)
    cancelled = user.json("order", "cancel", "BTCUSDT", "--all", "--profile", "bot")
    legs = {o.order_id for o in oco.orders}
    assert {o["orderId"] for o in cancelled} == {plain.order_id} | legs and len(cancelled) == 3
    assert all(o["status"] == "CANCELED" for o in cancelled)
    assert {o["orderId"] for o in cancelled if o.get("orderListId", -1) == oco.order_list_id} == legs
    table = user.run("order", "cancel", "BTCUSDT", "--all", "--profile", "bot")  # nothing open any more
    assert table.stdout.strip() == "no open orders on BTCUSDT" and table.stderr == ""
    assert user.json("order", "cancel", "BTCUSDT", "--all", "--profile", "bot") == []


# -- alerts say which key ----------------------------------------------------------------------------------------
def test_alert_rows_name_their_key_masked(server, http, make_creds):
    creds = make_creds("--ip", "10.9.9.9")  # used from 127.0.0.1: denied, and an alert
    assert signed_request(http, "GET", "/api/v3/account", creds).status_code == 401
    rows = wait_for(lambda: json.loads(minance("key", "alerts", creds.api_key, "--json", "--data",
                                               str(server.data_dir)).stdout))
    masked = rows[0]["apiKey"]
    assert masked and masked != creds.api_key and masked[:6] == creds.api_key[:6]
    table = minance("key", "alerts", "--data", str(server.data_dir)).stdout
    assert table.splitlines()[0].split()[:3] == ["TIME", "KEY", "ALERT"] and masked in table
    assert creds.api_key not in table
    admin = httpx.get(server.url + "/admin/alerts", params={"key": creds.api_key},
                      headers={"Authorization": f"Bearer {admin_token(server.data_dir)}"})
    assert [a["apiKey"] for a in admin.json()] == [masked] * len(admin.json())


# -- vault scan ----------------------------------------------------------------------------------------------------
def test_vault_scan_finds_minances_own_secrets_and_never_prints_them(tmp_path):
    master, token, passphrase = secrets.token_hex(32), secrets.token_hex(32), f"my vault pass {secrets.token_hex(3)}"
    (tmp_path / "minance-data").mkdir()
    (tmp_path / ".env").write_text(f"MINANCE_MASTER_KEY={master}\nMINANCE_VAULT_PASSPHRASE={passphrase!r}\n")
    (tmp_path / "minance-data" / "master.key").write_text(master)
    (tmp_path / "minance-data" / "admin.token").write_text(token)
    (tmp_path / "notes.txt").write_text(f"Authorization: Bearer {token}\n")
    human = minance("vault", "scan", str(tmp_path), "--no-history")
    found = minance("vault", "scan", str(tmp_path), "--no-history", "--json")
    assert human.returncode == 1 and found.returncode == 1
    kinds = sorted(f["kind"] for f in json.loads(found.stdout)["findings"])
    assert kinds == ["bearer-token", "minance-admin-token", "minance-master-key", "minance-master-key",
                     "minance-vault-passphrase"]
    for out in (human.stdout + human.stderr, found.stdout):
        assert master not in out and token not in out and passphrase not in out
