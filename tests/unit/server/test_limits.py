from __future__ import annotations

import pytest

from minance.domain.errors import BinanceError
from minance.server.limits import BAN_BASE_MS, RateLimit, RateLimiter

LIMITS = (RateLimit("REQUEST_WEIGHT", "MINUTE", 1, 100), RateLimit("ORDERS", "SECOND", 10, 3),
          RateLimit("RAW_REQUESTS", "MINUTE", 5, 1000))
T0 = 1_700_000_080_000  # 40 s into a minute


def test_weight_window_is_aligned_to_the_minute():
    limiter = RateLimiter(LIMITS)
    limiter.check_ip("a", 100, T0)
    with pytest.raises(BinanceError) as info:
        limiter.check_ip("a", 1, T0)
    err = info.value
    assert (err.code, err.http_status) == (-1003, 429)
    assert err.msg.startswith("Too much request weight used; current limit is 100 request weight per 1 MINUTE.")
    assert err.headers["Retry-After"] == "20"
    limiter.check_ip("b", 50, T0)  # per IP
    limiter.check_ip("a", 1, T0 + 20_000)  # the next minute starts fresh
    assert limiter.used_weight("a", T0 + 20_000) == {"1M": 1}


def test_ban_after_ignoring_429s_then_growing():
    limiter = RateLimiter(LIMITS, strikes_before_ban=2)
    limiter.check_ip("a", 100, T0)
    for _ in range(2):
        with pytest.raises(BinanceError) as info:
            limiter.check_ip("a", 1, T0)
        assert info.value.http_status == 429
    with pytest.raises(BinanceError) as info:
        limiter.check_ip("a", 1, T0)
    assert info.value.http_status == 418 and info.value.code == -1003
    assert info.value.headers["Retry-After"] == str(BAN_BASE_MS // 1000)
    with pytest.raises(BinanceError) as info:  # still banned in the next window
        limiter.check_ip("a", 1, T0 + 60_000)
    assert info.value.http_status == 418
    later = T0 + BAN_BASE_MS + 60_000
    limiter.check_ip("a", 100, later)
    for _ in range(2):
        with pytest.raises(BinanceError):
            limiter.check_ip("a", 1, later)
    with pytest.raises(BinanceError) as info:
        limiter.check_ip("a", 1, later)
    assert info.value.headers["Retry-After"] == str(2 * BAN_BASE_MS // 1000)  # repeat offender: doubled


def test_orders_per_account_and_not_enforced_mode():
    limiter = RateLimiter(LIMITS)
    assert limiter.check_orders(1, 3, T0) == {"10S": 3}
    with pytest.raises(BinanceError) as info:
        limiter.check_orders(1, 1, T0)
    assert (info.value.code, info.value.http_status) == (-1015, 429)
    assert info.value.msg == "Too many new orders; current limit is 3 orders per 10 SECOND."
    assert limiter.order_limits(1, T0) == [
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 3, "count": 3}]
    relaxed = RateLimiter(LIMITS, enforce=False)
    relaxed.check_ip("a", 10_000, T0)
    relaxed.check_orders(1, 100, T0)
