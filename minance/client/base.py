"""The part of the SDK that does not do I/O, shared by :class:`~minance.client.sync.Client` and
:class:`~minance.client.async_.AsyncClient`.

A call is a generator (``_flow``) that yields :class:`Send` and :class:`Sleep` steps and receives
:class:`Reply` objects; the sync and async clients only drive it with httpx and ``time.sleep`` /
``asyncio.sleep``. So request building, signing, server-time sync, rate-limit tracking, back-off
and retries are written once.

Retry rules: requests the exchange refused before executing them (429, -1021) are retried on
every endpoint; requests whose outcome is unknown (no answer, 5xx, -1007) are retried only when
that is safe: reads, and order placement, which carries a ``newClientOrderId`` and is looked up
by it before being sent again. A 418 ban stops every further call until it ends.
"""

from __future__ import annotations

import json
import secrets
import string
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from minance.client.errors import (
    CredentialsError,
    IpBannedError,
    OrderNotFound,
    OrderRejected,
    RateLimitError,
    ReadOnlyError,
    ResponseFormatError,
    TimestampError,
    TransportError,
    UnknownStatusError,
    error_from_response,
)
from minance.client.signer import Signer, encode_params, sign_rest, wire_signature
from minance.client.targets import Target, resolve_target
from minance.domain.errors import Err

__all__ = [
    "ClientCore",
    "Endpoint",
    "RateLimitTracker",
    "Reply",
    "Request",
    "RetryPolicy",
    "Security",
    "Send",
    "Sleep",
    "new_client_order_id",
]

T = TypeVar("T")
USER_AGENT = "minance-sdk/0.1"
_ID_ALPHABET = string.ascii_letters + string.digits


class Security(StrEnum):
    NONE = "NONE"  # public
    API_KEY = "API_KEY"  # X-MBX-APIKEY only (listenKey)
    SIGNED = "SIGNED"  # X-MBX-APIKEY + timestamp + signature (TRADE, USER_DATA)


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    security: Security = Security.NONE
    weight: int = 1
    counts_order: bool = False

    @property
    def is_trading(self) -> bool:
        """It changes what the account holds or has open (orders, cancels, lists, withdrawals): signed and not
        a read. Listen keys (API_KEY security) only open a stream."""
        return self.security is Security.SIGNED and self.method != "GET"

    @property
    def retry_safe(self) -> bool:
        """Sending it twice does no harm (its outcome may be unknown and it can be sent again)."""
        return self.method == "GET" or self.security is Security.API_KEY

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    url: str  # path + query, relative to the base URL
    headers: dict[str, str]
    body: bytes | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass(frozen=True, slots=True)
class Send:
    request: Request


@dataclass(frozen=True, slots=True)
class Sleep:
    seconds: float


Step = Send | Sleep
Flow = Generator[Step, Any, T]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 3  # tries per call, the first included
    backoff_s: float = 0.25  # doubled per retry
    max_backoff_s: float = 5.0
    max_wait_s: float = 60.0  # the longest Retry-After (or window reset) waited for; longer → raise

    def backoff(self, attempt: int) -> float:
        return min(self.max_backoff_s, self.backoff_s * (2 ** (attempt - 1)))


_UNIT_MS = {"S": 1000, "M": 60_000, "H": 3_600_000, "D": 86_400_000}


def _window_ms(suffix: str) -> int | None:
    """``1M`` → 60000; ``10S`` → 10000 (the X-MBX-*-<n><unit> header suffixes)."""
    num, unit = suffix[:-1], suffix[-1:].upper()
    return int(num) * _UNIT_MS[unit] if num.isdigit() and unit in _UNIT_MS else None


@dataclass
class RateLimitTracker:
    """What the last responses said about this IP's weight and this account's order counts.

    Binance's windows are fixed and aligned to the clock, so a count read in one window says
    nothing about the next: each count is kept with the window it was read in.
    """

    weight_limits: dict[str, int] = field(default_factory=lambda: {"1M": 6000})
    order_limits: dict[str, int] = field(default_factory=dict)
    used_weight: dict[str, tuple[int, int]] = field(default_factory=dict)  # suffix → (window start, count)
    order_count: dict[str, tuple[int, int]] = field(default_factory=dict)
    banned_until_ms: int = 0

    def observe(self, headers: Mapping[str, str], now_ms: int) -> None:
        for name, value in headers.items():
            lname = name.lower()
            for prefix, store in (("x-mbx-used-weight-", self.used_weight), ("x-mbx-order-count-", self.order_count)):
                if lname.startswith(prefix) and value.strip().isdigit():
                    suffix = lname[len(prefix):].upper()
                    window = _window_ms(suffix)
                    if window:
                        store[suffix] = (now_ms - now_ms % window, int(value))

    def learn(self, rate_limits: list[Any]) -> None:
        """Limits from ``exchangeInfo.rateLimits`` (REQUEST_WEIGHT and ORDERS)."""
        weights: dict[str, int] = {}
        orders: dict[str, int] = {}
        for lim in rate_limits:
            suffix = f"{lim.interval_num}{lim.interval[:1]}"
            if lim.rate_limit_type == "REQUEST_WEIGHT":
                weights[suffix] = lim.limit
            elif lim.rate_limit_type == "ORDERS":
                orders[suffix] = lim.limit
        if weights:
            self.weight_limits = weights
        if orders:
            self.order_limits = orders

    def current(self, store: dict[str, tuple[int, int]], suffix: str, now_ms: int) -> int:
        window = _window_ms(suffix)
        start, count = store.get(suffix, (0, 0))
        return count if window and now_ms - now_ms % window == start else 0

    def wait_ms(self, endpoint: Endpoint, now_ms: int) -> int:
        """How long to hold ``endpoint`` so that it does not cross a limit (0: send now)."""
        wait = 0
        checks = [(self.used_weight, self.weight_limits, endpoint.weight)]
        if endpoint.counts_order:
            checks.append((self.order_count, self.order_limits, 1))
        for store, limits, cost in checks:
            for suffix, limit in limits.items():
                if self.current(store, suffix, now_ms) + cost > limit:
                    window = _window_ms(suffix) or 0
                    wait = max(wait, window - now_ms % window)
        return wait

    def snapshot(self, now_ms: int) -> dict[str, int]:
        out = {f"weight-{s}": self.current(self.used_weight, s, now_ms) for s in self.used_weight}
        out.update({f"orders-{s}": self.current(self.order_count, s, now_ms) for s in self.order_count})
        return out


def new_client_order_id() -> str:
    """A fresh ``newClientOrderId`` (Binance allows ``^[a-zA-Z0-9-_]{1,36}$``)."""
    return "mnc-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(22))


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body, parse_float=Decimal) if body else {}
    except ValueError:
        raise ResponseFormatError("the answer is not JSON") from None


_TIME = Endpoint("GET", "/api/v3/time", Security.NONE, 1)
_ORDER_GET = Endpoint("GET", "/api/v3/order", Security.SIGNED, 4)


class ClientCore:
    """Configuration and the I/O-free request flow. Not used directly: see Client and AsyncClient."""

    def __init__(self, api_key: str | None = None, signer: Signer | None = None, *,
                 target: Target | str | None = None, recv_window_ms: int | None = 5000,
                 retry: RetryPolicy | None = None, auto_time_sync: bool = True,
                 clock_ms: Callable[[], int] | None = None, read_only: bool = False) -> None:
        self.target = target if isinstance(target, Target) else resolve_target(target)
        self.api_key = api_key
        self.signer = signer
        self.recv_window_ms = recv_window_ms
        self.retry = retry or RetryPolicy()
        self.auto_time_sync = auto_time_sync
        self.time_offset_ms: int | None = None  # server time - local time, once synced
        self.limits = RateLimitTracker()
        self._clock_ms = clock_ms or (lambda: time.time_ns() // 1_000_000)
        self.read_only = read_only  # refuse trading calls (a profile declared for reading)

    def __repr__(self) -> str:
        key = f"{self.api_key[:6]}…" if self.api_key else None
        return f"{type(self).__name__}(target={self.target}, api_key={key!r}, signer={self.signer!r})"

    @property
    def base_url(self) -> str:
        return self.target.base_url

    def server_now_ms(self) -> int:
        return self._clock_ms() + (self.time_offset_ms or 0)

    # -- building requests ------------------------------------------------------------------
    def require_credentials(self, endpoint: Endpoint) -> None:
        if self.read_only and endpoint.is_trading:
            raise ReadOnlyError(f"{endpoint} trades, and this client is read-only (a profile declared for reading):"
                                " use a profile declared --use trade")
        if endpoint.security is not Security.NONE and not self.api_key:
            raise CredentialsError(f"{endpoint} needs an API key")
        if endpoint.security is Security.SIGNED and self.signer is None:
            raise CredentialsError(f"{endpoint} is signed: give the API secret or the private key")

    def prepare(self, endpoint: Endpoint, params: Mapping[str, Any]) -> Request:
        """The request as it goes on the wire; a signed one gets ``recvWindow``, ``timestamp`` and,
        last, ``signature`` over the exact encoded bytes."""
        self.require_credentials(endpoint)
        values = {k: v for k, v in params.items() if v is not None}
        headers = {"User-Agent": USER_AGENT}
        if endpoint.security is not Security.NONE:
            headers["X-MBX-APIKEY"] = self.api_key  # type: ignore[assignment]
        if endpoint.security is Security.SIGNED:
            if self.recv_window_ms is not None:
                values.setdefault("recvWindow", self.recv_window_ms)
            values["timestamp"] = self.server_now_ms()
        encoded = encode_params(values)
        if endpoint.security is Security.SIGNED:
            assert self.signer is not None
            signature = f"signature={wire_signature(sign_rest(self.signer, encoded))}"
            encoded = f"{encoded}&{signature}" if encoded else signature
        if endpoint.method in ("POST", "PUT") and encoded:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            return Request(endpoint.method, endpoint.path, headers, encoded.encode("ascii"))
        return Request(endpoint.method, f"{endpoint.path}?{encoded}" if encoded else endpoint.path, headers)

    # -- flows ---------------------------------------------------------------------------------
    def _sync_time_flow(self) -> Flow[int]:
        sent = self._clock_ms()
        reply: Reply = yield Send(self.prepare(_TIME, {}))
        received = self._clock_ms()
        self.limits.observe(reply.headers, received)
        if reply.status != 200:
            raise error_from_response(reply.status, _decode(reply.body), reply.headers, str(_TIME))
        server = int(_decode(reply.body)["serverTime"])
        self.time_offset_ms = server - (sent + received) // 2
        return self.time_offset_ms

    def _flow(self, endpoint: Endpoint, params: Mapping[str, Any], parse: Callable[[Any], T],
              recover: Callable[[], Flow[T | None]] | None = None) -> Flow[T]:
        """One call with its retries. ``recover`` finds the outcome of a request whose answer was lost
        (order placement looks the order up by its client id); without it only retry-safe endpoints
        are sent again after such a loss."""
        self.require_credentials(endpoint)
        policy = self.retry
        resynced = False
        attempt = 0
        while True:
            attempt += 1
            now = self._clock_ms()
            if now < self.limits.banned_until_ms:
                wait_s = (self.limits.banned_until_ms - now) / 1000
                raise IpBannedError(Err.TOO_MANY_REQUESTS.code, f"IP banned for {wait_s:.0f}s more (not sent)",
                                    http_status=418, endpoint=str(endpoint))
            hold_ms = self.limits.wait_ms(endpoint, self.server_now_ms())
            if hold_ms:
                if hold_ms / 1000 > policy.max_wait_s:
                    raise RateLimitError(Err.TOO_MANY_REQUESTS.code,
                                         f"the rate limit resets in {hold_ms / 1000:.0f}s (not sent)",
                                         http_status=429, endpoint=str(endpoint))
                yield Sleep(hold_ms / 1000)
            if endpoint.security is Security.SIGNED and self.auto_time_sync and self.time_offset_ms is None:
                yield from self._sync_time_flow()
            request = self.prepare(endpoint, params)
            lost: Exception
            try:
                reply: Reply = yield Send(request)
            except TransportError as exc:
                lost = exc
            else:
                self.limits.observe(reply.headers, self.server_now_ms())
                if 200 <= reply.status < 300:
                    return parse(_decode(reply.body))
                error = error_from_response(reply.status, _decode_error(reply.body), reply.headers, str(endpoint))
                if isinstance(error, IpBannedError):
                    self.limits.banned_until_ms = self._clock_ms() + int((error.retry_after_s or 120) * 1000)
                    raise error
                if isinstance(error, RateLimitError):
                    wait = error.retry_after_s if error.retry_after_s is not None else policy.backoff(attempt)
                    if attempt >= policy.attempts or wait > policy.max_wait_s:
                        raise error
                    yield Sleep(wait)
                    continue
                if isinstance(error, TimestampError) and not resynced and endpoint.security is Security.SIGNED:
                    resynced = True  # rejected before execution: resync the clock and send again, once
                    yield from self._sync_time_flow()
                    attempt -= 1
                    continue
                if (recover is not None and attempt > 1 and isinstance(error, OrderRejected)
                        and "Duplicate" in error.msg):
                    found = yield from recover()  # our earlier attempt did get through
                    if found is not None:
                        return found
                if not isinstance(error, UnknownStatusError):
                    raise error
                lost = error
            # the outcome is unknown
            if recover is None and not endpoint.retry_safe:
                raise lost
            if attempt >= policy.attempts:
                raise lost
            yield Sleep(policy.backoff(attempt))
            if recover is not None:
                found = yield from recover()
                if found is not None:
                    return found

    def _find_order_flow(self, symbol: str, client_order_id: str, parse: Callable[[Any], T]) -> Flow[T | None]:
        """The order with this client id, or None when the exchange does not know it."""
        try:
            return (yield from self._flow(_ORDER_GET, {"symbol": symbol, "origClientOrderId": client_order_id},
                                          parse))
        except OrderNotFound:
            return None


def _decode_error(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None
