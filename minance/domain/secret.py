"""Secret text and masked key ids: shared by the exchange (keys/) and the user side (vault/, client/)."""

from __future__ import annotations


class Secret:
    """Holds secret text; prints as asterisks so it cannot leak through repr, logs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self):  # never pickled into a log or a cache by accident
        raise TypeError("a Secret cannot be pickled")


def mask_key(api_key: str) -> str:
    """A key id shortened for logs and listings: enough to recognise, not enough to use."""
    clean = "".join(ch for ch in api_key[:64] if ch.isascii() and ch.isalnum())
    if len(clean) <= 10:
        return clean[:2] + "…"
    return f"{clean[:6]}…{clean[-4:]}"
