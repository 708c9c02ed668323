"""The one table of Binance errors, shared by the server (to render) and the SDK (to raise).

Each entry carries Binance's numeric code, its HTTP status and its canonical message. Messages with
``%s`` placeholders are filled by :func:`BinanceError.format`. The ``action`` groups errors by what a
caller should do about them, which is how the SDK's exception tree is organised.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    """What a caller should do when it receives the error."""

    RETRY = "retry"  # transient: back off and try again
    FIX_REQUEST = "fix_request"  # the request itself is wrong
    REAUTHENTICATE = "reauthenticate"  # key, signature or clock problem
    STOP = "stop"  # banned or not allowed: do not insist
    BUSINESS = "business"  # valid request the exchange declined (balance, unknown order)


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    code: int
    name: str
    http_status: int
    message: str
    action: Action


def _spec(code: int, name: str, status: int, message: str, action: Action) -> ErrorSpec:
    return ErrorSpec(code, name, status, message, action)


_A = Action
ERRORS: dict[int, ErrorSpec] = {
    s.code: s
    for s in (
        _spec(-1000, "UNKNOWN", 500, "An unknown error occurred while processing the request.", _A.RETRY),
        _spec(-1002, "UNAUTHORIZED", 401, "You are not authorized to execute this request.", _A.STOP),
        _spec(-1003, "TOO_MANY_REQUESTS", 429, "Too many requests queued.", _A.RETRY),
        _spec(-1007, "TIMEOUT", 408,
              "Timeout waiting for response from backend server. Send status unknown; "
              "execution status unknown.", _A.RETRY),
        _spec(-1013, "INVALID_MESSAGE", 400, "Invalid message.", _A.FIX_REQUEST),
        _spec(-1014, "UNKNOWN_ORDER_COMPOSITION", 400, "Unsupported order combination.", _A.FIX_REQUEST),
        _spec(-1015, "TOO_MANY_ORDERS", 429, "Too many new orders.", _A.RETRY),
        _spec(-1021, "INVALID_TIMESTAMP", 400, "Timestamp for this request is outside of the recvWindow.",
              _A.REAUTHENTICATE),
        _spec(-1022, "INVALID_SIGNATURE", 400, "Signature for this request is not valid.", _A.REAUTHENTICATE),
        _spec(-1100, "ILLEGAL_CHARS", 400, "Illegal characters found in a parameter.", _A.FIX_REQUEST),
        _spec(-1101, "TOO_MANY_PARAMETERS", 400, "Too many parameters sent for this endpoint.", _A.FIX_REQUEST),
        _spec(-1102, "MANDATORY_PARAM_EMPTY_OR_MALFORMED", 400,
              "A mandatory parameter was not sent, was empty/null, or malformed.", _A.FIX_REQUEST),
        _spec(-1103, "UNKNOWN_PARAM", 400, "An unknown parameter was sent.", _A.FIX_REQUEST),
        _spec(-1104, "UNREAD_PARAMETERS", 400, "Not all sent parameters were read.", _A.FIX_REQUEST),
        _spec(-1105, "PARAM_EMPTY", 400, "A parameter was empty.", _A.FIX_REQUEST),
        _spec(-1106, "PARAM_NOT_REQUIRED", 400, "A parameter was sent when not required.", _A.FIX_REQUEST),
        _spec(-1111, "BAD_PRECISION", 400, "Precision is over the maximum defined for this asset.",
              _A.FIX_REQUEST),
        _spec(-1112, "NO_DEPTH", 400, "No orders on book for symbol.", _A.BUSINESS),
        _spec(-1114, "TIF_NOT_REQUIRED", 400, "TimeInForce parameter sent when not required.", _A.FIX_REQUEST),
        _spec(-1115, "INVALID_TIF", 400, "Invalid timeInForce.", _A.FIX_REQUEST),
        _spec(-1116, "INVALID_ORDER_TYPE", 400, "Invalid orderType.", _A.FIX_REQUEST),
        _spec(-1117, "INVALID_SIDE", 400, "Invalid side.", _A.FIX_REQUEST),
        _spec(-1118, "EMPTY_NEW_CL_ORD_ID", 400, "New client order ID was empty.", _A.FIX_REQUEST),
        _spec(-1119, "EMPTY_ORG_CL_ORD_ID", 400, "Original client order ID was empty.", _A.FIX_REQUEST),
        _spec(-1120, "BAD_INTERVAL", 400, "Invalid interval.", _A.FIX_REQUEST),
        _spec(-1121, "BAD_SYMBOL", 400, "Invalid symbol.", _A.FIX_REQUEST),
        _spec(-1125, "INVALID_LISTEN_KEY", 400, "This listenKey does not exist.", _A.FIX_REQUEST),
        _spec(-1127, "MORE_THAN_XX_HOURS", 400, "Lookup interval is too big.", _A.FIX_REQUEST),
        _spec(-1128, "OPTIONAL_PARAMS_BAD_COMBO", 400, "Combination of optional parameters invalid.",
              _A.FIX_REQUEST),
        _spec(-1130, "INVALID_PARAMETER", 400, "Invalid data sent for a parameter.", _A.FIX_REQUEST),
        _spec(-1131, "BAD_RECV_WINDOW", 400, "'recvWindow' must be less than 60000.", _A.FIX_REQUEST),
        _spec(-1194, "INVALID_TIME_UNIT", 400,
              "Invalid value for time unit; expected either MICROSECOND or MILLISECOND.", _A.FIX_REQUEST),
        _spec(-2010, "NEW_ORDER_REJECTED", 400, "New order rejected.", _A.BUSINESS),
        _spec(-2011, "CANCEL_REJECTED", 400, "Unknown order sent.", _A.BUSINESS),
        _spec(-2013, "NO_SUCH_ORDER", 400, "Order does not exist.", _A.BUSINESS),
        _spec(-2014, "BAD_API_KEY_FMT", 401, "API-key format invalid.", _A.REAUTHENTICATE),
        _spec(-2015, "REJECTED_MBX_KEY", 401, "Invalid API-key, IP, or permissions for action.",
              _A.REAUTHENTICATE),
        _spec(-2026, "ORDER_ARCHIVED", 400,
              "Order was canceled or expired with no executed qty over 90 days ago and has been archived.",
              _A.BUSINESS),
    )
}

# Variants of the generic messages that Binance fills with parameter names or values.
MSG_MANDATORY_PARAM = "Mandatory parameter '%s' was not sent, was empty/null, or malformed."
MSG_EITHER_PARAM = "Param '%s' or '%s' must be sent, but both were empty/null!"
MSG_NOT_GREATER = "'%s' contains unexpected value. Cannot be greater than %s."
MSG_ILLEGAL_PARAM = "Illegal characters found in parameter '%s'; legal range is '%s'."
MSG_DUPLICATE_PARAM = "Duplicate values for a parameter detected."
MSG_PARAM_EMPTY = "Parameter '%s' was empty."
MSG_INVALID_PARAM_DATA = "Data sent for parameter '%s' is not valid."
MSG_TIMESTAMP_AHEAD = "Timestamp for this request was 1000ms ahead of the server's time."
MSG_WEIGHT_LIMIT = (
    "Too much request weight used; current limit is %s request weight per %s. "
    "Please use WebSocket Streams for live updates to avoid polling the API."
)
MSG_IP_BANNED = (
    "Way too much request weight used; IP banned until %s. "
    "Please use WebSocket Streams for live updates to avoid bans."
)
MSG_ORDER_LIMIT = "Too many new orders; current limit is %s orders per %s."
MSG_RAW_LIMIT = "Too many requests; current limit is %s requests per %s."


class BinanceError(Exception):
    """A rejection in Binance's wire form: ``{"code": code, "msg": msg}`` with an HTTP status.

    Raised by the server's request pipeline and rendered at the edge; the SDK raises subclasses.
    It never carries request values beyond what Binance itself echoes (parameter names, limits).
    """

    def __init__(self, code: int, msg: str | None = None, *, http_status: int | None = None,
                 headers: dict[str, str] | None = None) -> None:
        spec = ERRORS.get(code)
        self.code = code
        self.msg = msg if msg is not None else (spec.message if spec else "Unknown error.")
        self.http_status = http_status or (spec.http_status if spec else 400)
        self.headers = headers or {}
        super().__init__(f"{self.code}: {self.msg}")

    @classmethod
    def format(cls, code: int, template: str, *args: object, **kw) -> BinanceError:
        return cls(code, template % args, **kw)

    @property
    def action(self) -> Action:
        spec = ERRORS.get(self.code)
        return spec.action if spec else Action.FIX_REQUEST

    def to_wire(self) -> dict[str, object]:
        return {"code": self.code, "msg": self.msg}


def mandatory(name: str) -> BinanceError:
    return BinanceError.format(-1102, MSG_MANDATORY_PARAM, name)


def illegal(name: str, legal_range: str) -> BinanceError:
    return BinanceError.format(-1100, MSG_ILLEGAL_PARAM, name, legal_range)
