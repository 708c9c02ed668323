"""The vault and trading CLI as a user runs them against the real server: secrets only from stdin/prompt,
never on disk in clear, never in a process listing; wrong passphrases; concurrent writers; each backend."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest

from tests.e2e.usertools import PASSPHRASE, User
from tests.support import KEY_KINDS, REPO


@pytest.fixture
def user(tmp_path, server) -> User:
    return User(tmp_path, server.url)


def process_args() -> list[str]:
    """Every process's command line, as ``ps`` shows them to any user of the machine."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                out.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
            except OSError:
                continue
    return out


class Watcher:
    """Samples the process table in the background, looking for a string."""

    def __init__(self, needle: str) -> None:
        self.needle, self.seen, self.samples = needle, False, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.seen |= any(self.needle in args for args in process_args())
            self.samples += 1

    def __enter__(self) -> Watcher:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


# -- round trip per key type ---------------------------------------------------------------------------------
def test_profiles_round_trip_and_list_masked(user, make_creds):
    made = {kind: make_creds("--permissions", "reading,spot", kind=kind) for kind in KEY_KINDS}
    for kind, creds in made.items():
        stored = user.add(f"bot-{kind}", creds)
        assert stored["kind"] == kind.upper() and stored["apiKey"] != creds.api_key
    listed = user.json("vault", "list")
    assert [p["name"] for p in listed] == ["bot-ed25519", "bot-hmac", "bot-rsa"]
    text = json.dumps(listed)
    for creds in made.values():
        assert creds.api_key not in text and creds.api_key[:6] in text
    for kind in KEY_KINDS:  # the profile signs: a signed call through each
        balance = user.json("balance", "--profile", f"bot-{kind}")
        assert Decimal(balance["total"]) > 10000
    shown = user.json("vault", "show", "bot-rsa")
    assert shown["kind"] == "RSA" and shown["backend"] == "file"
    user.run("vault", "remove", "bot-rsa")
    missing = user.run("vault", "remove", "bot-rsa", check=False)
    assert missing.returncode == 2 and "no profile 'bot-rsa'" in missing.stderr


def test_vault_file_and_process_listing_never_hold_the_secret(user, make_creds):
    creds = make_creds("--permissions", "reading,spot")
    with Watcher(creds.secret) as watcher:
        proc = user.popen("vault", "add", "bot", "--api-key", creds.api_key)
        time.sleep(0.5)  # the command waits for the secret on stdin
        out, err = proc.communicate(creds.secret + "\n", timeout=60)
        assert proc.returncode == 0, err
        user.run("balance", "--profile", "bot")
        user.run("order", "buy", "BTCUSDT", "--qty", "0.0001", "--profile", "bot")
    assert watcher.samples > 10 and not watcher.seen
    raw = user.vault.read_bytes()
    assert creds.secret.encode() not in raw and creds.api_key.encode() not in raw
    assert stat.S_IMODE(user.vault.stat().st_mode) == 0o600
    assert creds.secret not in out + err


def test_a_secret_on_the_command_line_is_refused(user):
    refused = user.run("vault", "add", "bot", "--api-key", "K" * 64, "--api-secret", "S" * 64, check=False)
    assert refused.returncode == 2 and "never taken from the command line" in refused.stderr
    assert not user.vault.exists()


def test_wrong_passphrase_fails_clearly_and_corrupts_nothing(user, make_creds):
    creds = make_creds("--permissions", "reading,spot")
    user.add("bot", creds)
    before = user.vault.read_bytes()
    wrong = {"MINANCE_VAULT_PASSPHRASE": "not the passphrase"}
    other = make_creds()
    attempts = [
        user.run("vault", "add", "other", "--api-key", other.api_key, stdin=other.secret + "\n", env=wrong,
                 check=False),
        user.run("vault", "remove", "bot", env=wrong, check=False),
        user.run("balance", "--profile", "bot", env=wrong, check=False),
        user.run("vault", "export", "bot", "--reveal", "--reveal", env=wrong, check=False),
    ]
    for proc in attempts:
        assert proc.returncode == 2 and "wrong passphrase" in proc.stderr, proc.stderr
        assert creds.secret not in proc.stdout + proc.stderr
    assert user.vault.read_bytes() == before
    assert [p["name"] for p in user.json("vault", "list")] == ["bot"]  # still readable with the right one
    user.run("balance", "--profile", "bot")


def test_concurrent_writers_do_not_lose_entries(user, make_creds):
    keys = [make_creds() for _ in range(6)]
    procs = [user.popen("vault", "add", f"p{i}", "--api-key", c.api_key) for i, c in enumerate(keys)]
    for proc, creds in zip(procs, keys):
        proc.stdin.write(creds.secret + "\n")
        proc.stdin.close()
    for proc in procs:
        assert proc.wait(120) == 0, proc.stderr.read()
    assert sorted(p["name"] for p in user.json("vault", "list")) == [f"p{i}" for i in range(6)]
    assert user.json("balance", "--profile", "p5")["quote"] == "USDT"


def test_export_refuses_secrets_unless_asked_twice(user, make_creds):
    creds = make_creds()
    user.add("bot", creds)
    masked = user.run("vault", "export", "bot").stdout
    assert creds.secret not in masked and "**********" in masked
    once = user.run("vault", "export", "bot", "--reveal", check=False)
    assert once.returncode == 2 and "ask twice" in once.stderr and creds.secret not in once.stdout
    twice = user.run("vault", "export", "bot", "--reveal", "--reveal", "--format", "env").stdout
    assert f"MINANCE_API_SECRET={creds.secret}" in twice and f"MINANCE_API_KEY={creds.api_key}" in twice
    env = dict(line.split("=", 1) for line in twice.splitlines())
    assert user.json("balance", "--profile", "env", env=env)["quote"] == "USDT"  # the env backend takes it


def test_passphrase_change(user, make_creds):
    user.add("bot", make_creds())
    user.run("vault", "passwd", env={"MINANCE_VAULT_NEW_PASSPHRASE": "another passphrase"})
    assert user.run("balance", "--profile", "bot", check=False).returncode == 2
    user.run("balance", "--profile", "bot", env={"MINANCE_VAULT_PASSPHRASE": "another passphrase"})


def test_keyring_backend_file_backed(user, make_creds):
    pytest.importorskip("keyrings.alt")
    env = {"PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}
    creds = make_creds("--permissions", "reading,spot", kind="ed25519")
    pem = user.home / "ed.pem"
    pem.write_text(creds.private_pem)
    user.run("vault", "add", "keyring:kb", "--api-key", creds.api_key, "--private-key-file", str(pem), env=env)
    assert [p["name"] for p in user.json("vault", "list", "--backend", "keyring", env=env)] == ["kb"]
    assert user.json("balance", "--profile", "keyring:kb", env=env)["quote"] == "USDT"
    assert not user.vault.exists()  # it went to the keyring, not the file


def test_environment_profile(user, make_creds):
    creds = make_creds("--permissions", "reading,spot", kind="rsa")
    pem = user.home / "rsa.pem"
    pem.write_text(creds.private_pem)
    env = {"MINANCE_API_KEY": creds.api_key, "MINANCE_PRIVATE_KEY_FILE": str(pem)}
    listed = user.json("vault", "list", env=env)
    assert [(p["name"], p["backend"], p["kind"]) for p in listed] == [("env", "env", "RSA")]
    assert user.json("balance", "--profile", "env", env=env)["quote"] == "USDT"
    refused = user.run("vault", "remove", "env", env=env, check=False)
    assert refused.returncode == 2 and "read-only" in refused.stderr


# -- scan --------------------------------------------------------------------------------------------------
@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_scan_finds_planted_secrets_in_git_history(user, make_creds):
    creds = make_creds()
    repo = user.home / "mybot"
    repo.mkdir()
    env = {**os.environ, "GIT_AUTHOR_NAME": "u", "GIT_AUTHOR_EMAIL": "u@example.com", "GIT_COMMITTER_NAME": "u",
           "GIT_COMMITTER_EMAIL": "u@example.com", "HOME": str(user.home)}

    def git(*args):
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)

    git("init", "-q")
    (repo / "settings.toml").write_text(f'[binance]\napi_key = "{creds.api_key}"\napi_secret = "{creds.secret}"\n')
    git("add", "-A")
    git("commit", "-q", "-m", "settings")
    (repo / "settings.toml").write_text('[binance]\nprofile = "bot"\n')
    git("commit", "-q", "-am", "use the vault")
    found = user.run("vault", "scan", str(repo), "--json", check=False)
    assert found.returncode == 1
    findings = json.loads(found.stdout)["findings"]
    assert {(Path(f["path"]).name, f["line"]) for f in findings} == {("settings.toml", 2), ("settings.toml", 3)}
    assert all(len(f["commit"]) == 40 for f in findings)
    assert creds.secret not in found.stdout + found.stderr
    human = user.run("vault", "scan", str(repo), check=False)
    assert human.returncode == 1 and "settings.toml:3" in human.stdout and "rotate" in human.stderr

    clean = user.run("vault", "scan", str(REPO))
    assert clean.returncode == 0 and "no secrets found" in clean.stdout


# -- trading CLI -------------------------------------------------------------------------------------------
def test_trading_cli(user, make_creds):
    creds = make_creds("--permissions", "reading,spot")
    user.add("bot", creds)
    prices = user.json("market", "price", "BTCUSDT", "ETHUSDT")
    assert [p["symbol"] for p in prices] == ["BTCUSDT", "ETHUSDT"] and Decimal(prices[0]["price"]) > 0
    depth = user.json("market", "depth", "BTCUSDT", "--limit", "5")
    assert len(depth["bids"]) == 5 and Decimal(depth["bids"][0][0]) < Decimal(depth["asks"][0][0])
    assert len(user.json("market", "klines", "BTCUSDT", "--limit", "3")) == 3
    table = user.run("market", "depth", "BTCUSDT", "--limit", "3").stdout
    assert table.splitlines()[0].split() == ["BID", "QTY", "BID", "ASK", "ASK", "QTY"]

    bought = user.json("order", "buy", "BTCUSDT", "--qty", "0.001", "--profile", "bot")
    assert bought["status"] == "FILLED" and Decimal(bought["executedQty"]) == Decimal("0.001")
    spent = user.json("order", "buy", "ETHUSDT", "--quote", "100", "--profile", "bot")
    assert spent["status"] == "FILLED" and Decimal(spent["cummulativeQuoteQty"]) <= 100
    bid = Decimal(depth["bids"][0][0])
    low = str((bid * Decimal("0.9")).quantize(Decimal("0.01")))
    limit = user.json("order", "buy", "BTCUSDT", "--quote", "50", "--price", low, "--profile", "bot")
    assert limit["status"] == "NEW" and Decimal(limit["price"]) == Decimal(low)
    sell = user.json("order", "sell", "BTCUSDT", "--qty", "0.0005", "--price", str(bid * 2), "--profile", "bot",
                     "--client-id", "my-sell")
    assert sell["clientOrderId"] == "my-sell"
    listed = user.json("order", "list", "--profile", "bot")
    assert {o["orderId"] for o in listed} == {limit["orderId"], sell["orderId"]}
    cancelled = user.json("order", "cancel", "BTCUSDT", "--order-id", str(limit["orderId"]), "--profile", "bot")
    assert cancelled[0]["status"] == "CANCELED"
    user.json("order", "cancel", "BTCUSDT", "--client-id", "my-sell", "--profile", "bot")
    assert user.json("order", "list", "--profile", "bot") == []
    history = user.json("order", "list", "BTCUSDT", "--history", "--profile", "bot")
    assert len(history) == 3
    trades = user.json("trades", "BTCUSDT", "--profile", "bot")
    assert [t["orderId"] for t in trades] == [bought["orderId"]] * len(trades)
    assert user.json("order", "buy", "BTCUSDT", "--qty", "0.001", "--test", "--profile", "bot")["test"] is True

    balance = user.json("balance", "--profile", "bot")
    assets = {b["asset"]: b for b in balance["balances"]}
    assert set(assets) == {"BTC", "ETH", "USDT"} and balance["unpriced"] == []
    assert Decimal(balance["total"]) == sum(Decimal(b["valueUSDT"]) for b in assets.values())
    in_btc = user.json("balance", "--profile", "bot", "--quote", "BTC")
    assert Decimal(in_btc["total"]) < Decimal(balance["total"])
    human = user.run("balance", "--profile", "bot").stdout
    assert "VALUE (USDT)" in human and "total" in human and "E-" not in human

    broke = user.run("order", "buy", "BTCUSDT", "--qty", "5", "--price", low, "--profile", "bot", check=False)
    assert broke.returncode == 2 and "insufficient balance" in broke.stderr and "-2010" in broke.stderr
    both = user.run("order", "buy", "BTCUSDT", "--qty", "1", "--quote", "1", "--profile", "bot", check=False)
    assert both.returncode == 2 and "one of them" in both.stderr
    nobody = user.run("balance", "--profile", "nobody", check=False)
    assert nobody.returncode == 2 and "no profile 'nobody'" in nobody.stderr
    # a profile declared for reading does not trade, even when its key could: refused before anything is sent
    user.add("reader", make_creds("--permissions", "reading,spot"), "--use", "read")
    before = user.json("order", "list", "--profile", "bot")
    denied = user.run("order", "buy", "BTCUSDT", "--qty", "0.001", "--profile", "reader", check=False)
    assert denied.returncode == 2 and "declared --use read" in denied.stderr and "Traceback" not in denied.stderr
    assert user.json("order", "list", "--profile", "bot") == before
    assert user.json("order", "list", "--profile", "reader") == []  # reading still works


def test_the_passphrase_is_only_asked_for_what_needs_it(user, make_creds):
    user.add("bot", make_creds())
    no_passphrase = {"MINANCE_VAULT_PASSPHRASE": ""}
    env = {k: v for k, v in user.env.items() if k != "MINANCE_VAULT_PASSPHRASE"}
    proc = subprocess.run(user.argv("vault", "list", "--json"), capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=60)
    assert proc.returncode == 0 and json.loads(proc.stdout)[0]["name"] == "bot"
    proc = subprocess.run(user.argv("balance", "--profile", "bot"), capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=60, start_new_session=True)
    assert proc.returncode == 2 and "MINANCE_VAULT_PASSPHRASE" in proc.stderr
    assert user.run("market", "price", "BTCUSDT", env=no_passphrase).returncode == 0
    assert PASSPHRASE not in proc.stderr
