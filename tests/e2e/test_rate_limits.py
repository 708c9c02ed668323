"""Rate limits on dedicated servers with a tiny weight budget: 429 with Retry-After, then the 418 ban."""

from __future__ import annotations

import re

import httpx

from tests.e2e.spec import ACCOUNT, IP_BANNED_PREFIX, PING, WEIGHT_LIMIT
from tests.support import (
    assert_error,
    assert_ok,
    assert_weight_headers,
    create_account,
    issue_key,
    now_ms,
    running_server,
    signed_request,
)

LIMIT = 50
TINY = {"MINANCE_WEIGHT_PER_MINUTE": str(LIMIT), "MINANCE_STRIKES_BEFORE_BAN": "2"}


def retry_after(resp: httpx.Response) -> int:
    value = resp.headers.get("retry-after")
    assert value is not None and value.isdigit(), dict(resp.headers)
    return int(value)


def test_exchange_info_lists_the_configured_limit(tmp_path):
    with running_server(tmp_path / "data", env=TINY) as srv, httpx.Client(base_url=srv.url) as http:
        limits = assert_ok(http.get("/api/v3/exchangeInfo"))["rateLimits"]
        assert {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": LIMIT} in limits
        assert {lim["rateLimitType"] for lim in limits} == {"REQUEST_WEIGHT", "ORDERS", "RAW_REQUESTS"}
        # each ping costs 1 (unless the minute window rolls over in between)
        before = assert_weight_headers(http.get(PING))
        after = assert_weight_headers(http.get(PING))
        assert after == before + 1 or after == 1


def test_429_then_418_ban(tmp_path):
    data = tmp_path / "data"
    with running_server(data, env=TINY) as srv, httpx.Client(base_url=srv.url) as http:
        create_account(data, "alice", "USDT=1")
        creds = issue_key(data, "alice")
        first_429 = ban = None
        for _ in range(500):  # bounded: a minute boundary mid-way only costs another LIMIT requests
            resp = http.get(PING)
            assert resp.status_code in (200, 429, 418), resp.text
            used = assert_weight_headers(resp)
            if resp.status_code == 200:
                assert used <= LIMIT  # nothing over the limit is ever served
            elif resp.status_code == 429 and first_429 is None:
                first_429 = resp
            elif resp.status_code == 418:
                ban = resp
                break
        assert first_429 is not None and ban is not None

        assert_error(first_429, -1003, 429, WEIGHT_LIMIT.format(LIMIT))
        assert 1 <= retry_after(first_429) <= 60  # until the minute window resets
        assert int(first_429.headers["x-mbx-used-weight-1m"]) > LIMIT

        msg = assert_error(ban, -1003, 418)
        assert msg.startswith(IP_BANNED_PREFIX), msg
        banned_until = int(re.search(r"banned until (\d+)", msg).group(1))
        assert 60_000 < banned_until - now_ms() <= 120_000  # Binance: 2 minutes for a first offence
        assert 60 < retry_after(ban) <= 120

        # banned means banned: every route, signed or not, until the ban ends
        assert_error(http.get("/api/v3/exchangeInfo"), -1003, 418)
        assert retry_after(signed_request(http, "GET", ACCOUNT, creds)) > 60
        assert_error(signed_request(http, "GET", ACCOUNT, creds), -1003, 418)

        # and a peer client understands it
        from binance_common.configuration import ConfigurationRestAPI
        from binance_common.errors import RateLimitBanError
        from binance_sdk_spot.spot import Spot

        spot = Spot(config_rest_api=ConfigurationRestAPI(base_path=srv.url, timeout=5000)).rest_api
        try:
            spot.time()
        except RateLimitBanError as exc:
            assert exc.status_code == -1003
            assert 60 < exc.retry_after <= 120
        else:
            raise AssertionError("the SDK was not told of the ban")


def test_malformed_requests_are_charged_too(tmp_path):
    """Binance charges failed requests their weight; a flood of malformed requests must not be free."""
    garbage = [
        lambda http: http.get(f"{PING}?a-b=1"),  # -1100
        lambda http: http.get(f"{PING}?x=1&x=2"),  # -1101
        lambda http: http.get("/api/v3/time", headers={"X-MBX-TIME-UNIT": "YEARS"}),  # -1194
        lambda http: http.post("/api/v3/order/test", content=b"a=" + b"x" * 70_000),  # body too large
    ]
    with running_server(tmp_path / "data", env=TINY) as srv, httpx.Client(base_url=srv.url) as http:
        seen = []
        for i in range(3 * LIMIT):
            resp = garbage[i % len(garbage)](http)
            seen.append(resp.status_code)
            if resp.status_code in (429, 418):
                break
        assert seen[-1] in (429, 418), f"{len(seen)} malformed requests and never limited"
        assert_error(resp, -1003, seen[-1])


def test_no_rate_limits_flag(tmp_path):
    with running_server(tmp_path / "data", "--no-rate-limits", env=TINY) as srv, \
            httpx.Client(base_url=srv.url) as http:
        weights = [assert_weight_headers(assert_ok_resp(http.get(PING))) for _ in range(3 * LIMIT)]
        assert max(weights) > LIMIT  # still counted and reported, never enforced
        for _ in range(3):
            assert_ok(http.get("/api/v3/exchangeInfo"))


def assert_ok_resp(resp: httpx.Response) -> httpx.Response:
    assert resp.status_code == 200, (resp.status_code, resp.text)
    return resp
