"""Secrets: an HMAC secret is shown once, then never stored in clear, logged or printed again;
the activity log keeps who/what/where but never a signature or a parameter value."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.e2e.spec import ACCOUNT, ORDER, ORDER_TEST, RESTRICTIONS
from tests.support import (
    Credentials,
    admin_token,
    assert_error,
    assert_ok,
    cli_json,
    create_account,
    issue_key,
    now_ms,
    run_cli,
    running_server,
    wait_for,
)

CANARY = "CanaryValue7Q3x"  # a parameter value that must not reach the activity log or the server log


def files_holding(directory: Path, needles: list[bytes]) -> list[tuple[str, bytes]]:
    hits = []
    for path in directory.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            hits += [(str(path), n) for n in needles if n in content]
    return hits


def test_secrets_never_leave_the_moment_of_issue(tmp_path):
    data = tmp_path / "data"
    with running_server(data, "--log-level", "debug") as srv, httpx.Client(base_url=srv.url) as http:
        create_account(data, "alice", "USDT=100")
        creds = issue_key(data, "alice", "--permissions", "reading,spot", "--label", "bot")
        secret = creds.secret
        assert secret and len(secret) == 64

        signatures: list[str] = []

        def send(method: str, path: str, who: Credentials, params: dict, *, ts: int | None = None):
            query = "&".join(f"{k}={v}" for k, v in {**params, "timestamp": ts or now_ms()}.items())
            sig = who.sign(query)
            signatures.append(sig)
            return http.request(method, f"{path}?{query}&signature={sig}", headers={"X-MBX-APIKEY": who.api_key})

        assert_ok(send("GET", ACCOUNT, creds, {"recvWindow": 5000}))
        assert_ok(send("POST", ORDER_TEST, creds, {**ORDER, "newClientOrderId": CANARY}))
        forged = Credentials("hmac", creds.info, secret=secret[::-1])
        assert_error(send("POST", ORDER_TEST, forged, {**ORDER, "newClientOrderId": CANARY}), -1022, 400)
        assert_error(send("GET", ACCOUNT, creds, {"recvWindow": 5000}, ts=now_ms() - 60_000), -1021, 400)
        assert_error(send("POST", ORDER_TEST, creds, {**ORDER, "symbol": CANARY}), -1100, 400)  # not upper case
        # a user who pastes the secret where the key goes: refused, and not written down whole
        assert_error(http.get(f"{ACCOUNT}?timestamp={now_ms()}&signature=00", headers={"X-MBX-APIKEY": secret}),
                     -2015, 401)

        rotated = cli_json(data, "key", "rotate", creds.api_key, "--grace", "60")
        new = Credentials("hmac", rotated, secret=rotated["secretKey"])
        assert_ok(send("GET", RESTRICTIONS, new, {}))
        assert_ok(send("GET", ACCOUNT, creds, {}))  # the old key, in its grace period
        secrets = [secret, new.secret]

        activity = wait_for(lambda: len(a := cli_json(data, "key", "activity", creds.api_key)) >= 6 and a)
        # what the activity log does keep: method, path, outcome, address, and why in words
        assert [(r["method"], r["path"], r["code"]) for r in activity] == [
            ("GET", ACCOUNT, 0), ("POST", ORDER_TEST, 0), ("POST", ORDER_TEST, -1022), ("GET", ACCOUNT, -1021),
            ("POST", ORDER_TEST, -1100), ("GET", ACCOUNT, 0)]
        assert all(r["ip"] == "127.0.0.1" and "?" not in r["path"] for r in activity)
        assert activity[2]["note"] == "bad signature"

        token = admin_token(data)
        admin = {"Authorization": f"Bearer {token}"}
        shown = {
            "key list --json": run_cli(data, "key", "list", "--json").stdout,
            "key list": run_cli(data, "key", "list").stdout,
            "key show --json": run_cli(data, "key", "show", creds.api_key, "--json").stdout,
            "key show": run_cli(data, "key", "show", creds.api_key).stdout,
            "key show (new) --json": run_cli(data, "key", "show", new.api_key, "--json").stdout,
            "key activity --json": run_cli(data, "key", "activity", creds.api_key, "--json").stdout,
            "key activity": run_cli(data, "key", "activity", creds.api_key).stdout,
            "key activity (new)": run_cli(data, "key", "activity", new.api_key).stdout,
            "key alerts --json": run_cli(data, "key", "alerts", "--json").stdout,
            "key alerts": run_cli(data, "key", "alerts").stdout,
            "account show": run_cli(data, "account", "show", "alice", "--json").stdout,
            "admin keys": http.get("/admin/keys", headers=admin).text,
            "admin key": http.get(f"/admin/keys/{creds.api_key}", headers=admin).text,
            "admin activity": http.get(f"/admin/keys/{creds.api_key}/activity", headers=admin).text,
            "admin alerts": http.get("/admin/alerts", headers=admin).text,
        }
        assert "CODE" in shown["key activity"] and ORDER_TEST in shown["key activity"]  # the table is there
        for where, text in shown.items():
            for s in secrets:
                assert s not in text, f"secret printed by {where}"
        for where in ("key activity --json", "key activity", "admin activity", "key alerts --json"):
            assert CANARY not in shown[where], where
            assert not [sig for sig in signatures if sig in shown[where]], where

        # while the server runs (WAL and shared-memory files present)
        assert files_holding(data, [s.encode() for s in secrets]) == []

    # and once it has stopped and checkpointed
    assert files_holding(data, [s.encode() for s in secrets]) == []
    assert files_holding(tmp_path, [s.encode() for s in secrets]) == []  # the server log is beside the data dir
    log = srv.log_path.read_text()
    assert "alert" in log  # the debug log did record things (the grace-period alert at least)
    for leak in [*secrets, token, CANARY, *signatures]:
        assert leak not in log


def test_secret_repr_is_redacted():
    from minance.keys.material import new_hmac_secret
    from minance.keys.model import Secret
    from minance.keys.service import IssuedKey

    value = new_hmac_secret()
    secret = Secret(value)
    assert secret.reveal() == value
    for text in (repr(secret), str(secret), f"{secret}", f"{secret!r}", repr([secret]), repr({"s": secret}),
                 repr(IssuedKey(key=None, secret=secret)), str(ValueError(secret))):  # type: ignore[arg-type]
        assert value not in text, text
        assert value[:8] not in text and value[-8:] not in text, text
    assert "*" in repr(secret)


def test_verifier_repr_is_redacted():
    from minance.keys.material import new_hmac_secret
    from minance.keys.model import KeyType
    from minance.keys.verify import Verifier

    value = new_hmac_secret()
    verifier = Verifier(KeyType.HMAC, secret=value.encode())
    for text in (repr(verifier), str(verifier), f"{verifier}", repr([verifier])):
        assert value not in text and value[:8] not in text, text
        assert repr(value.encode()) not in text
    assert not hasattr(verifier, "__dict__")  # no attribute dump through vars()


def test_the_key_create_output_is_the_only_place_the_secret_appears(server, make_key):
    issued = make_key("--permissions", "reading,spot")
    secret = issued["secretKey"]
    shown = cli_json(server.data_dir, "key", "show", issued["apiKey"])
    assert "secretKey" not in shown and secret not in str(shown)
    assert secret not in run_cli(server.data_dir, "key", "list", "--json").stdout
    assert files_holding(server.data_dir, [secret.encode()]) == []
    assert secret not in server.log()


def test_a_private_key_is_refused_and_not_kept(server, account, tmp_path):
    from tests.support import generate_key_pair

    private_pem, _ = generate_key_pair("ed25519")
    pem_file = tmp_path / "oops.pem"
    pem_file.write_text(private_pem)
    refused = run_cli(server.data_dir, "key", "create", "--account", account, "--type", "ed25519", "--public-key",
                      str(pem_file), check=False)
    assert refused.returncode != 0 and "private key" in refused.stderr.lower()
    body = private_pem.splitlines()[1].encode()
    assert files_holding(server.data_dir, [body]) == []
    assert body.decode() not in refused.stderr + refused.stdout
