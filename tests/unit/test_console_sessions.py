"""Console sign-in state on a stepped clock: idle and absolute expiry, one-time links, the lockout."""

from __future__ import annotations

from minance.server.console.sessions import Links, Lockout, Sessions
from minance.server.console.web import cookie_value, same_origin


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_session_idle_expiry_is_renewed_by_use() -> None:
    clock = Clock()
    sessions = Sessions(clock, idle_s=60, max_age_s=3600)
    sid = sessions.create()
    clock.t += 59
    assert sessions.get(sid) is not None  # use renews the idle window
    clock.t += 59
    assert sessions.get(sid) is not None
    clock.t += 61
    assert sessions.get(sid) is None
    assert sessions.get(sid) is None  # and it is gone for good


def test_session_absolute_expiry_even_when_busy() -> None:
    clock = Clock()
    sessions = Sessions(clock, idle_s=60, max_age_s=300)
    sid = sessions.create()
    for _ in range(5):
        clock.t += 50
        assert sessions.get(sid) is not None
    clock.t += 51
    assert sessions.get(sid) is None


def test_session_csrf_and_sign_out() -> None:
    sessions = Sessions(Clock())
    sid = sessions.create()
    session = sessions.get(sid)
    assert session is not None
    assert sessions.csrf_ok(session, session.csrf)
    assert not sessions.csrf_ok(session, None) and not sessions.csrf_ok(session, "") and not sessions.csrf_ok(
        session, session.csrf[:-1] + "x")
    sessions.end(sid)
    assert sessions.get(sid) is None
    assert sessions.get("not-a-session") is None and sessions.get(None) is None


def test_links_are_single_use_and_short_lived() -> None:
    clock = Clock()
    links = Links(clock, ttl_s=300)
    nonce = links.create()
    assert links.spend(nonce)
    assert not links.spend(nonce)  # used up
    late = links.create()
    clock.t += 301
    assert not links.spend(late)
    assert not links.spend("made-up")


def test_lockout_after_repeated_failures_then_expires() -> None:
    clock = Clock()
    lockout = Lockout(clock, failures=3, window_s=60, lock_s=600)
    assert lockout.fail("10.0.0.1") == 2
    assert lockout.fail("10.0.0.1") == 1
    assert lockout.locked("10.0.0.1") == 0
    assert lockout.fail("10.0.0.1") == 0
    assert lockout.locked("10.0.0.1") == 600
    assert lockout.locked("10.0.0.2") == 0  # per address
    clock.t += 601
    assert lockout.locked("10.0.0.1") == 0


def test_lockout_window_forgets_old_failures_and_success_resets() -> None:
    clock = Clock()
    lockout = Lockout(clock, failures=3, window_s=60, lock_s=600)
    lockout.fail("ip")
    lockout.fail("ip")
    clock.t += 61
    assert lockout.fail("ip") == 2  # the first two fell out of the window
    lockout.succeed("ip")
    assert lockout.fail("ip") == 2


def test_origin_rules() -> None:
    host = {"host": "127.0.0.1:8080"}
    assert same_origin({**host, "origin": "http://127.0.0.1:8080"})
    assert not same_origin({**host, "origin": "http://127.0.0.1:9999"})
    assert not same_origin({**host, "origin": "http://evil.example"})
    # our own form posts under Referrer-Policy: no-referrer carry Origin: null
    assert same_origin({**host, "origin": "null", "sec-fetch-site": "same-origin"})
    assert not same_origin({**host, "origin": "null", "sec-fetch-site": "same-site"})
    assert not same_origin({**host, "origin": "null"})
    assert not same_origin({**host, "sec-fetch-site": "cross-site"})
    assert same_origin(host)  # not a browser: no CSRF to fear


def test_cookie_parsing() -> None:
    assert cookie_value({"cookie": "a=1; minance_console=abc; b=2"}) == "abc"
    assert cookie_value({"cookie": "minance_console="}) is None
    assert cookie_value({}) is None
