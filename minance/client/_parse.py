"""From Binance JSON to frozen dataclasses: camelCase keys, amounts as :class:`~decimal.Decimal`.

A model is a frozen dataclass deriving :class:`Model`. Each field reads the JSON key named by its
``wire`` metadata, else the camelCase of its name; its annotation says how to convert the value
(``Decimal``, ``int``, ``bool``, ``str``, a nested model, ``tuple[Model, ...]``, ``X | None``).
Fields with a default may be absent (Binance omits conditional fields). The whole JSON object stays
in ``raw`` for fields the model does not name.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Self

from minance.client.errors import ResponseFormatError

__all__ = ["Model", "camel", "wire"]


def wire(name: str, **kw: Any) -> Any:
    """A field read from the JSON key ``name`` (when it is not the camelCase of the field's name)."""
    return dataclasses.field(metadata={"wire": name}, **kw)


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("not an amount")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None


def _converter(tp: Any) -> Callable[[Any], Any]:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [a for a in typing.get_args(tp) if a is not type(None)]
        convert = _converter(inner)
        return lambda v: None if v is None else convert(v)
    if origin is tuple:
        item = _converter(typing.get_args(tp)[0])
        return lambda v: tuple(item(x) for x in v)
    if origin in (dict, Mapping) or tp is Any:
        return lambda v: v
    if isinstance(tp, type) and issubclass(tp, Model):
        return tp.from_json
    if tp is Decimal:
        return _decimal
    if tp is bool:
        return lambda v: v if isinstance(v, bool) else str(v).lower() == "true"
    if tp is int:
        return int
    if tp is str:
        return str
    raise TypeError(f"no converter for {tp!r}")


@functools.cache
def _plan(cls: type) -> tuple[tuple[str, str, Callable[[Any], Any], bool], ...]:
    hints = typing.get_type_hints(cls)
    plan = []
    for f in dataclasses.fields(cls):
        if f.name == "raw":
            continue
        has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        plan.append((f.name, f.metadata.get("wire", camel(f.name)), _converter(hints[f.name]), has_default))
    return tuple(plan)


@dataclasses.dataclass(frozen=True, slots=True)
class Model:
    """Base of the SDK's result types."""

    @classmethod
    def from_json(cls, data: Any) -> Self:
        if not isinstance(data, Mapping):
            raise ResponseFormatError(f"{cls.__name__}: expected a JSON object, got {type(data).__name__}")
        values: dict[str, Any] = {}
        model: type = cls  # the cache keys on the class; mypy does not see type[Self] as Hashable
        for name, key, convert, optional in _plan(model):
            if key not in data:
                if optional:
                    continue
                raise ResponseFormatError(f"{cls.__name__}: the answer has no {key!r}")
            try:
                values[name] = convert(data[key])
            except (TypeError, ValueError) as exc:
                raise ResponseFormatError(f"{cls.__name__}.{key}: {exc}") from None
        if any(f.name == "raw" for f in dataclasses.fields(cls)):
            values["raw"] = dict(data)
        return cls(**values)
