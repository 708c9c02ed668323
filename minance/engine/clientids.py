"""Deterministic client order ids that look like Binance's generated ones (22 base62-looking characters).

The n-th id is a bijective 128-bit mix of ``n`` (multiply by an odd constant, add another), so ids are
distinct, look random and come out the same on every replay. base64 with ``+``/``/`` mapped to letters
keeps them alphanumeric; that mapping can in theory collide, which the exchange guards by skipping an id
already used by an open order.
"""

from __future__ import annotations

from binascii import b2a_base64

__all__ = ["generated_client_id"]

_MUL = 0x9E3779B97F4A7C15F39CC0605CEDC835  # odd: multiplication mod 2**128 is a bijection
_ADD = 0x2545F4914F6CDD1D6A09E667F3BCC908
_MASK = (1 << 128) - 1
_ALNUM = bytes.maketrans(b"+/", b"xZ")


def generated_client_id(seq: int) -> str:
    mixed = (seq * _MUL + _ADD) & _MASK
    return b2a_base64(mixed.to_bytes(16, "big"), newline=False)[:22].translate(_ALNUM).decode("ascii")
