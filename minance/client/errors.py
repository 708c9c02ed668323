"""The SDK's exceptions: one tree built on the server's error table (:mod:`minance.domain.errors`).

Every API rejection is a :class:`ApiError` (itself a :class:`~minance.domain.errors.BinanceError`, so
``code``/``msg``/``http_status`` are the wire values). Its class says what the caller should do, per
the table's :class:`~minance.domain.errors.Action`:

* :class:`RetryableError` — back off and try again (429 → :class:`RateLimitError`, 5xx/-1007 →
  :class:`UnknownStatusError`, whose outcome is unknown);
* :class:`RequestError` — the request is wrong; fix it;
* :class:`AuthError` — key, signature or clock (:class:`TimestampError` for -1021);
* :class:`StopError` — banned (418 → :class:`IpBannedError`) or not allowed: do not insist;
* :class:`BusinessError` — a valid request the exchange declined (balance, unknown order).

Exceptions carry only what the exchange answered plus method and path: never a query string,
a signature or a secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from minance.domain.errors import ERRORS, Action, BinanceError, Err

__all__ = [
    "ACTION_CLASSES",
    "ApiError",
    "AuthError",
    "BusinessError",
    "CancelRejected",
    "ClientError",
    "CredentialsError",
    "IpBannedError",
    "KeyRejectedError",
    "OrderNotFound",
    "OrderRejected",
    "RateLimitError",
    "RequestError",
    "ResponseFormatError",
    "RetryableError",
    "SignatureError",
    "StopError",
    "TimestampError",
    "TransportError",
    "UnknownStatusError",
    "error_class_for",
    "error_from_response",
]


class ClientError(Exception):
    """Anything the minance SDK raises."""

    action: ClassVar[Action] = Action.FIX_REQUEST


class TransportError(ClientError):
    """The request did not get an answer (connection refused, reset, timed out)."""

    action = Action.RETRY


class CredentialsError(ClientError):
    """The call needs an API key (and a secret or private key to sign) that the client was not given."""

    action = Action.REAUTHENTICATE


class ReadOnlyError(CredentialsError):
    """A trading call (order, cancel, order list, withdrawal) on a client made read-only, e.g. from a vault
    profile declared ``--use read``: refused before anything is sent."""

    action = Action.STOP


class ResponseFormatError(ClientError):
    """The server answered 2xx with a body that is not what this endpoint returns."""

    action = Action.STOP


class ApiError(BinanceError, ClientError):
    """A ``{"code", "msg"}`` rejection from the exchange."""

    action: ClassVar[Action] = Action.FIX_REQUEST  # a class constant here

    def __init__(self, code: int, msg: str | None = None, *, http_status: int | None = None,
                 headers: Mapping[str, str] | None = None, endpoint: str = "") -> None:
        super().__init__(code, msg, http_status=http_status, headers=dict(headers or {}))
        self.endpoint = endpoint
        if endpoint:
            self.args = (f"{self.code}: {self.msg} ({endpoint}, HTTP {self.http_status})",)

    @property
    def retry_after_s(self) -> float | None:
        value = self.headers.get("retry-after")
        try:
            return float(value) if value is not None else None
        except ValueError:
            return None


class RetryableError(ApiError):
    action = Action.RETRY


class RequestError(ApiError):
    action = Action.FIX_REQUEST


class AuthError(ApiError):
    action = Action.REAUTHENTICATE


class StopError(ApiError):
    action = Action.STOP


class BusinessError(ApiError):
    action = Action.BUSINESS


class RateLimitError(RetryableError):
    """HTTP 429 (-1003 weight, -1015 orders): wait ``retry_after_s`` before the next request."""


class UnknownStatusError(RetryableError):
    """5xx or -1007: the request may or may not have been executed."""


class TimestampError(AuthError):
    """-1021: the clock is off or the request waited too long; resync the server time."""


class SignatureError(AuthError):
    """-1022: the signature does not match (wrong secret/private key for this api key)."""


class KeyRejectedError(AuthError):
    """-2014/-2015: bad key, IP not allowed, or the key lacks the permission."""


class IpBannedError(StopError):
    """HTTP 418: this IP is banned until ``retry_after_s`` from now. Stop sending."""


class OrderRejected(BusinessError):
    """-2010."""


class CancelRejected(BusinessError):
    """-2011."""


class OrderNotFound(BusinessError):
    """-2013."""


ACTION_CLASSES: dict[Action, type[ApiError]] = {
    Action.RETRY: RetryableError,
    Action.FIX_REQUEST: RequestError,
    Action.REAUTHENTICATE: AuthError,
    Action.STOP: StopError,
    Action.BUSINESS: BusinessError,
}

# Codes with a class of their own; each is a subclass of its table entry's action class (a test checks it).
_BY_CODE: dict[int, type[ApiError]] = {
    Err.TOO_MANY_REQUESTS.code: RateLimitError,
    Err.TOO_MANY_ORDERS.code: RateLimitError,
    Err.TIMEOUT.code: UnknownStatusError,
    Err.INVALID_TIMESTAMP.code: TimestampError,
    Err.INVALID_SIGNATURE.code: SignatureError,
    Err.BAD_API_KEY_FMT.code: KeyRejectedError,
    Err.REJECTED_MBX_KEY.code: KeyRejectedError,
    Err.NEW_ORDER_REJECTED.code: OrderRejected,
    Err.CANCEL_REJECTED.code: CancelRejected,
    Err.NO_SUCH_ORDER.code: OrderNotFound,
}


def error_class_for(code: int, http_status: int) -> type[ApiError]:
    """The exception class for a rejection: the HTTP status decides for 418/429/5xx, then the code."""
    if http_status == 418:
        return IpBannedError
    if http_status == 429:
        return RateLimitError
    if http_status >= 500:
        return UnknownStatusError
    if http_status == 404:  # no such endpoint here (e.g. /sapi on the testnet)
        return RequestError
    if code in _BY_CODE:
        return _BY_CODE[code]
    spec = ERRORS.get(code)
    return ACTION_CLASSES[spec.action] if spec else RequestError


def error_from_response(http_status: int, body: object, headers: Mapping[str, str],
                        endpoint: str = "") -> ApiError:
    """The exception for a non-2xx answer (a Binance ``{"code", "msg"}`` body, or anything else)."""
    if isinstance(body, dict) and isinstance(body.get("code"), int):
        code, msg = body["code"], str(body.get("msg", ""))
    else:
        code, msg = Err.UNKNOWN.code, f"HTTP {http_status} without a Binance error body"
    lowered = {k.lower(): v for k, v in headers.items()}
    return error_class_for(code, http_status)(code, msg, http_status=http_status, headers=lowered,
                                              endpoint=endpoint)
