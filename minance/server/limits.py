"""Binance's rate limits: REQUEST_WEIGHT and RAW_REQUESTS per IP, ORDERS per account, and IP bans.

Windows are fixed and aligned to the clock (a minute window resets on the minute). An IP that keeps
sending after a 429 is banned (418) for 2 minutes, doubling for each repeat offence up to 3 days.
"""

from __future__ import annotations

from dataclasses import dataclass

from minance.domain.errors import BinanceError, Err, ErrorSpec

_UNIT_MS = {"SECOND": 1000, "MINUTE": 60_000, "HOUR": 3_600_000, "DAY": 86_400_000}
_LETTER = {"SECOND": "S", "MINUTE": "M", "HOUR": "H", "DAY": "D"}
BAN_BASE_MS = 120_000
BAN_MAX_MS = 3 * 86_400_000


@dataclass(frozen=True, slots=True)
class RateLimit:
    kind: str  # REQUEST_WEIGHT | RAW_REQUESTS | ORDERS
    interval: str  # SECOND | MINUTE | HOUR | DAY
    interval_num: int
    limit: int

    @property
    def window_ms(self) -> int:
        return _UNIT_MS[self.interval] * self.interval_num

    @property
    def suffix(self) -> str:
        return f"{self.interval_num}{_LETTER[self.interval]}"

    @property
    def per(self) -> str:
        return f"{self.interval_num} {self.interval}"

    def to_wire(self) -> dict:
        return {"rateLimitType": self.kind, "interval": self.interval, "intervalNum": self.interval_num,
                "limit": self.limit}


DEFAULT_LIMITS = (
    RateLimit("REQUEST_WEIGHT", "MINUTE", 1, 6000),
    RateLimit("ORDERS", "SECOND", 10, 50),
    RateLimit("ORDERS", "DAY", 1, 160_000),
    RateLimit("RAW_REQUESTS", "MINUTE", 5, 300_000),
)


class _Counter:
    """Counts per subject in the current fixed window of one limit."""

    __slots__ = ("_counts", "_window", "limit")

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self._window = -1
        self._counts: dict[object, int] = {}

    def _roll(self, now_ms: int) -> None:
        window = now_ms // self.limit.window_ms
        if window != self._window:
            self._window = window
            self._counts = {}

    def add(self, subject: object, amount: int, now_ms: int) -> int:
        self._roll(now_ms)
        total = self._counts.get(subject, 0) + amount
        self._counts[subject] = total
        return total

    def used(self, subject: object, now_ms: int) -> int:
        self._roll(now_ms)
        return self._counts.get(subject, 0)

    def reset_in_ms(self, now_ms: int) -> int:
        window_ms = self.limit.window_ms
        return window_ms - now_ms % window_ms


class RateLimiter:
    def __init__(self, limits: tuple[RateLimit, ...] = DEFAULT_LIMITS, *, enforce: bool = True,
                 strikes_before_ban: int = 10) -> None:
        self.limits = limits
        self.enforce = enforce
        self.strikes_before_ban = strikes_before_ban
        self._weight = [_Counter(lim) for lim in limits if lim.kind == "REQUEST_WEIGHT"]
        self._raw = [_Counter(lim) for lim in limits if lim.kind == "RAW_REQUESTS"]
        self._orders = [_Counter(lim) for lim in limits if lim.kind == "ORDERS"]
        self._strikes: dict[str, tuple[int, int]] = {}  # ip -> (window id, 429s answered in it)
        self._bans: dict[str, int] = {}  # ip -> banned until (ms)
        self._offences: dict[str, int] = {}

    # -- IP limits -----------------------------------------------------------------------------
    def check_ip(self, ip: str, weight: int, now_ms: int) -> None:
        """Charge a request to its IP; raise 418 while banned, 429 when a limit is exceeded."""
        banned_until = self._bans.get(ip)
        if banned_until is not None:
            if now_ms < banned_until:
                raise self._ban_error(banned_until, now_ms)
            del self._bans[ip]
        for counter in self._raw:
            if counter.add(ip, 1, now_ms) > counter.limit.limit and self.enforce:
                self._strike(ip, counter, now_ms)
                raise self._limit_error(counter, now_ms, Err.RAW_REQUEST_LIMIT)
        for counter in self._weight:
            if counter.add(ip, weight, now_ms) > counter.limit.limit and self.enforce:
                self._strike(ip, counter, now_ms)
                raise self._limit_error(counter, now_ms, Err.WEIGHT_LIMIT)

    def refund_ip(self, ip: str, weight: int, now_ms: int) -> None:
        """Successful order calls cost no weight (Binance, since 2026-04)."""
        for counter in self._weight:
            counter.add(ip, -weight, now_ms)

    def used_weight(self, ip: str, now_ms: int) -> dict[str, int]:
        return {c.limit.suffix: c.used(ip, now_ms) for c in self._weight}

    def _strike(self, ip: str, counter: _Counter, now_ms: int) -> None:
        window = now_ms // counter.limit.window_ms
        seen_window, strikes = self._strikes.get(ip, (window, 0))
        strikes = strikes + 1 if seen_window == window else 1
        self._strikes[ip] = (window, strikes)
        if strikes > self.strikes_before_ban:  # it did not back off after its 429s
            offences = self._offences.get(ip, 0) + 1
            self._offences[ip] = offences
            until = now_ms + min(BAN_BASE_MS * 2 ** (offences - 1), BAN_MAX_MS)
            self._bans[ip] = until
            self._strikes.pop(ip, None)
            raise self._ban_error(until, now_ms)

    @staticmethod
    def _ban_error(until_ms: int, now_ms: int) -> BinanceError:
        retry = max(1, -(-(until_ms - now_ms) // 1000))
        return Err.IP_BANNED(until=until_ms, headers={"Retry-After": str(retry)})

    @staticmethod
    def _limit_error(counter: _Counter, now_ms: int, spec: ErrorSpec) -> BinanceError:
        retry = max(1, -(-counter.reset_in_ms(now_ms) // 1000))
        return spec(limit=counter.limit.limit, per=counter.limit.per, headers={"Retry-After": str(retry)})

    # -- ORDERS per account --------------------------------------------------------------------
    def check_orders(self, account_id: int, count: int, now_ms: int) -> dict[str, int]:
        """Count new orders for an account; raise 429 (-1015) when a window is full."""
        for counter in self._orders:
            if self.enforce and counter.used(account_id, now_ms) + count > counter.limit.limit:
                raise self._limit_error(counter, now_ms, Err.ORDER_LIMIT)
        return {c.limit.suffix: c.add(account_id, count, now_ms) for c in self._orders}

    def release_orders(self, account_id: int, count: int, now_ms: int) -> None:
        """An order's first fill takes it off the unfilled-order count (never below zero)."""
        for counter in self._orders:
            used = counter.used(account_id, now_ms)
            if used:
                counter.add(account_id, -min(used, count), now_ms)

    def order_counts(self, account_id: int, now_ms: int) -> dict[str, int]:
        return {c.limit.suffix: c.used(account_id, now_ms) for c in self._orders}

    def order_limits(self, account_id: int, now_ms: int) -> list[dict]:
        return [{**c.limit.to_wire(), "count": c.used(account_id, now_ms)} for c in self._orders]
