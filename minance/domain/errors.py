"""The one table of Binance errors, shared by the server (to render) and the SDK (to raise).

Each entry of :class:`Err` carries Binance's numeric code, its HTTP status and a message (a template where
Binance fills in names or values). Call sites raise ``Err.NAME(**fields)``; no code or message is written
anywhere else (a test scans the package). The ``action`` groups errors by what a caller should do about
them, which is how the SDK's exception tree is organised.
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
    """One message of one Binance code. ``message`` is a ``str.format`` template: ``{name}`` placeholders are
    filled by calling the spec (``Err.MANDATORY_PARAM(name="symbol")``), literal braces are doubled."""

    code: int
    http_status: int
    message: str
    action: Action
    name: str = ""  # the attribute name in :class:`Err`, set when the class is built

    def __set_name__(self, owner: type, name: str) -> None:
        object.__setattr__(self, "name", name)

    def __call__(self, *, http_status: int | None = None, headers: dict[str, str] | None = None,
                 **fmt: object) -> BinanceError:
        """The error to raise, its message filled with ``fmt`` (every placeholder must be given)."""
        return BinanceError(self.code, self.message.format(**fmt), http_status=http_status or self.http_status,
                            headers=headers)


_A = Action
_FIX, _BIZ, _RETRY, _AUTH, _STOP = _A.FIX_REQUEST, _A.BUSINESS, _A.RETRY, _A.REAUTHENTICATE, _A.STOP


def _e(code: int, status: int, message: str, action: Action) -> ErrorSpec:
    return ErrorSpec(code, status, message, action)


class Err:
    """Every error the server answers, by name. The first entry of a code is its canonical message and carries
    Binance's name for the code; later entries are the variants Binance sends under the same code."""

    # 10xx: general server or network issues
    UNKNOWN = _e(-1000, 500, "An unknown error occurred while processing the request.", _RETRY)
    UNKNOWN_PATH = _e(-1000, 404, "Path {path}, Method: {method} is invalid", _FIX)
    UNKNOWN_WS_PATH = _e(-1000, 404, "Path {path} is invalid", _FIX)
    DISCONNECTED = _e(-1001, 500, "Internal error; unable to process your request. Please try again.", _RETRY)
    UNAUTHORIZED = _e(-1002, 401, "You are not authorized to execute this request.", _STOP)
    TOO_MANY_REQUESTS = _e(-1003, 429, "Too many requests queued.", _RETRY)
    RAW_REQUEST_LIMIT = _e(-1003, 429, "Too many requests; current limit is {limit} requests per {per}.", _RETRY)
    WEIGHT_LIMIT = _e(-1003, 429, "Too much request weight used; current limit is {limit} request weight per "
                      "{per}. Please use WebSocket Streams for live updates to avoid polling the API.", _RETRY)
    IP_BANNED = _e(-1003, 418, "Way too much request weight used; IP banned until {until}. "
                   "Please use WebSocket Streams for live updates to avoid bans.", _STOP)
    WS_CONNECTION_LIMIT = _e(-1003, 429, "Too many connection attempts; current limit is {limit} per {per}.",
                             _RETRY)
    CONNECTION_LIMIT = _e(-1003, 429, "Too many connections from this IP; current limit is {limit}.", _RETRY)
    TIMEOUT = _e(-1007, 408, "Timeout waiting for response from backend server. Send status unknown; "
                 "execution status unknown.", _RETRY)
    INVALID_MESSAGE = _e(-1013, 400, "Invalid message.", _FIX)
    FILTER_FAILURE = _e(-1013, 400, "Filter failure: {filter}", _FIX)
    STP_MODE_NOT_ALLOWED = _e(-1013, 400, "This symbol does not allow the specified self-trade prevention mode.",
                              _FIX)
    UNKNOWN_ORDER_COMPOSITION = _e(-1014, 400, "Unsupported order combination.", _FIX)
    UNSUPPORTED_OPERATION = _e(-1020, 400, "This operation is not supported.", _FIX)
    TOO_MANY_ORDERS = _e(-1015, 429, "Too many new orders.", _RETRY)
    ORDER_LIMIT = _e(-1015, 429, "Too many new orders; current limit is {limit} orders per {per}.", _RETRY)
    INVALID_TIMESTAMP = _e(-1021, 400, "Timestamp for this request is outside of the recvWindow.", _AUTH)
    TIMESTAMP_AHEAD = _e(-1021, 400, "Timestamp for this request was 1000ms ahead of the server's time.", _AUTH)
    INVALID_SIGNATURE = _e(-1022, 400, "Signature for this request is not valid.", _AUTH)

    # 11xx - 2xxx: request issues
    ILLEGAL_CHARS = _e(-1100, 400, "Illegal characters found in a parameter.", _FIX)
    ILLEGAL_PARAM = _e(-1100, 400, "Illegal characters found in parameter '{name}'; legal range is '{range}'.",
                       _FIX)
    TOO_MANY_PARAMETERS = _e(-1101, 400, "Too many parameters sent for this endpoint.", _FIX)
    DUPLICATE_PARAM = _e(-1101, 400, "Duplicate values for a parameter detected.", _FIX)
    TOO_MANY_SYMBOLS = _e(-1101, 400, "Too many symbols; maximum allowed is {maximum}.", _FIX)
    MANDATORY_PARAM_EMPTY_OR_MALFORMED = _e(
        -1102, 400, "A mandatory parameter was not sent, was empty/null, or malformed.", _FIX)
    MANDATORY_PARAM = _e(-1102, 400, "Mandatory parameter '{name}' was not sent, was empty/null, or malformed.",
                         _FIX)
    EITHER_PARAM = _e(-1102, 400, "Param '{first}' or '{second}' must be sent, but both were empty/null!", _FIX)
    NOT_GREATER = _e(-1102, 400, "'{name}' contains unexpected value. Cannot be greater than {maximum}.", _FIX)
    UNKNOWN_PARAM = _e(-1103, 400, "An unknown parameter was sent.", _FIX)
    UNREAD_PARAMETERS = _e(-1104, 400, "Not all sent parameters were read.", _FIX)
    PARAM_EMPTY = _e(-1105, 400, "A parameter was empty.", _FIX)
    PARAM_EMPTY_NAMED = _e(-1105, 400, "Parameter '{name}' was empty.", _FIX)
    PARAM_NOT_REQUIRED = _e(-1106, 400, "A parameter was sent when not required.", _FIX)
    PARAM_SENT_NOT_REQUIRED = _e(-1106, 400, "Parameter '{name}' sent when not required.", _FIX)
    BAD_PRECISION = _e(-1111, 400, "Precision is over the maximum defined for this asset.", _FIX)
    TOO_MUCH_PRECISION = _e(-1111, 400, "Parameter '{name}' has too much precision.", _FIX)
    NO_DEPTH = _e(-1112, 400, "No orders on book for symbol.", _BIZ)
    TIF_NOT_REQUIRED = _e(-1114, 400, "TimeInForce parameter sent when not required.", _FIX)
    INVALID_TIF = _e(-1115, 400, "Invalid timeInForce.", _FIX)
    INVALID_ORDER_TYPE = _e(-1116, 400, "Invalid orderType.", _FIX)
    INVALID_SIDE = _e(-1117, 400, "Invalid side.", _FIX)
    EMPTY_NEW_CL_ORD_ID = _e(-1118, 400, "New client order ID was empty.", _FIX)
    EMPTY_ORG_CL_ORD_ID = _e(-1119, 400, "Original client order ID was empty.", _FIX)
    BAD_INTERVAL = _e(-1120, 400, "Invalid interval.", _FIX)
    BAD_SYMBOL = _e(-1121, 400, "Invalid symbol.", _FIX)
    INVALID_SYMBOLSTATUS = _e(-1122, 400, "Invalid symbolStatus.", _FIX)
    INVALID_LISTEN_KEY = _e(-1125, 400, "This listenKey does not exist.", _FIX)
    MORE_THAN_XX_HOURS = _e(-1127, 400, "Lookup interval is too big.", _FIX)
    MORE_THAN_HOURS = _e(-1127, 400, "More than {hours} hours between startTime and endTime.", _FIX)
    OPTIONAL_PARAMS_BAD_COMBO = _e(-1128, 400, "Combination of optional parameters invalid.", _FIX)
    INVALID_PARAMETER = _e(-1130, 400, "Invalid data sent for a parameter.", _FIX)
    INVALID_PARAM_DATA = _e(-1130, 400, "Data sent for parameter '{name}' is not valid.", _FIX)
    BAD_RECV_WINDOW = _e(-1131, 400, "'recvWindow' must be less than 60000.", _FIX)
    BAD_STRATEGY_TYPE = _e(-1134, 400, "strategyType was less than 1000000.", _FIX)
    INVALID_JSON = _e(-1135, 400, "Invalid JSON Request", _FIX)
    INVALID_REQUEST_ID = _e(-1135, 400, "Invalid 'id' in JSON request; expected an integer, a string matching "
                            "'^[a-zA-Z0-9-_]{{1,36}}$', or null.", _FIX)
    INVALID_TICKER_TYPE = _e(-1139, 400, "Invalid ticker type.", _FIX)
    INVALID_CANCEL_RESTRICTIONS = _e(-1145, 400, "cancelRestrictions has to be either ONLY_NEW or "
                                     "ONLY_PARTIALLY_FILLED.", _FIX)
    DUPLICATE_SYMBOLS = _e(-1151, 400, "Symbol is present multiple times in the list.", _FIX)
    OCO_ORDER_TYPE_REJECTED = _e(-1158, 400, "Order type not supported in OCO.", _FIX)
    BUY_OCO_LIMIT_MUST_BE_BELOW = _e(-1165, 400, "A limit order in a buy OCO must be below.", _FIX)
    SELL_OCO_LIMIT_MUST_BE_ABOVE = _e(-1166, 400, "A limit order in a sell OCO must be above.", _FIX)
    BOTH_OCO_ORDERS_CANNOT_BE_LIMIT = _e(-1168, 400, "At least one OCO order must be contingent.", _FIX)
    TOO_MANY_SUBSCRIPTIONS = _e(-1191, 400, "Too many subscriptions. Connection may create up to '{maximum}' "
                                "subscriptions at a time.", _FIX)
    INVALID_TIME_UNIT = _e(-1194, 400, "Invalid value for time unit; expected either MICROSECOND or MILLISECOND.",
                           _FIX)
    BUY_OCO_STOP_LOSS_MUST_BE_ABOVE = _e(-1196, 400, "A stop loss order in a buy OCO must be above.", _FIX)
    SELL_OCO_STOP_LOSS_MUST_BE_BELOW = _e(-1197, 400, "A stop loss order in a sell OCO must be below.", _FIX)
    BUY_OCO_TAKE_PROFIT_MUST_BE_BELOW = _e(-1198, 400, "A take profit order in a buy OCO must be below.", _FIX)
    SELL_OCO_TAKE_PROFIT_MUST_BE_ABOVE = _e(-1199, 400, "A take profit order in a sell OCO must be above.", _FIX)
    SYMBOL_DOES_NOT_MATCH_STATUS = _e(-1220, 400, "The symbol's status does not match the requested symbolStatus.",
                                      _FIX)

    # 20xx: the matching engine declined (the request was valid)
    NEW_ORDER_REJECTED = _e(-2010, 400, "New order rejected.", _BIZ)
    INSUFFICIENT_BALANCE = _e(-2010, 400, "Account has insufficient balance for requested action.", _BIZ)
    DUPLICATE_ORDER = _e(-2010, 400, "Duplicate order sent.", _BIZ)
    WOULD_TAKE = _e(-2010, 400, "Order would immediately match and take.", _BIZ)
    WOULD_TRIGGER = _e(-2010, 400, "Order would trigger immediately.", _BIZ)
    OCO_PRICES = _e(-2010, 400, "The relationship of the prices for the orders is not correct.", _BIZ)
    NOT_SUPPORTED_FOR_SYMBOL = _e(-2010, 400, "{kind} orders are not supported for this symbol.", _BIZ)
    SYMBOL_NOT_PERMITTED = _e(-2010, 400, "This symbol is not permitted for this account.", _BIZ)
    CANCEL_REJECTED = _e(-2011, 400, "Unknown order sent.", _BIZ)
    CANCEL_RESTRICTED = _e(-2011, 400, "Order was not canceled due to cancel restrictions.", _BIZ)
    NO_SUCH_ORDER_LIST = _e(-2011, 400, "Order list does not exist.", _BIZ)
    NO_SUCH_ORDER = _e(-2013, 400, "Order does not exist.", _BIZ)
    BAD_API_KEY_FMT = _e(-2014, 401, "API-key format invalid.", _AUTH)
    REJECTED_MBX_KEY = _e(-2015, 401, "Invalid API-key, IP, or permissions for action.", _AUTH)
    CANCEL_REPLACE_PARTIALLY_FAILED = _e(-2021, 409, "Order cancel-replace partially failed.", _BIZ)
    CANCEL_REPLACE_FAILED = _e(-2022, 400, "Order cancel-replace failed.", _BIZ)
    ORDER_ARCHIVED = _e(-2026, 400, "Order was canceled or expired with no executed qty over 90 days ago and has "
                        "been archived.", _BIZ)
    SUBSCRIPTION_ACTIVE = _e(-2035, 400, "User Data Stream subscription already active.", _FIX)
    SUBSCRIPTION_INACTIVE = _e(-2036, 400, "User Data Stream subscription not active.", _FIX)
    MAX_SUBSCRIPTION_ID = _e(-2042, 400, "Maximum subscription ID reached for this connection.", _FIX)

    # minance's own admin API (/admin, token-protected) answers in the same form
    ADMIN_BAD_REQUEST = _e(-1130, 400, "Invalid data sent in the admin request.", _FIX)
    ADMIN_INVALID = _e(-1130, 400, "{reason}", _FIX)
    ADMIN_BODY_NOT_OBJECT = _e(-1100, 400, "The admin API takes a JSON object body.", _FIX)
    ADMIN_BODY_TOO_LARGE = _e(-1101, 400, "Request body too large.", _FIX)
    ADMIN_NOT_FOUND = _e(-1000, 404, "{what} not found.", _FIX)  # e.g. a backtest report id not in the index
    # the web console's session cookie on the admin API (server/console)
    CONSOLE_SIGNED_OUT = _e(-1002, 401, "The console session has ended: sign in again.", _STOP)
    CONSOLE_CROSS_SITE = _e(-1002, 403, "Cross-site requests are refused.", _STOP)
    CONSOLE_CSRF = _e(-1002, 403, "Missing or wrong CSRF token (X-CSRF-Token).", _STOP)

    # 40xx: wallet (/sapi/v1/capital)
    ADDRESS_INVALID = _e(-4007, 400, "Address validation is not passed.", _FIX)
    ASSET_NOT_SUPPORTED = _e(-4018, 400, "We don't have this asset.", _FIX)
    WITHDRAW_BELOW_MINIMUM = _e(-4022, 400, "Not less than the minimum pick-up quantity {minimum}.", _FIX)
    WITHDRAW_INSUFFICIENT_BALANCE = _e(-4026, 400, "You have insufficient balance.", _BIZ)
    WITHDRAW_NOT_ABOVE_FEE = _e(-4028, 400, "The amount of withdrawal must be greater than the Commission.", _FIX)
    HISTORY_WINDOW = _e(-4047, 400, "Time interval must be within 0-90 days", _FIX)


SPECS: tuple[ErrorSpec, ...] = tuple(v for v in vars(Err).values() if isinstance(v, ErrorSpec))
# The canonical spec of each code (its first entry): what an answer with that code means, for the SDK.
ERRORS: dict[int, ErrorSpec] = {}
for _spec in SPECS:
    ERRORS.setdefault(_spec.code, _spec)
del _spec


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
    def of(cls, code: int, **fmt: object) -> BinanceError:
        """The canonical error of ``code`` (for codes chosen at run time; a fixed error is ``Err.NAME()``)."""
        return ERRORS[code](http_status=None, headers=None, **fmt)

    @property
    def action(self) -> Action:
        spec = ERRORS.get(self.code)
        return spec.action if spec else Action.FIX_REQUEST

    def to_wire(self) -> dict[str, object]:
        return {"code": self.code, "msg": self.msg}


def mandatory(name: str) -> BinanceError:
    return Err.MANDATORY_PARAM(name=name)


def illegal(name: str, legal_range: str) -> BinanceError:
    return Err.ILLEGAL_PARAM(name=name, range=legal_range)
