"""The parsed request a handler sees, with Binance's parameter rules and error messages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import unquote_to_bytes

from minance.domain.errors import BinanceError, Err, illegal, mandatory
from minance.keys.model import ApiKey
from minance.keys.verify import DECIMAL_RANGE, INT_RANGE

MAX_PARAMS = 64
MAX_QUERY_BYTES = 16 * 1024
MAX_BODY_BYTES = 64 * 1024

_NAME_RE = re.compile(r"[A-Za-z0-9_]{1,64}")
_INT_RE = re.compile(r"[0-9]{1,20}")
_DECIMAL_RE = re.compile(r"[0-9]{1,20}(\.[0-9]{1,20})?")


def _parse_pairs(raw: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    if not raw:
        return out
    for pair in raw.split(b"&"):
        if not pair:
            continue
        name_b, _, value_b = pair.partition(b"=")
        try:
            name = unquote_to_bytes(name_b.replace(b"+", b" ")).decode("utf-8")
            value = unquote_to_bytes(value_b.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            raise Err.ILLEGAL_CHARS() from None
        if not _NAME_RE.fullmatch(name):
            raise Err.ILLEGAL_CHARS()
        if name in out:
            raise Err.DUPLICATE_PARAM()
        out[name] = value
    return out


def parse_params(raw_query: bytes, raw_body: bytes) -> dict[str, str]:
    """Query string and form body merged; on a clash the query string wins (Binance's rule)."""
    if len(raw_query) > MAX_QUERY_BYTES or len(raw_body) > MAX_BODY_BYTES:
        raise Err.TOO_MANY_PARAMETERS()
    params = _parse_pairs(raw_body)
    params.update(_parse_pairs(raw_query))
    if len(params) > MAX_PARAMS:
        raise Err.TOO_MANY_PARAMETERS()
    return params


@dataclass(slots=True)
class Request:
    method: str
    path: str
    ip: str
    headers: dict[str, str]
    raw_query: bytes
    raw_body: bytes
    params: dict[str, str]
    time_unit_us: bool = False
    key: ApiKey | None = None
    extra: dict = field(default_factory=dict)

    # -- typed parameter access with Binance's messages ----------------------------------------
    def text(self, name: str, *, required: bool = False, default: str | None = None) -> str | None:
        value = self.params.get(name)
        if value is None or value == "":
            if required:
                raise mandatory(name)
            return default
        return value

    def integer(self, name: str, *, required: bool = False, default: int | None = None,
                maximum: int | None = None) -> int | None:
        value = self.text(name, required=required)
        if value is None:
            return default
        if not _INT_RE.fullmatch(value):
            raise illegal(name, INT_RANGE)
        number = int(value)
        if maximum is not None and number > maximum:
            raise Err.NOT_GREATER(name=name, maximum=maximum)
        return number

    def decimal(self, name: str, *, required: bool = False) -> Decimal | None:
        value = self.text(name, required=required)
        if value is None:
            return None
        if not _DECIMAL_RE.fullmatch(value):
            raise illegal(name, DECIMAL_RANGE)
        return Decimal(value)

    def boolean(self, name: str, *, default: bool = False) -> bool:
        value = self.text(name)
        if value is None:
            return default
        lowered = value.lower()
        if lowered not in ("true", "false"):
            raise Err.INVALID_PARAM_DATA(name=name)
        return lowered == "true"

    def enum(self, name: str, allowed: tuple[str, ...], error_code: int, *, required: bool = False,
             default: str | None = None) -> str | None:
        value = self.text(name, required=required)
        if value is None:
            return default
        if value not in allowed:
            raise BinanceError.of(error_code)
        return value

    def time(self, ms: int | None) -> int | None:
        """A time field in the unit the client asked for with X-MBX-TIME-UNIT."""
        if ms is None:
            return None
        return ms * 1000 if self.time_unit_us else ms


class BodyTooLarge(Exception):
    """A request body over the route's limit."""


class ClientGone(Exception):
    """The client disconnected (or the connection guard closed it) before its body was complete."""


async def read_body(receive, limit: int) -> bytes:
    """The whole request body, for every route (API, admin, console): past ``limit`` → :class:`BodyTooLarge`; a
    body that ends in a disconnect → :class:`ClientGone` (half a body is not the request the client meant: it is
    never executed)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
