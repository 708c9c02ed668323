"""``minance key audit`` flags each risky setting on keys made for the purpose, and ``minance key rotate``
leaves exactly one working key (automated on a minance server, guided as for Binance)."""

from __future__ import annotations

import json
import time

import pytest

from minance.client import Client, KeyRejectedError
from tests.e2e.usertools import User
from tests.support import Credentials, cli_json, run_cli, wait_for


@pytest.fixture
def user(tmp_path, server) -> User:
    return User(tmp_path, server.url)


def audit(user: User, profile: str, *extra: str) -> tuple[int, dict]:
    proc = user.run("key", "audit", "--profile", profile, "--json", *extra, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def flagged(report: dict) -> set[str]:
    return {f["code"] for f in report["findings"] if f["severity"] != "info"}


SAFE = ("--permissions", "reading,spot", "--ip", "127.0.0.1")


def test_a_well_configured_key_passes(server, user, make_creds):
    user.add("safe", make_creds(*SAFE), "--data", str(server.data_dir))
    code, report = audit(user, "safe")
    assert (code, report["verdict"], flagged(report)) == (0, "OK", set()), report
    assert report["restrictions"]["ipRestrict"] is True
    assert not any(f["code"] == "activity-unchecked" for f in report["findings"])  # alerts were read
    human = user.run("key", "audit", "--profile", "safe").stdout
    assert "verdict: OK" in human and "nothing risky" in human


@pytest.mark.parametrize(("key_args", "vault_args", "audit_args", "code", "severity"), [
    (("--permissions", "reading,spot,withdrawals", "--ip", "127.0.0.1"), (), (), "withdrawals-enabled", "critical"),
    (("--permissions", "reading,spot"), (), (), "no-ip-restriction", "high"),
    (SAFE, ("--use", "read"), (), "broader-than-use", "high"),
    (SAFE, ("--created", "45d"), (), "key-too-old", "warning"),
    (SAFE, ("--rotate-days", "0"), (), "key-too-old", "warning"),
    (("--permissions", "reading,spot"), (), ("--expiry-warn-days", "31"), "trading-authority-expiring", "warning"),
], ids=["withdrawals", "no-ip", "read-profile-can-trade", "old-key", "rotation-period", "trading-lapses"])
def test_each_risky_setting_is_flagged(server, user, make_creds, key_args, vault_args, audit_args, code, severity):
    user.add("p", make_creds(*key_args), "--data", str(server.data_dir), *vault_args)
    exit_code, report = audit(user, "p", *audit_args)
    assert exit_code == 1 and report["verdict"] in ("RISKY", "CRITICAL")
    assert any(f["code"] == code and f["severity"] == severity for f in report["findings"]), report
    human = user.run("key", "audit", "--profile", "p", *audit_args, check=False)
    assert human.returncode == 1 and "verdict: " in human.stdout and "→" in human.stdout


def test_suspicious_activity_on_a_minance_server(server, user, make_creds):
    creds = make_creds(*SAFE)
    user.add("watched", creds, "--data", str(server.data_dir))
    impostor = Client(creds.api_key, "not-the-secret", target=server.url)
    for _ in range(6):  # a burst of bad signatures: someone has the key id but not the secret
        with pytest.raises(Exception):  # noqa: B017 - SignatureError, checked by the server's alert below
            impostor.account()
    wait_for(lambda: cli_json(server.data_dir, "key", "alerts", creds.api_key), timeout=10)
    code, report = audit(user, "watched")
    assert code == 1 and "suspicious-activity" in flagged(report)
    assert any("AUTH_FAILURE_BURST" in f["message"] for f in report["findings"])
    # without the server's data dir the activity check is skipped, and says so
    user.add("blind", creds)
    code, report = audit(user, "blind")
    assert code == 0 and any(f["code"] == "activity-unchecked" for f in report["findings"])


def test_a_revoked_key_is_critical(server, user, make_creds):
    creds = make_creds(*SAFE)
    user.add("dead", creds)
    run_cli(server.data_dir, "key", "revoke", creds.api_key)
    code, report = audit(user, "dead")
    assert code == 1 and report["verdict"] == "CRITICAL" and flagged(report) == {"key-rejected"}


# -- rotation ----------------------------------------------------------------------------------------------
def working_keys(server, account: str) -> list[dict]:
    return [k for k in cli_json(server.data_dir, "key", "list", "--account", account)
            if k["status"] in ("active", "grace")]


def works(url: str, api_key: str, secret: str | None = None, private_pem: str | None = None) -> bool:
    try:
        Client(api_key, secret, private_key=private_pem, target=url).account()
    except KeyRejectedError:
        return False
    return True


@pytest.mark.parametrize("kind", ["hmac", "ed25519", "rsa"])
def test_rotation_on_a_minance_server_leaves_exactly_one_working_key(server, account, user, make_creds, kind):
    old = make_creds(*SAFE, kind=kind)
    user.add("bot", old, "--data", str(server.data_dir))
    rotated = user.json("key", "rotate", "--profile", "bot")
    assert rotated["oldKey"] == old.api_key[:6] + "…" + old.api_key[-4:]
    assert rotated["oldKeyValidUntil"] is None and "old key revoked" in rotated["checks"]
    (alive,) = working_keys(server, account)
    assert alive["apiKey"] != old.api_key and alive["apiKey"][:6] == rotated["newKey"][:6]
    assert alive["permissions"] == ["reading", "spot"] and alive["ips"] == ["127.0.0.1/32"]
    assert not works(server.url, old.api_key, old.secret, old.private_pem)
    # the vault holds the new key: every command using the profile goes on working
    assert user.json("vault", "show", "bot")["rotatedFrom"] == rotated["oldKey"]
    assert user.json("balance", "--profile", "bot")["quote"] == "USDT"
    code, report = audit(user, "bot")
    assert code == 0, report


def test_rotation_with_a_grace_period(server, account, user, make_creds):
    old = make_creds(*SAFE)
    user.add("bot", old, "--data", str(server.data_dir))
    rotated = user.json("key", "rotate", "--profile", "bot", "--grace", "3600")
    assert rotated["oldKeyValidUntil"] > time.time() * 1000 + 3_500_000
    assert works(server.url, old.api_key, old.secret)  # bots still holding it keep working for the grace
    statuses = sorted(k["status"] for k in working_keys(server, account))
    assert statuses == ["active", "grace"]


def test_rotation_needs_the_servers_admin_token(user, make_creds):
    user.add("bot", make_creds(*SAFE))
    proc = user.run("key", "rotate", "--profile", "bot", check=False)
    assert proc.returncode == 2 and "admin token" in proc.stderr


def test_key_rotate_says_which_flow(user):
    proc = user.run("key", "rotate", check=False)
    assert proc.returncode == 2 and "--profile" in proc.stderr
    proc = user.run("key", "rotate", "ABCDEF", "--profile", "bot", check=False)
    assert proc.returncode == 2 and "not both" in proc.stderr


def _guided(user: User, profile: str, new: Credentials, before_done) -> tuple[int, str, str]:
    proc = user.popen("key", "rotate", "--profile", profile, "--manual")
    proc.stdin.write(new.api_key + "\n" + (new.secret + "\n" if new.secret else ""))
    proc.stdin.flush()
    seen = ""
    while "DELETE the old key" not in seen:  # the tool verified and stored the new key, and asks to delete
        line = proc.stderr.readline()
        assert line, seen
        seen += line
    before_done()
    out, err = proc.communicate("\n", timeout=60)
    return proc.returncode, out, seen + err


@pytest.mark.parametrize("kind", ["hmac", "ed25519"])
def test_guided_rotation_as_on_binance(server, account, user, make_creds, kind):
    old = make_creds(*SAFE, kind=kind)
    user.add("bot", old)
    if kind == "hmac":
        new = make_creds(*SAFE)
    else:  # self-generated: the tool makes the key pair and prints the public key to upload
        new = None
    if new is None:
        proc = user.popen("key", "rotate", "--profile", "bot", "--manual")
        text = ""
        while "-----END PUBLIC KEY-----" not in text:
            text += proc.stderr.readline()
        public_pem = text[text.index("-----BEGIN PUBLIC KEY-----"):text.index("-----END PUBLIC KEY-----") + 24]
        pem_file = user.home / "new.pub"
        pem_file.write_text(public_pem + "\n")
        issued = cli_json(server.data_dir, "key", "create", "--account", account, "--type", "ed25519",
                          "--public-key", str(pem_file), *SAFE)
        proc.stdin.write(issued["apiKey"] + "\n")
        proc.stdin.flush()
        while "DELETE the old key" not in text:
            text += proc.stderr.readline()
        run_cli(server.data_dir, "key", "revoke", old.api_key)
        out, err = proc.communicate("\n", timeout=60)
        code, new_key = proc.returncode, issued["apiKey"]
    else:
        code, out, err = _guided(user, "bot", new, lambda: run_cli(server.data_dir, "key", "revoke", old.api_key))
        new_key = new.api_key
    assert code == 0, err
    assert "old key no longer works" in out
    (alive,) = working_keys(server, account)
    assert alive["apiKey"] == new_key
    assert user.json("balance", "--profile", "bot")["quote"] == "USDT"


def test_guided_rotation_checks_the_old_key_is_really_gone(server, account, user, make_creds):
    old = make_creds(*SAFE)
    user.add("bot", old)
    new = make_creds(*SAFE)
    code, _out, err = _guided(user, "bot", new, lambda: None)  # the user says done but did not delete it
    assert code == 2 and "still works" in err
    assert user.json("vault", "show", "bot")["apiKey"][:6] == new.api_key[:6]  # the new key is stored anyway
    bad = make_creds(*SAFE)
    bad_secret = Credentials("hmac", bad.info, secret="wrong" + bad.secret[5:])
    proc = user.popen("key", "rotate", "--profile", "bot", "--manual")
    _out, err = proc.communicate(bad_secret.api_key + "\n" + bad_secret.secret + "\n", timeout=60)
    assert proc.returncode == 2 and "does not work" in err
    assert user.json("vault", "show", "bot")["apiKey"][:6] == new.api_key[:6]  # unchanged
