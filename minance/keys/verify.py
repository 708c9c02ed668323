"""Request authentication exactly as Binance does it: timing rules and signatures over raw bytes.

Everything here is pure: callers pass the bytes received and the current time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass
from urllib.parse import unquote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from minance.domain.errors import Err, illegal, mandatory
from minance.keys.model import KeyType

RECV_WINDOW_DEFAULT_MS = 5000
RECV_WINDOW_MAX_MS = 60000
FUTURE_TOLERANCE_US = 1_000_000
MICROSECOND_THRESHOLD = 10**14  # 13-digit values are ms, 16-digit values µs

INT_RANGE = "^[0-9]{1,20}$"
DECIMAL_RANGE = r"^([0-9]{1,20})(\.[0-9]{1,20})?$"
_INT_RE = re.compile(r"[0-9]{1,20}")
_DECIMAL_RE = re.compile(r"([0-9]{1,20})(\.([0-9]{1,20}))?")

_SIG_PREFIX = b"signature="


@dataclass(frozen=True, slots=True)
class SignedPayload:
    """The bytes a client signed (query + body, no separator, ``signature`` pair removed)."""

    payload: bytes
    signature: str | None


def _strip_signature(raw: bytes) -> tuple[bytes, list[bytes]]:
    if _SIG_PREFIX not in raw:
        return raw, []
    kept: list[bytes] = []
    found: list[bytes] = []
    for pair in raw.split(b"&"):
        if pair.startswith(_SIG_PREFIX):
            found.append(pair[len(_SIG_PREFIX):])
        else:
            kept.append(pair)
    return b"&".join(kept), found


def extract_signed_payload(raw_query: bytes, raw_body: bytes) -> SignedPayload:
    """Split the raw request into the signed bytes and the signature, as sent on the wire.

    Never re-serialises parameters: a client's order and encoding are what it signed.
    """
    query, q_sigs = _strip_signature(raw_query)
    body, b_sigs = _strip_signature(raw_body)
    sigs = q_sigs + b_sigs
    if len(sigs) > 1:
        raise Err.DUPLICATE_PARAM()
    signature = None
    if sigs:
        try:
            signature = unquote(sigs[0].decode("ascii"), errors="strict")
        except (UnicodeDecodeError, ValueError):
            raise illegal("signature", "^[A-Za-z0-9+/=]{1,1024}$") from None
    return SignedPayload(query + body, signature or None)


def parse_timestamp_us(raw: str | None) -> int:
    if raw is None or raw == "":
        raise mandatory("timestamp")
    if not _INT_RE.fullmatch(raw):
        raise illegal("timestamp", INT_RANGE)
    value = int(raw)
    return value if value >= MICROSECOND_THRESHOLD else value * 1000


def parse_recv_window_us(raw: str | None) -> int:
    """recvWindow in ms with up to three decimals (µs precision); default 5000, max 60000."""
    if raw is None:
        return RECV_WINDOW_DEFAULT_MS * 1000
    match = _DECIMAL_RE.fullmatch(raw)
    if match is None:
        raise illegal("recvWindow", DECIMAL_RANGE)
    whole, frac = match.group(1), match.group(3) or ""
    if len(frac.rstrip("0")) > 3:
        raise Err.TOO_MUCH_PRECISION(name="recvWindow")
    micros = int(whole) * 1000 + int((frac + "000")[:3])
    if micros > RECV_WINDOW_MAX_MS * 1000:
        raise Err.BAD_RECV_WINDOW()
    return micros


def check_timing(timestamp_raw: str | None, recv_window_raw: str | None, now_us: int) -> None:
    """Binance's rule: accept iff ``timestamp < serverTime + 1000`` and ``serverTime - timestamp <= recvWindow``."""
    recv_us = parse_recv_window_us(recv_window_raw)
    ts_us = parse_timestamp_us(timestamp_raw)
    if ts_us >= now_us + FUTURE_TOLERANCE_US:
        raise Err.TIMESTAMP_AHEAD()
    if now_us - ts_us > recv_us:
        raise Err.INVALID_TIMESTAMP()


class Verifier:
    """Checks a signature with one key's material. Built once per key and cached."""

    __slots__ = ("_kind", "_public", "_secret")

    def __init__(self, kind: KeyType, *, secret: bytes | None = None, public_key_pem: str | None = None) -> None:
        self._kind = kind
        self._secret = secret or b""  # only HMAC keys use it, and they must have one (checked below)
        self._public = None
        if kind is KeyType.HMAC:
            if not secret:
                raise ValueError("an HMAC key needs its secret")
        else:
            if not public_key_pem:
                raise ValueError("an Ed25519/RSA key needs its public key")
            self._public = serialization.load_pem_public_key(public_key_pem.encode())

    def __repr__(self) -> str:
        return f"Verifier({self._kind.value}, **********)"

    def verify(self, payload: bytes, signature: str) -> bool:
        if self._kind is KeyType.HMAC:
            try:
                given = signature.lower().encode("ascii")
            except UnicodeEncodeError:
                return False
            expected = hmac.new(self._secret, payload, hashlib.sha256).hexdigest().encode()
            return hmac.compare_digest(expected, given)
        try:
            raw_sig = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError):
            return False
        try:
            if isinstance(self._public, ed25519.Ed25519PublicKey):
                self._public.verify(raw_sig, payload)
            elif isinstance(self._public, rsa.RSAPublicKey):
                self._public.verify(raw_sig, payload, padding.PKCS1v15(), hashes.SHA256())
            else:  # pragma: no cover - load_public_key admits only the two kinds
                return False
        except InvalidSignature:
            return False
        return True
