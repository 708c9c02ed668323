"""The admin HTTP API (/admin/...): the CLI's key operations over HTTP, behind the admin token."""

from __future__ import annotations

import stat

import pytest

from tests.e2e.spec import (
    ACCOUNT,
    DEPOSITS,
    ORDER,
    ORDER_TEST,
    REJECTED_KEY,
    RESTRICTIONS,
    UNAUTHORIZED,
    balances_of,
)
from tests.support import Credentials, admin_token, assert_error, assert_ok, generate_key_pair, signed_request, wait_for


class Admin:
    """The admin API with the right token: ``admin(method, path, body)`` expects 200 and returns the JSON;
    ``admin.raw(...)`` returns the response."""

    def __init__(self, http, token: str) -> None:
        self.http = http
        self.headers = {"Authorization": f"Bearer {token}"}

    def raw(self, method: str, path: str, body: dict | None = None, **kw):
        return self.http.request(method, path, json=body, headers=self.headers, **kw)

    def __call__(self, method: str, path: str, body: dict | None = None, **kw):
        resp = self.raw(method, path, body, **kw)
        assert resp.status_code == 200, (resp.status_code, resp.text)
        assert resp.headers["content-type"].startswith("application/json")
        return resp.json()


@pytest.fixture
def admin(server, http) -> Admin:
    return Admin(http, admin_token(server.data_dir))


def admin_error(resp, status: int, code: int, msg: str | None = None) -> None:
    assert resp.status_code == status, (resp.status_code, resp.text)
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {"code", "msg"} and body["code"] == code, body
    if msg is not None:
        assert body["msg"] == msg


def trade(http, creds):
    return signed_request(http, "POST", ORDER_TEST, creds, body=ORDER)


def test_token_file_is_private(server):
    for name in ("admin.token", "master.key"):
        mode = stat.S_IMODE((server.data_dir / name).stat().st_mode)
        assert mode == 0o600, (name, oct(mode))
    token = admin_token(server.data_dir)
    assert len(token) >= 32 and token.isalnum()


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer  TOKEN", "Bearer wrong", "Basic xyz", "TOKEN",
                                    "Bearer TOKEN TOKEN", "Bearer TOKENx", "Bearer TOKE"])
def test_bad_token_is_401_json(server, http, header):
    token = admin_token(server.data_dir)
    headers = {} if header is None else {"Authorization": header.replace("TOKEN", token)}
    for method, path in (("GET", "/admin/keys"), ("POST", "/admin/keys"), ("GET", "/admin/accounts"),
                         ("GET", "/admin/nope"), ("GET", "/admin")):
        admin_error(http.request(method, path, headers=headers), 401, -1002, UNAUTHORIZED)


def test_an_api_key_does_not_open_the_admin_api(http, make_creds):
    creds = make_creds("--permissions", "reading,spot")
    admin_error(signed_request(http, "GET", "/admin/keys", creds), 401, -1002, UNAUTHORIZED)
    admin_error(http.get("/admin/keys", headers={"Authorization": f"Bearer {creds.secret}"}), 401, -1002,
                UNAUTHORIZED)


def test_create_edit_revoke_through_the_admin_api(http, admin, account):
    issued = admin("POST", "/admin/keys", {"account": account, "label": "bot", "permissions": ["reading", "spot"]})
    assert issued["type"] == "HMAC" and issued["label"] == "bot" and issued["status"] == "active"
    creds = Credentials("hmac", issued, secret=issued["secretKey"])
    assert balances_of(assert_ok(signed_request(http, "GET", ACCOUNT, creds))["balances"]) == DEPOSITS
    assert_ok(trade(http, creds))

    shown = admin("GET", f"/admin/keys/{creds.api_key}")
    assert "secretKey" not in shown and creds.secret not in str(shown)
    assert shown["permissions"] == ["reading", "spot"]
    assert any(k["apiKey"] == creds.api_key for k in admin("GET", "/admin/keys", params={"account": account}))

    # permissions: the very next request sees the change
    assert admin("PATCH", f"/admin/keys/{creds.api_key}", {"permissions": ["reading"]})["canTrade"] is False
    assert_error(trade(http, creds), -2015, 401, REJECTED_KEY)
    assert_ok(signed_request(http, "GET", ACCOUNT, creds))
    admin("PATCH", f"/admin/keys/{creds.api_key}", {"permissions": "reading,spot"})
    assert_ok(trade(http, creds))

    # IP allow-list
    assert admin("PATCH", f"/admin/keys/{creds.api_key}", {"ips": ["10.9.9.9"]})["ipRestrict"] is True
    assert_error(signed_request(http, "GET", ACCOUNT, creds), -2015, 401, REJECTED_KEY)
    admin("PATCH", f"/admin/keys/{creds.api_key}", {"ips": ["127.0.0.1/32"]})
    assert "tradingAuthorityExpirationTime" not in assert_ok(signed_request(http, "GET", RESTRICTIONS, creds))
    admin("PATCH", f"/admin/keys/{creds.api_key}", {"ips": []})
    assert_ok(signed_request(http, "GET", ACCOUNT, creds))

    # allow-lists
    admin("PATCH", f"/admin/keys/{creds.api_key}", {"endpointGroups": ["account"]})
    assert_error(trade(http, creds), -2015, 401, REJECTED_KEY)
    admin("PATCH", f"/admin/keys/{creds.api_key}", {"endpointGroups": None, "symbols": ["ETHUSDT"]})
    assert_error(trade(http, creds), -2010, 400, "This symbol is not permitted for this account.")
    admin("PATCH", f"/admin/keys/{creds.api_key}", {"symbols": None})
    assert_ok(trade(http, creds))

    # Binance's withdrawal rule holds over HTTP too
    refused = admin.raw("PATCH", f"/admin/keys/{creds.api_key}", {"permissions": ["reading", "withdrawals"]})
    admin_error(refused, 400, -1130)
    assert "IP" in refused.json()["msg"]
    assert_ok(trade(http, creds))  # the refused edit changed nothing

    assert admin("POST", f"/admin/keys/{creds.api_key}/revoke")["status"] == "revoked"
    assert_error(signed_request(http, "GET", ACCOUNT, creds), -2015, 401, REJECTED_KEY)
    assert_error(trade(http, creds), -2015, 401, REJECTED_KEY)


def test_rotate_through_the_admin_api(http, admin, account):
    issued = admin("POST", "/admin/keys", {"account": account, "permissions": ["reading", "spot"]})
    old = Credentials("hmac", issued, secret=issued["secretKey"])
    assert_ok(trade(http, old))
    rotated = admin("POST", f"/admin/keys/{old.api_key}/rotate", {"graceSeconds": 0})
    new = Credentials("hmac", rotated, secret=rotated["secretKey"])
    assert new.api_key != old.api_key and rotated["rotatedFrom"] == old.api_key
    assert_error(trade(http, old), -2015, 401, REJECTED_KEY)
    assert_ok(trade(http, new))
    assert admin("GET", f"/admin/keys/{old.api_key}")["status"] == "retired"


def test_ed25519_key_through_the_admin_api(http, admin, account):
    private_pem, public_pem = generate_key_pair("ed25519")
    issued = admin("POST", "/admin/keys", {"account": account, "type": "ed25519", "publicKey": public_pem,
                                           "permissions": ["reading", "spot"]})
    assert issued["type"] == "ED25519" and "secretKey" not in issued
    creds = Credentials("ed25519", issued, private_pem=private_pem)
    assert_ok(trade(http, creds))
    # a private key is never accepted in place of the public one
    leaked = admin.raw("POST", "/admin/keys", {"account": account, "type": "ed25519", "publicKey": private_pem})
    admin_error(leaked, 400, -1130)
    assert private_pem.splitlines()[1] not in leaked.text


def test_activity_and_alerts_through_the_admin_api(http, admin, account):
    issued = admin("POST", "/admin/keys", {"account": account})
    creds = Credentials("hmac", issued, secret=issued["secretKey"])
    assert_ok(signed_request(http, "GET", ACCOUNT, creds))
    assert_error(trade(http, creds), -2015, 401, REJECTED_KEY)

    records = wait_for(lambda: len(r := admin("GET", f"/admin/keys/{creds.api_key}/activity")) >= 2 and r)
    assert [(r["method"], r["path"], r["code"], r["status"]) for r in records] == [
        ("GET", ACCOUNT, 0, 200), ("POST", ORDER_TEST, -2015, 401)]
    assert all(r["ip"] == "127.0.0.1" and r["apiKey"] != creds.api_key for r in records)
    found = wait_for(lambda: admin("GET", "/admin/alerts", params={"key": creds.api_key}))
    assert [a["kind"] for a in found] == ["PERMISSION_DENIED"]


def test_admin_api_errors_are_json(http, admin, account):
    token = admin.headers
    admin_error(http.get("/admin/nope", headers=token), 404, -1000)
    admin_error(http.delete("/admin/keys", headers=token), 404, -1000)
    admin_error(http.post("/admin/keys", content=b"{not json", headers=token), 400, -1100)
    admin_error(http.post("/admin/keys", content=b"[1, 2]", headers=token), 400, -1100)
    admin_error(http.post("/admin/keys", json={"account": "no-such-account"}, headers=token), 400, -1130)
    admin_error(http.post("/admin/keys", json={"account": account, "type": "dsa"}, headers=token), 400, -1130)
    admin_error(http.post("/admin/keys", json={"account": account, "ips": ["not-an-ip"]}, headers=token), 400, -1130)
    admin_error(http.get("/admin/keys/" + "Z" * 64, headers=token), 400, -1130)
    admin_error(http.post("/admin/keys", content=b"x" * (65 * 1024), headers=token), 400, -1101)
    # numbers SQLite cannot hold are a bad request, not a 500 (issue 9)
    admin_error(http.get("/admin/activity", params={"from": 2**64}, headers=token), 400, -1130)
    admin_error(http.get("/admin/alerts", params={"since": 2**64}, headers=token), 400, -1130)
    assert admin("GET", "/admin/accounts")  # still serving
