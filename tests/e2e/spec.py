"""What Binance answers, written down independently of the server code (REFERENCE.md §1-§4)."""

from __future__ import annotations

from decimal import Decimal

ACCOUNT = "/api/v3/account"
RESTRICTIONS = "/sapi/v1/account/apiRestrictions"
ORDER_TEST = "/api/v3/order/test"
PING = "/api/v3/ping"

# The deposits the ``account`` fixture makes.
DEPOSITS = {"BTC": Decimal("1"), "USDT": Decimal("10000")}

ORDER = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.001",
         "price": "50000"}

THIRTY_DAYS_MS = 30 * 24 * 3600 * 1000

BAD_SIGNATURE = "Signature for this request is not valid."
OUTSIDE_RECV_WINDOW = "Timestamp for this request is outside of the recvWindow."
AHEAD_OF_SERVER = "Timestamp for this request was 1000ms ahead of the server's time."
BAD_KEY_FORMAT = "API-key format invalid."
REJECTED_KEY = "Invalid API-key, IP, or permissions for action."
ILLEGAL_TIMESTAMP = "Illegal characters found in parameter 'timestamp'; legal range is '^[0-9]{1,20}$'."
DUPLICATE_PARAM = "Duplicate values for a parameter detected."
BAD_RECV_WINDOW = "'recvWindow' must be less than 60000."
BAD_TIME_UNIT = "Invalid value for time unit; expected either MICROSECOND or MILLISECOND."
SYMBOL_NOT_PERMITTED = "This symbol is not permitted for this account."
UNAUTHORIZED = "You are not authorized to execute this request."
WEIGHT_LIMIT = ("Too much request weight used; current limit is {} request weight per 1 MINUTE. "
                "Please use WebSocket Streams for live updates to avoid polling the API.")
IP_BANNED_PREFIX = "Way too much request weight used; IP banned until "


def mandatory(name: str) -> str:
    return f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."


def balances_of(rows: list[dict]) -> dict[str, Decimal]:
    """``balances`` of /api/v3/account as {asset: free}, checking nothing is locked."""
    out = {}
    for row in rows:
        assert Decimal(row["locked"]) == 0, row
        out[row["asset"]] = Decimal(row["free"])
    return out
