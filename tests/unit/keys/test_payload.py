"""The signed payload is the raw bytes received, minus the signature pair."""

from __future__ import annotations

import pytest

from minance.domain.errors import BinanceError
from minance.keys.verify import extract_signed_payload


def test_signature_stripped_from_query_end_start_and_middle():
    assert extract_signed_payload(b"a=1&b=2&signature=ff", b"").payload == b"a=1&b=2"
    assert extract_signed_payload(b"signature=ff&a=1", b"").payload == b"a=1"
    assert extract_signed_payload(b"a=1&signature=ff&b=2", b"").signature == "ff"


def test_signature_in_body_and_bytes_kept_verbatim():
    signed = extract_signed_payload(b"symbols=%5B%22A%22%5D", b"x=%41+b&signature=ab%2B%2F%3D")
    assert signed.payload == b"symbols=%5B%22A%22%5Dx=%41+b"
    assert signed.signature == "ab+/="


def test_missing_signature_is_none():
    assert extract_signed_payload(b"a=1", b"").signature is None
    assert extract_signed_payload(b"a=1&signature=", b"").signature is None


def test_duplicate_signature_rejected():
    with pytest.raises(BinanceError) as info:
        extract_signed_payload(b"a=1&signature=aa", b"signature=bb")
    assert info.value.code == -1101
