"""Engine commands to bytes and back, for the journal: compact JSON with exact decimals.

``encode`` either renders the whole command or raises ``Unencodable`` (an integer past 64 bits, a string that
is not UTF-8): the venue encodes before the engine sees a command, so such a command changes nothing.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any

import orjson

from minance.engine import commands as _commands


@cache
def _field_defaults(cls: type) -> tuple[tuple[str, Any], ...]:
    return tuple((f.name, f.default) for f in dataclasses.fields(cls))


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {}
        for name, default in _field_defaults(type(value)):  # defaults are left out: shorter records
            field_value = getattr(value, name)
            if default is dataclasses.MISSING or field_value != default:
                out[name] = _plain(field_value)
        return out
    return value


class Unencodable(ValueError):
    """The command cannot be journalled as it is."""


def encode(command: Any) -> bytes:
    try:
        return orjson.dumps({"t": type(command).__name__, "f": _plain(command)})
    except orjson.JSONEncodeError as exc:
        raise Unencodable(f"{type(command).__name__}: {exc}") from None


@cache
def _classes() -> dict[str, type]:
    return {name: obj for name in _commands.__all__
            if dataclasses.is_dataclass(obj := getattr(_commands, name)) and isinstance(obj, type)}


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _revive(annotation: Any, value: Any) -> Any:
    if value is None:
        return None
    options = typing.get_args(annotation) if isinstance(annotation, types.UnionType) or \
        typing.get_origin(annotation) is typing.Union else (annotation,)
    for option in options:
        if option is Decimal:
            return Decimal(value)
        if isinstance(option, type) and dataclasses.is_dataclass(option):
            return _build(option, value)
        if isinstance(option, type) and issubclass(option, Enum):
            try:
                return option(value)
            except ValueError:
                return value  # journalled as given: the engine judges it on replay exactly as it did live
    return value


def _build(cls: type, fields: dict[str, Any]) -> Any:
    hints = _hints(cls)
    return cls(**{name: _revive(hints[name], value) for name, value in fields.items()})


def decode(payload: bytes) -> Any:
    data = orjson.loads(payload)
    return _build(_classes()[data["t"]], data["f"])
