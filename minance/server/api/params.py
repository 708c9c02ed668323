"""Parameter helpers shared by the handlers: symbols, limits, time windows and X-MBX-TIME-UNIT rendering.

Each raises the exact error Binance answers for the same mistake.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from minance.domain.errors import BinanceError, Err, illegal
from minance.domain.symbols import DEFAULT_SYMBOLS
from minance.server.request import Request

SYMBOL_RANGE = "^[A-Z0-9-_.]{1,20}$"
SYMBOLS_RANGE = '^\\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\\]$'
_SYMBOL_RE = re.compile(r"[A-Z0-9\-_.]{1,20}")
SYMBOL_STATUSES = ("TRADING", "HALT", "BREAK")
DAY_MS = 24 * 3600 * 1000


def invalid(name: str) -> BinanceError:
    """-1130 "Data sent for parameter '<name>' is not valid."."""
    return Err.INVALID_PARAM_DATA(name=name)


def bad_combo() -> BinanceError:
    return Err.OPTIONAL_PARAMS_BAD_COMBO()


def check_symbol(symbol: str) -> str:
    if not _SYMBOL_RE.fullmatch(symbol):
        raise illegal("symbol", SYMBOL_RANGE)
    if symbol not in DEFAULT_SYMBOLS:
        raise Err.BAD_SYMBOL()
    return symbol


def symbol(req: Request, *, required: bool = True, name: str = "symbol") -> str | None:
    """A known symbol: malformed → -1100, unknown → -1121."""
    value = req.text(name, required=required)
    return None if value is None else check_symbol(value)


def symbols_list(req: Request) -> list[str] | None:
    """``symbols`` as Binance takes it: a JSON array of names (ccxt sends it percent-encoded)."""
    raw = req.text("symbols")
    if raw is None:
        return None
    try:
        parsed = json.loads(raw)
    except ValueError:
        raise illegal("symbols", SYMBOLS_RANGE) from None
    if not isinstance(parsed, list) or not all(isinstance(s, str) and _SYMBOL_RE.fullmatch(s) for s in parsed):
        raise illegal("symbols", SYMBOLS_RANGE)
    if not parsed:
        raise invalid("symbols")
    if len(set(parsed)) != len(parsed):
        raise Err.DUPLICATE_SYMBOLS()
    for s in parsed:
        if s not in DEFAULT_SYMBOLS:
            raise Err.BAD_SYMBOL()
    return parsed


def one_or_many(req: Request) -> tuple[list[str] | None, bool]:
    """``symbol`` or ``symbols`` (not both): (the names or None for "all", whether one object is answered)."""
    one = req.text("symbol")
    many = req.text("symbols")
    if one is not None and many is not None:
        raise bad_combo()
    if one is not None:
        return [check_symbol(one)], True
    return symbols_list(req), False


def symbol_status(req: Request) -> str | None:
    value = req.text("symbolStatus")
    if value is not None and value not in SYMBOL_STATUSES:
        raise Err.INVALID_SYMBOLSTATUS()
    return value


def status_filter(names: list[str], single: bool, status: str | None) -> list[str]:
    """Every symbol here is TRADING: a single symbol that does not match is -1220, lists are filtered."""
    if status is None or status == "TRADING":
        return names
    if single:
        raise Err.SYMBOL_DOES_NOT_MATCH_STATUS()
    return []


def limit(req: Request, default: int, maximum: int, *, clamp: bool = True) -> int:
    """``limit``: below 1 → -1130; above ``maximum`` Binance Spot answers ``maximum`` items, no error (documented
    for depth, "the response will truncate"; aggTrades, trades, klines and the account lists behave alike), so
    peers may ask for more than a page (ccxt's fetchTrades sends ``limit=12000``). ``clamp=False`` rejects.
    Past 2^63-1 it is no number Binance takes: -1100 with the legal range, like every integer parameter."""
    value = long_int(req, "limit")
    if value is None:
        return default
    if value > maximum and clamp:
        return maximum
    if value < 1 or value > maximum:
        raise invalid("limit")
    return value


# Binance's integer parameters are Java longs: a value past them is an illegal parameter (-1100), never a 500,
# and never a number the journal cannot encode. Every integer a trading or query handler reads goes through here.
LONG_MAX = 2**63 - 1


def long_int(req: Request, name: str, *, minimum: int = 0, required: bool = False) -> int | None:
    """An integer parameter within ``minimum``…2^63-1; out of range → -1100 naming the legal range."""
    value = req.integer(name, required=required)
    if value is not None and not minimum <= value <= LONG_MAX:
        raise illegal(name, f"{minimum} - {LONG_MAX}")
    return value


def lenient_int(req: Request, name: str, default: int) -> int:
    """For weight functions, which run before validation: never raises."""
    value = req.params.get(name, "")
    return int(value) if value.isdigit() and len(value) < 19 else default


def time_window(req: Request, *, max_ms: int | None = DAY_MS) -> tuple[int | None, int | None]:
    """``startTime``/``endTime``; more than ``max_ms`` apart → -1127."""
    start = long_int(req, "startTime")
    end = long_int(req, "endTime")
    if start is not None and end is not None:
        if max_ms is not None and end - start > max_ms:
            raise Err.MORE_THAN_HOURS(hours=max_ms // 3_600_000)
    return start, end


def either(req: Request, first: str, second: str) -> None:
    """-1102 "Param 'a' or 'b' must be sent, but both were empty/null!" when neither is sent."""
    if req.text(first) is None and req.text(second) is None:
        raise Err.EITHER_PARAM(first=first, second=second)


# -- X-MBX-TIME-UNIT: MICROSECOND -------------------------------------------------------------------
TIME_KEYS = frozenset({"transactTime", "time", "updateTime", "workingTime", "transactionTime", "openTime",
                       "closeTime", "T", "serverTime", "trailingTime", "insertTime", "completeTime"})


def _to_us(value: Any, keys: Iterable[str]) -> Any:
    if isinstance(value, dict):
        return {k: (v * 1000 if k in keys and isinstance(v, int) and not isinstance(v, bool) and v > 0
                    else _to_us(v, keys)) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_us(v, keys) for v in value]
    return value


def timed(req: Request, body: Any) -> Any:
    """``body`` with its time fields in µs when the client asked for them (else unchanged)."""
    return _to_us(body, TIME_KEYS) if req.time_unit_us else body


def timed_rows(req: Request, rows: list[list]) -> list[list]:
    """Kline rows: open time [0] and close time [6] in µs when asked."""
    if not req.time_unit_us:
        return rows
    return [[r[0] * 1000, *r[1:6], r[6] * 1000 + 999, *r[7:]] for r in rows]
