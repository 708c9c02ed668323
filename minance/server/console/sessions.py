"""Console sign-in state: sessions, one-time sign-in links and the failed-sign-in lockout.

All in memory (a restart signs everyone out) and keyed by a SHA-256 of the secret value, so a heap dump
shows no usable session id or link. Time is a callable returning seconds, so tests can step it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["IDLE_S", "LINK_TTL_S", "LOCKOUT_FAILURES", "LOCKOUT_S", "MAX_AGE_S", "Links", "Lockout", "Session",
           "Sessions"]

IDLE_S = 30 * 60  # a session unused for 30 minutes ends
MAX_AGE_S = 12 * 3600  # and any session ends 12 hours after sign-in
LINK_TTL_S = 5 * 60  # a one-time sign-in link is good for 5 minutes
LOCKOUT_FAILURES = 5  # failed sign-ins from one address within LOCKOUT_S ...
LOCKOUT_S = 15 * 60  # ... lock that address out for LOCKOUT_S
MAX_SESSIONS = 256
MAX_LINKS = 32

Now = Callable[[], float]


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8", "surrogateescape")).digest()


@dataclass(slots=True)
class Session:
    csrf: str  # the synchronizer token every write must carry in X-CSRF-Token
    created_s: float
    seen_s: float


class Sessions:
    def __init__(self, now: Now = time.monotonic, *, idle_s: float = IDLE_S, max_age_s: float = MAX_AGE_S) -> None:
        self._now = now
        self.idle_s = idle_s
        self.max_age_s = max_age_s
        self._by_digest: dict[bytes, Session] = {}

    def create(self) -> str:
        """A new session; returns its id (the cookie value), which is kept only as a digest here."""
        self._purge()
        if len(self._by_digest) >= MAX_SESSIONS:  # drop the oldest rather than refuse a sign-in
            oldest = min(self._by_digest, key=lambda d: self._by_digest[d].created_s)
            del self._by_digest[oldest]
        session_id = secrets.token_urlsafe(32)
        now = self._now()
        self._by_digest[_digest(session_id)] = Session(secrets.token_urlsafe(32), now, now)
        return session_id

    def get(self, session_id: str | None, *, touch: bool = True) -> Session | None:
        """The live session for this cookie value, or None (unknown, idle too long, or too old)."""
        if not session_id:
            return None
        digest = _digest(session_id)
        session = self._by_digest.get(digest)
        if session is None:
            return None
        now = self._now()
        if now - session.seen_s > self.idle_s or now - session.created_s > self.max_age_s:
            del self._by_digest[digest]
            return None
        if touch:
            session.seen_s = now
        return session

    def end(self, session_id: str | None) -> None:
        if session_id:
            self._by_digest.pop(_digest(session_id), None)

    def expires_in(self, session: Session) -> float:
        """Seconds until the session ends if it stays idle."""
        now = self._now()
        return max(0.0, min(session.seen_s + self.idle_s, session.created_s + self.max_age_s) - now)

    @staticmethod
    def csrf_ok(session: Session, given: str | None) -> bool:
        if not given:
            return False
        return hmac.compare_digest(session.csrf.encode(), given.encode("utf-8", "surrogateescape"))

    def _purge(self) -> None:
        now = self._now()
        for digest, s in list(self._by_digest.items()):
            if now - s.seen_s > self.idle_s or now - s.created_s > self.max_age_s:
                del self._by_digest[digest]


class Links:
    """Single-use sign-in nonces: created through the admin API (``minance console link``), spent on first use."""

    def __init__(self, now: Now = time.monotonic, *, ttl_s: float = LINK_TTL_S) -> None:
        self._now = now
        self.ttl_s = ttl_s
        self._expiry: dict[bytes, float] = {}

    def create(self) -> str:
        now = self._now()
        for digest, until in list(self._expiry.items()):
            if until <= now:
                del self._expiry[digest]
        if len(self._expiry) >= MAX_LINKS:
            del self._expiry[min(self._expiry, key=self._expiry.__getitem__)]
        nonce = secrets.token_urlsafe(32)
        self._expiry[_digest(nonce)] = now + self.ttl_s
        return nonce

    def spend(self, nonce: str) -> bool:
        """True once for a live nonce; it is gone afterwards whether or not it was still valid."""
        until = self._expiry.pop(_digest(nonce), None)
        return until is not None and until > self._now()


@dataclass(slots=True)
class _Failures:
    times: deque[float] = field(default_factory=deque)
    locked_until: float = 0.0


class Lockout:
    """Per client address: LOCKOUT_FAILURES failed sign-ins within the window lock it out for LOCKOUT_S,
    during which even the right token is refused."""

    def __init__(self, now: Now = time.monotonic, *, failures: int = LOCKOUT_FAILURES,
                 window_s: float = LOCKOUT_S, lock_s: float = LOCKOUT_S) -> None:
        self._now = now
        self.failures = failures
        self.window_s = window_s
        self.lock_s = lock_s
        self._by_ip: dict[str, _Failures] = {}

    def locked(self, ip: str) -> float:
        """Seconds this address remains locked out (0 when it may try)."""
        state = self._by_ip.get(ip)
        return max(0.0, state.locked_until - self._now()) if state else 0.0

    def fail(self, ip: str) -> int:
        """Counts a failure; returns how many attempts remain before the lockout (0: locked now)."""
        now = self._now()
        if len(self._by_ip) > 10_000:  # bound the memory an address sweep can take
            self._by_ip = {k: v for k, v in self._by_ip.items() if v.locked_until > now}
        state = self._by_ip.setdefault(ip, _Failures())
        state.times.append(now)
        while state.times and state.times[0] <= now - self.window_s:
            state.times.popleft()
        if len(state.times) >= self.failures:
            state.locked_until = now + self.lock_s
            state.times.clear()
            return 0
        return self.failures - len(state.times)

    def succeed(self, ip: str) -> None:
        self._by_ip.pop(ip, None)
