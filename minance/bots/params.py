"""Declared strategy parameters: ``Param`` descriptors with a type, a default and a help line.

A strategy declares ``quote = Param(Decimal, "25", "quote amount per buy")``; the runner validates ``--param
k=v`` against the declarations (unknown name or a value that does not parse → :class:`ParamError`, before
anything is sent) and the strategy reads ``self.quote`` as a typed value.
"""

from __future__ import annotations

import builtins
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from minance.bots.errors import ParamError

__all__ = ["REQUIRED", "Duration", "Param", "Symbols", "parse_duration", "parse_value"]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()

_DURATION = re.compile(r"(\d+)(ms|s|m|h|d|w)")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}


class Duration(int):
    """Milliseconds, written as ``500ms``, ``30s``, ``5m``, ``4h``, ``1d``, ``1w`` or combined (``1h30m``)."""


class Symbols(tuple):
    """A comma-separated list of symbols or assets, upper-cased (``USDT,BTC,ETH``)."""


def parse_duration(text: str) -> int:
    text = text.strip().lower()
    pos, total = 0, 0
    for match in _DURATION.finditer(text):
        if match.start() != pos:
            break
        total += int(match.group(1)) * _UNIT_MS[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text or total <= 0:
        raise ValueError(f"not a duration: {text!r} (use e.g. 30s, 5m, 4h, 1d)")
    return total


def parse_value(kind: type, raw: Any) -> Any:
    """``raw`` (a string from the command line, or an already typed value from Python) as ``kind``."""
    if kind is Duration:
        return Duration(raw if isinstance(raw, int) and not isinstance(raw, bool) else parse_duration(str(raw)))
    if kind is Symbols:
        items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
        return Symbols(s.strip().upper() for s in items if str(s).strip())
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"not a boolean: {raw!r} (use true or false)")
    if kind is Decimal:
        if isinstance(raw, float):
            raise ValueError("give money as a string or Decimal, not a float")
        try:
            value = Decimal(str(raw).strip())
        except InvalidOperation:
            raise ValueError(f"not a number: {raw!r}") from None
        if not value.is_finite():
            raise ValueError(f"not a finite number: {raw!r}")
        return value
    if kind is int:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        text = str(raw).strip()
        if not re.fullmatch(r"[+-]?\d+", text):
            raise ValueError(f"not an integer: {raw!r}")
        return int(text)
    if kind is str:
        return str(raw)
    return kind(raw)


@dataclass
class Param:
    """One declared parameter. ``type`` is str, int, Decimal, bool, Duration or Symbols; ``default`` may be
    given as text (``"25"``) and is parsed like a command-line value; ``choices`` restricts the values;
    ``min`` bounds numbers from below."""

    type: type = str
    default: Any = REQUIRED
    help: str = ""
    choices: tuple[Any, ...] | None = None
    min: Any = None
    name: str = ""

    def __set_name__(self, owner: builtins.type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: builtins.type | None = None) -> Any:
        if instance is None:
            return self
        try:
            return instance._param_values[self.name]
        except (AttributeError, KeyError):
            raise AttributeError(f"parameter {self.name!r} has no value yet (strategy not configured)") from None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def type_name(self) -> str:
        return {Decimal: "number", int: "integer", bool: "true|false", Duration: "duration", Symbols: "list",
                str: "text"}.get(self.type, self.type.__name__)

    def parse(self, raw: Any) -> Any:
        try:
            value = parse_value(self.type, raw)
        except (ValueError, TypeError) as exc:
            raise ParamError(f"--param {self.name}: {exc}") from None
        if self.choices is not None and value not in self.choices:
            raise ParamError(f"--param {self.name}: {raw!r} is not one of {', '.join(map(str, self.choices))}")
        if self.min is not None and value < parse_value(self.type, self.min):
            raise ParamError(f"--param {self.name}: {raw!r} is below the minimum {self.min}")
        return value

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type_name, "required": self.required,
                "default": None if self.required else str(self.default), "help": self.help,
                "choices": [str(c) for c in self.choices] if self.choices else None}
