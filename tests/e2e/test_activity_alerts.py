"""The activity log (``minance key activity``) and its alerts (``minance key alerts``), seen from the CLI
while the server runs. The server flushes activity every 0.1 s, so the tests poll briefly."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.spec import ACCOUNT, ORDER, ORDER_TEST, REJECTED_KEY, RESTRICTIONS
from tests.support import (
    Credentials,
    assert_error,
    assert_ok,
    cli_json,
    create_account,
    issue_key,
    running_server,
    signed_request,
    wait_for,
)


def activity(data_dir, creds: Credentials) -> list[dict]:
    return cli_json(data_dir, "key", "activity", creds.api_key)


def alert_kinds(data_dir, creds: Credentials) -> list[str]:
    return [a["kind"] for a in cli_json(data_dir, "key", "alerts", creds.api_key)]


def wait_activity(data_dir, creds: Credentials, count: int) -> list[dict]:
    return wait_for(lambda: len(rows := activity(data_dir, creds)) >= count and rows)


def forged(creds: Credentials) -> Credentials:
    return Credentials("hmac", creds.info, secret=creds.secret[::-1])


def test_activity_lists_requests_with_their_outcome(server, http, make_creds):
    creds = make_creds("--permissions", "reading")
    assert_ok(signed_request(http, "GET", ACCOUNT, creds))
    assert_ok(signed_request(http, "GET", RESTRICTIONS, creds))
    assert_error(signed_request(http, "GET", ACCOUNT, forged(creds)), -1022, 400)
    assert_error(signed_request(http, "POST", ORDER_TEST, creds, body=ORDER), -2015, 401)
    assert_error(signed_request(http, "GET", ACCOUNT, creds, {"recvWindow": 70000}), -1131, 400)

    rows = wait_activity(server.data_dir, creds, 5)
    assert [(r["method"], r["path"], r["code"], r["status"]) for r in rows] == [
        ("GET", ACCOUNT, 0, 200),
        ("GET", RESTRICTIONS, 0, 200),
        ("GET", ACCOUNT, -1022, 400),
        ("POST", ORDER_TEST, -2015, 401),
        ("GET", ACCOUNT, -1131, 400),
    ]
    for row in rows:
        assert row["ip"] == "127.0.0.1"
        assert row["apiKey"] != creds.api_key and row["apiKey"][:6] == creds.api_key[:6]  # masked
        assert isinstance(row["time"], int) and isinstance(row["latencyUs"], int) and row["weight"] >= 1
    assert rows[0]["weight"] == 20  # /api/v3/account
    assert rows[2]["note"] == "bad signature"
    assert "spot" in rows[3]["note"]
    # the key's last use is the last success
    assert cli_json(server.data_dir, "key", "show", creds.api_key)["lastUsedTime"] == rows[1]["time"]
    # other keys' traffic is not listed
    other = make_creds()
    assert_ok(signed_request(http, "GET", ACCOUNT, other))
    wait_activity(server.data_dir, other, 1)
    assert len(activity(server.data_dir, creds)) == 5


def test_burst_of_bad_signatures_raises_an_alert(server, http, make_creds):
    creds = make_creds()
    for _ in range(4):
        assert_error(signed_request(http, "GET", ACCOUNT, forged(creds)), -1022, 400)
    wait_activity(server.data_dir, creds, 4)
    assert "AUTH_FAILURE_BURST" not in alert_kinds(server.data_dir, creds)  # four is not yet a burst
    assert_error(signed_request(http, "GET", ACCOUNT, forged(creds)), -1022, 400)
    wait_for(lambda: "AUTH_FAILURE_BURST" in alert_kinds(server.data_dir, creds))
    # the burst alert fires once, not on every further failure
    for _ in range(3):
        assert_error(signed_request(http, "GET", ACCOUNT, forged(creds)), -1022, 400)
    wait_activity(server.data_dir, creds, 8)
    assert alert_kinds(server.data_dir, creds).count("AUTH_FAILURE_BURST") == 1


def test_permission_denial_raises_an_alert(server, http, make_creds):
    creds = make_creds()
    assert_ok(signed_request(http, "GET", ACCOUNT, creds))
    wait_activity(server.data_dir, creds, 1)
    assert alert_kinds(server.data_dir, creds) == []  # a normal request is not news
    assert_error(signed_request(http, "POST", ORDER_TEST, creds, body=ORDER), -2015, 401, REJECTED_KEY)
    found = wait_for(lambda: cli_json(server.data_dir, "key", "alerts", creds.api_key))
    assert [a["kind"] for a in found] == ["PERMISSION_DENIED"]
    assert ORDER_TEST in found[0]["detail"]

    ip_locked = make_creds("--ip", "10.9.9.9")
    assert_error(signed_request(http, "GET", ACCOUNT, ip_locked), -2015, 401, REJECTED_KEY)
    wait_for(lambda: "PERMISSION_DENIED" in alert_kinds(server.data_dir, ip_locked))


def test_forwarded_for_is_ignored_without_a_trusted_proxy(server, http, make_creds):
    creds = make_creds("--ip", "10.9.9.9")
    spoof = {"X-Forwarded-For": "10.9.9.9"}
    assert_error(signed_request(http, "GET", ACCOUNT, creds, headers=spoof), -2015, 401, REJECTED_KEY)
    assert_error(signed_request(http, "GET", ACCOUNT, creds, headers={"X-Forwarded-For": "127.0.0.1, 10.9.9.9"}),
                 -2015, 401, REJECTED_KEY)
    free = make_creds()
    assert_ok(signed_request(http, "GET", ACCOUNT, free))
    assert_ok(signed_request(http, "GET", ACCOUNT, free, headers={"X-Forwarded-For": "203.0.113.50"}))
    rows = wait_activity(server.data_dir, free, 2)
    assert {r["ip"] for r in rows} == {"127.0.0.1"}
    assert {r["ip"] for r in wait_activity(server.data_dir, creds, 2)} == {"127.0.0.1"}
    assert "NEW_IP" not in alert_kinds(server.data_dir, free)


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    """A server behind a (simulated) reverse proxy on 127.0.0.1."""
    data = tmp_path_factory.mktemp("proxied") / "data"
    with running_server(data, "--trusted-proxy", "127.0.0.1") as srv, httpx.Client(base_url=srv.url) as http:
        create_account(data, "alice", "USDT=10")
        yield srv, http


def test_new_ip_behind_a_trusted_proxy(proxied):
    srv, http = proxied
    creds = issue_key(srv.data_dir, "alice")
    assert_ok(signed_request(http, "GET", ACCOUNT, creds))  # the proxy itself: the key's first address
    assert_ok(signed_request(http, "GET", ACCOUNT, creds, headers={"X-Forwarded-For": "127.0.0.1"}))
    rows = wait_activity(srv.data_dir, creds, 2)
    assert alert_kinds(srv.data_dir, creds) == []  # the first address is the baseline, not news

    assert_ok(signed_request(http, "GET", ACCOUNT, creds, headers={"X-Forwarded-For": "198.51.100.7"}))
    found = wait_for(lambda: cli_json(srv.data_dir, "key", "alerts", creds.api_key))
    assert [a["kind"] for a in found] == ["NEW_IP"]
    assert "198.51.100.7" in found[0]["detail"]
    rows = wait_activity(srv.data_dir, creds, 3)
    assert [r["ip"] for r in rows] == ["127.0.0.1", "127.0.0.1", "198.51.100.7"]

    # the same address again is not news; a third one is
    assert_ok(signed_request(http, "GET", ACCOUNT, creds, headers={"X-Forwarded-For": "198.51.100.7"}))
    assert_ok(signed_request(http, "GET", ACCOUNT, creds, headers={"X-Forwarded-For": "2001:db8::1"}))
    wait_activity(srv.data_dir, creds, 5)
    wait_for(lambda: alert_kinds(srv.data_dir, creds).count("NEW_IP") == 2)


def test_ip_allow_list_behind_a_trusted_proxy(proxied):
    srv, http = proxied
    creds = issue_key(srv.data_dir, "alice", "--ip", "203.0.113.7")
    assert_error(signed_request(http, "GET", ACCOUNT, creds), -2015, 401, REJECTED_KEY)  # the proxy's own address
    assert_ok(signed_request(http, "GET", ACCOUNT, creds, headers={"X-Forwarded-For": "203.0.113.7"}))
    assert_ok(signed_request(http, "GET", ACCOUNT, creds, headers={"X-Forwarded-For": "203.0.113.7, 127.0.0.1"}))
    # the client is the nearest untrusted hop: a forged left-most entry does not get through
    assert_error(signed_request(http, "GET", ACCOUNT, creds, headers={"X-Forwarded-For": "203.0.113.7, 192.0.2.1"}),
                 -2015, 401, REJECTED_KEY)
    assert_error(signed_request(http, "GET", ACCOUNT, creds, headers={"X-Forwarded-For": "not-an-ip"}),
                 -2015, 401, REJECTED_KEY)
    rows = wait_activity(srv.data_dir, creds, 5)
    assert [r["ip"] for r in rows] == ["127.0.0.1", "203.0.113.7", "203.0.113.7", "192.0.2.1", "127.0.0.1"]
