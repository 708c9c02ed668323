"""Key changes made with the CLI while the server runs take effect on the very next request;
Binance's key rules (withdrawals need an IP list, 30-day trading authority, allow-lists)."""

from __future__ import annotations

import pytest

from tests.e2e.spec import (
    ACCOUNT,
    BAD_SIGNATURE,
    ORDER,
    ORDER_TEST,
    OUTSIDE_RECV_WINDOW,
    REJECTED_KEY,
    RESTRICTIONS,
    SYMBOL_NOT_PERMITTED,
    THIRTY_DAYS_MS,
)
from tests.support import (
    Credentials,
    assert_error,
    assert_ok,
    cli_json,
    generate_key_pair,
    now_ms,
    run_cli,
    signed_request,
    wait_for,
)


def can_trade(http, creds: Credentials):
    return signed_request(http, "POST", ORDER_TEST, creds, body=ORDER)


def can_read(http, creds: Credentials):
    return signed_request(http, "GET", ACCOUNT, creds)


def alerts(data_dir, api_key: str) -> list[dict]:
    return cli_json(data_dir, "key", "alerts", api_key)


# -- revocation, rotation, expiry ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["hmac", "ed25519"])
def test_revoked_key_is_refused_on_the_next_request(server, http, make_creds, kind):
    creds = make_creds("--permissions", "reading,spot", kind=kind)
    assert_ok(can_read(http, creds))
    assert_ok(can_trade(http, creds))
    assert cli_json(server.data_dir, "key", "revoke", creds.api_key)["status"] == "revoked"
    assert_error(can_read(http, creds), -2015, 401, REJECTED_KEY)
    assert_error(can_trade(http, creds), -2015, 401, REJECTED_KEY)
    # revocation is final: it cannot be edited back to life
    again = run_cli(server.data_dir, "key", "edit", creds.api_key, "--permissions", "reading,spot", check=False)
    assert again.returncode != 0 and "revoked" in again.stderr
    assert_error(can_read(http, creds), -2015, 401, REJECTED_KEY)


def test_rotated_key_after_its_grace(server, http, make_creds):
    old = make_creds("--permissions", "reading,spot")
    assert_ok(can_trade(http, old))
    rotated = cli_json(server.data_dir, "key", "rotate", old.api_key, "--grace", "0")
    new = Credentials("hmac", rotated, secret=rotated["secretKey"])
    assert rotated["replaces"] == old.api_key and new.api_key != old.api_key and new.secret != old.secret
    assert_error(can_read(http, old), -2015, 401, REJECTED_KEY)
    assert_error(can_trade(http, old), -2015, 401, REJECTED_KEY)
    assert_ok(can_read(http, new))
    assert_ok(can_trade(http, new))  # the successor keeps the permissions
    # the old secret does not sign for the new key
    assert_error(signed_request(http, "GET", ACCOUNT, Credentials("hmac", rotated, secret=old.secret)), -1022, 400,
                 BAD_SIGNATURE)
    assert cli_json(server.data_dir, "key", "show", old.api_key)["status"] == "retired"


def test_rotated_key_within_its_grace(server, http, make_creds):
    old = make_creds("--permissions", "reading,spot")
    assert_ok(can_read(http, old))
    rotated = cli_json(server.data_dir, "key", "rotate", old.api_key, "--grace", "3600")
    new = Credentials("hmac", rotated, secret=rotated["secretKey"])
    assert abs(rotated["oldKeyValidUntil"] - (now_ms() + 3_600_000)) < 60_000
    assert_ok(can_read(http, old))
    assert_ok(can_trade(http, old))
    assert_ok(can_read(http, new))
    assert_ok(can_trade(http, new))
    shown = cli_json(server.data_dir, "key", "show", old.api_key)
    assert shown["status"] == "grace" and shown["rotatedTo"] == new.api_key
    found = wait_for(lambda: [a for a in alerts(server.data_dir, old.api_key) if a["kind"] == "GRACE_PERIOD_USE"])
    assert len(found) == 1  # once per grace period, not per request
    assert not [a for a in alerts(server.data_dir, new.api_key) if a["kind"] == "GRACE_PERIOD_USE"]
    # revoking the old key ends the grace period at once
    run_cli(server.data_dir, "key", "revoke", old.api_key)
    assert_error(can_read(http, old), -2015, 401, REJECTED_KEY)
    assert_ok(can_read(http, new))


def test_rotating_an_ed25519_key_needs_a_new_key_pair(server, http, make_creds, tmp_path):
    old = make_creds("--permissions", "reading,spot", kind="ed25519")
    missing = run_cli(server.data_dir, "key", "rotate", old.api_key, check=False)
    assert missing.returncode != 0 and "public key" in missing.stderr
    private_pem, public_pem = generate_key_pair("ed25519")
    (tmp_path / "new.pem").write_text(public_pem)
    rotated = cli_json(server.data_dir, "key", "rotate", old.api_key, "--grace", "0", "--public-key",
                       str(tmp_path / "new.pem"))
    assert "secretKey" not in rotated
    new = Credentials("ed25519", rotated, private_pem=private_pem)
    assert_error(can_read(http, old), -2015, 401, REJECTED_KEY)
    assert_ok(can_trade(http, new))
    # the old private key does not sign for the new key
    assert_error(can_read(http, Credentials("ed25519", rotated, private_pem=old.private_pem)), -1022, 400,
                 BAD_SIGNATURE)


def test_expired_key(server, http, make_creds):
    creds = make_creds("--permissions", "reading,spot", "--expires", "2s")
    assert_ok(can_read(http, creds))
    assert creds.info["expireTime"] is not None
    assert abs(creds.info["expireTime"] - (creds.info["createTime"] + 2000)) < 1000

    def refused():
        resp = can_read(http, creds)
        return resp if resp.status_code != 200 else None

    resp = wait_for(refused, timeout=6, interval=0.1)
    assert now_ms() >= creds.info["expireTime"] - 50  # not refused before its time
    assert_error(resp, -2015, 401, REJECTED_KEY)
    assert_error(can_trade(http, creds), -2015, 401, REJECTED_KEY)
    assert cli_json(server.data_dir, "key", "show", creds.api_key)["status"] == "expired"


# -- edits while the server runs -------------------------------------------------------------------


def test_permission_edit_takes_effect_on_the_next_request(server, http, make_creds):
    creds = make_creds("--permissions", "reading,spot")
    assert_ok(can_trade(http, creds))
    cli_json(server.data_dir, "key", "edit", creds.api_key, "--permissions", "reading")
    assert_error(can_trade(http, creds), -2015, 401, REJECTED_KEY)
    assert_ok(can_read(http, creds))  # reading stays
    restrictions = assert_ok(signed_request(http, "GET", RESTRICTIONS, creds))
    assert restrictions["enableSpotAndMarginTrading"] is False
    assert "tradingAuthorityExpirationTime" not in restrictions
    cli_json(server.data_dir, "key", "edit", creds.api_key, "--permissions", "reading,spot")
    assert_ok(can_trade(http, creds))


def test_ip_edit_takes_effect_on_the_next_request(server, http, make_creds):
    creds = make_creds("--permissions", "reading,spot", "--ip", "10.9.9.9")
    assert_error(can_read(http, creds), -2015, 401, REJECTED_KEY)
    cli_json(server.data_dir, "key", "edit", creds.api_key, "--ip", "127.0.0.1")
    assert_ok(can_read(http, creds))
    assert_ok(can_trade(http, creds))
    cli_json(server.data_dir, "key", "edit", creds.api_key, "--ip", "10.0.0.0/8", "--ip", "192.168.1.1")
    assert_error(can_read(http, creds), -2015, 401, REJECTED_KEY)
    cli_json(server.data_dir, "key", "edit", creds.api_key, "--no-ip")
    assert_ok(can_read(http, creds))


def test_allow_list_edits_take_effect_on_the_next_request(server, http, make_creds):
    creds = make_creds("--permissions", "reading,spot")
    cli_json(server.data_dir, "key", "edit", creds.api_key, "--endpoints", "account")
    assert_error(can_trade(http, creds), -2015, 401, REJECTED_KEY)
    cli_json(server.data_dir, "key", "edit", creds.api_key, "--all-endpoints", "--symbols", "ETHUSDT")
    assert_error(can_trade(http, creds), -2010, 400, SYMBOL_NOT_PERMITTED)
    cli_json(server.data_dir, "key", "edit", creds.api_key, "--all-symbols")
    assert_ok(can_trade(http, creds))


def test_expiry_edit_takes_effect_on_the_next_request(server, http, make_creds):
    creds = make_creds("--permissions", "reading,spot")
    past = run_cli(server.data_dir, "key", "edit", creds.api_key, "--expires", str(now_ms() - 1000), check=False)
    assert past.returncode != 0 and "past" in past.stderr
    assert_ok(can_read(http, creds))
    expires = now_ms() + 1500
    assert cli_json(server.data_dir, "key", "edit", creds.api_key, "--expires", str(expires))["expireTime"] == expires
    refused = wait_for(lambda: (r := can_read(http, creds)).status_code != 200 and r, timeout=6, interval=0.1)
    assert now_ms() >= expires - 50
    assert_error(refused, -2015, 401, REJECTED_KEY)


# -- Binance's rules ---------------------------------------------------------------------------------


def test_withdrawals_need_an_ip_allow_list(server, http, account):
    refused = run_cli(server.data_dir, "key", "create", "--account", account, "--permissions", "reading,withdrawals",
                      check=False)
    assert refused.returncode != 0
    assert "withdrawals" in refused.stderr and "--ip" in refused.stderr
    assert refused.stdout == ""
    assert all(k["account"] != account for k in cli_json(server.data_dir, "key", "list"))  # nothing was issued

    info = cli_json(server.data_dir, "key", "create", "--account", account, "--permissions", "reading,withdrawals",
                    "--ip", "127.0.0.1")
    creds = Credentials("hmac", info, secret=info["secretKey"])
    restrictions = assert_ok(signed_request(http, "GET", RESTRICTIONS, creds))
    assert restrictions["enableWithdrawals"] is True and restrictions["ipRestrict"] is True
    # and the allow-list cannot then be dropped while withdrawals stay on
    drop = run_cli(server.data_dir, "key", "edit", creds.api_key, "--no-ip", check=False)
    assert drop.returncode != 0 and "--ip" in drop.stderr
    assert_ok(signed_request(http, "GET", RESTRICTIONS, creds))


def test_trading_authority_expiration(server, http, make_creds):
    unrestricted = make_creds("--permissions", "reading,spot")
    restrictions = assert_ok(signed_request(http, "GET", RESTRICTIONS, unrestricted))
    assert restrictions["ipRestrict"] is False and restrictions["enableSpotAndMarginTrading"] is True
    assert restrictions["tradingAuthorityExpirationTime"] == restrictions["createTime"] + THIRTY_DAYS_MS
    assert abs(restrictions["createTime"] - now_ms()) < 60_000

    restricted = make_creds("--permissions", "reading,spot", "--ip", "127.0.0.1")
    restrictions = assert_ok(signed_request(http, "GET", RESTRICTIONS, restricted))
    assert restrictions["ipRestrict"] is True and restrictions["enableSpotAndMarginTrading"] is True
    assert "tradingAuthorityExpirationTime" not in restrictions

    reader = make_creds()
    restrictions = assert_ok(signed_request(http, "GET", RESTRICTIONS, reader))
    assert restrictions["enableSpotAndMarginTrading"] is False
    assert "tradingAuthorityExpirationTime" not in restrictions

    # dropping the allow-list starts the 30 days from that moment
    before = now_ms()
    cli_json(server.data_dir, "key", "edit", restricted.api_key, "--no-ip")
    restrictions = assert_ok(signed_request(http, "GET", RESTRICTIONS, restricted))
    assert before <= restrictions["tradingAuthorityExpirationTime"] - THIRTY_DAYS_MS <= now_ms()


def test_endpoint_group_allow_list(http, make_creds):
    creds = make_creds("--permissions", "reading,spot", "--endpoints", "account")
    assert creds.info["endpointGroups"] == ["account"]
    assert_ok(can_read(http, creds))
    assert_ok(signed_request(http, "GET", RESTRICTIONS, creds))
    assert_error(can_trade(http, creds), -2015, 401, REJECTED_KEY)
    trade_only = make_creds("--permissions", "reading,spot", "--endpoints", "trade")
    assert_ok(can_trade(http, trade_only))
    assert_error(can_read(http, trade_only), -2015, 401, REJECTED_KEY)


def test_symbol_allow_list(http, make_creds):
    creds = make_creds("--permissions", "reading,spot", "--symbols", "ETHUSDT")
    # order/test checks the filters: a price and notional that ETHUSDT's PERCENT_PRICE_BY_SIDE and NOTIONAL allow
    eth_order = {**ORDER, "symbol": "ETHUSDT", "quantity": "0.01", "price": "3000"}
    assert assert_ok(signed_request(http, "POST", ORDER_TEST, creds, body=eth_order)) == {}
    assert_error(can_trade(http, creds), -2010, 400, SYMBOL_NOT_PERMITTED)
    assert_error(signed_request(http, "POST", ORDER_TEST, creds, {**ORDER, "symbol": "BNBUSDT"}), -2010, 400,
                 SYMBOL_NOT_PERMITTED)
    assert_ok(can_read(http, creds))


def test_symbol_allow_list_is_checked_after_the_signature(http, make_creds):
    """-2010 is the engine's answer (REFERENCE §1.6 step 7): a request that fails signature or timing
    must get -1022/-1021 first, and an unsigned caller must not learn which symbols a key may trade."""
    creds = make_creds("--permissions", "reading,spot", "--symbols", "ETHUSDT")
    forged = Credentials("hmac", creds.info, secret=creds.secret[::-1])
    assert_error(signed_request(http, "POST", ORDER_TEST, forged, body=ORDER), -1022, 400, BAD_SIGNATURE)
    assert_error(signed_request(http, "POST", ORDER_TEST, creds, body=ORDER, timestamp=now_ms() - 10_000), -1021,
                 400, OUTSIDE_RECV_WINDOW)
