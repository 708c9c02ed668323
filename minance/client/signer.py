"""Request signing as Binance specifies it: HMAC-SHA256 (hex), Ed25519 and RSA PKCS#1 v1.5 SHA-256 (base64).

Pure: no I/O, no clock. REST signs the percent-encoded query string + body exactly as sent (no
separator between them, ``signature`` excluded); the WebSocket API signs its params sorted by name,
``apiKey`` included, as raw UTF-8 (REFERENCE §1.4). Signers never reveal their key material in
``repr``/``str``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Protocol
from urllib.parse import quote

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

__all__ = [
    "Ed25519Signer",
    "HmacSigner",
    "KeyKind",
    "RsaSigner",
    "Signer",
    "SignerError",
    "encode_params",
    "encode_value",
    "make_signer",
    "sign_rest",
    "wire_signature",
    "ws_payload",
]

RSA_MIN_BITS, RSA_MAX_BITS = 2048, 4096


class SignerError(ValueError):
    """Key material that cannot sign (wrong format, wrong kind, encrypted without a password)."""


class KeyKind(StrEnum):
    HMAC = "HMAC"
    ED25519 = "ED25519"
    RSA = "RSA"


class Signer(Protocol):
    kind: KeyKind

    def sign(self, payload: bytes) -> str:
        """The signature as Binance expects it (hex for HMAC, base64 otherwise), not yet URL-encoded."""
        ...


class HmacSigner:
    __slots__ = ("_key", "kind")

    def __init__(self, secret: str) -> None:
        if not secret:
            raise SignerError("an HMAC signer needs the API secret")
        self.kind = KeyKind.HMAC
        self._key = secret.encode("utf-8")

    def sign(self, payload: bytes) -> str:
        return hmac.new(self._key, payload, hashlib.sha256).hexdigest()

    def __repr__(self) -> str:
        return "HmacSigner(**********)"

    __str__ = __repr__


class Ed25519Signer:
    __slots__ = ("_key", "kind")

    def __init__(self, key: ed25519.Ed25519PrivateKey) -> None:
        self.kind = KeyKind.ED25519
        self._key = key

    def sign(self, payload: bytes) -> str:
        return base64.b64encode(self._key.sign(payload)).decode("ascii")

    def public_key_pem(self) -> str:
        return _public_pem(self._key)

    def __repr__(self) -> str:
        return "Ed25519Signer(**********)"

    __str__ = __repr__


class RsaSigner:
    __slots__ = ("_key", "kind")

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        if not RSA_MIN_BITS <= key.key_size <= RSA_MAX_BITS:
            raise SignerError(f"Binance accepts RSA keys of {RSA_MIN_BITS} to {RSA_MAX_BITS} bits, not {key.key_size}")
        self.kind = KeyKind.RSA
        self._key = key

    def sign(self, payload: bytes) -> str:
        return base64.b64encode(self._key.sign(payload, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")

    def public_key_pem(self) -> str:
        return _public_pem(self._key)

    def __repr__(self) -> str:
        return f"RsaSigner({self._key.key_size} bits, **********)"

    __str__ = __repr__


def _public_pem(key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def make_signer(*, secret: str | None = None, private_key_pem: str | bytes | None = None,
                password: bytes | None = None) -> Signer:
    """The signer for an HMAC secret, or for an Ed25519/RSA private key in PEM (PKCS#8 or traditional)."""
    if (secret is None) == (private_key_pem is None):
        raise SignerError("give either an API secret (HMAC) or a private key (Ed25519/RSA), not both or neither")
    if secret is not None:
        return HmacSigner(secret)
    data = private_key_pem.encode("ascii") if isinstance(private_key_pem, str) else private_key_pem
    try:
        key = serialization.load_pem_private_key(data, password=password)  # type: ignore[arg-type]
    except TypeError:
        raise SignerError("the private key is encrypted: a password is needed") from None
    except ValueError:
        raise SignerError("not a PEM private key (or the password is wrong)") from None
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return Ed25519Signer(key)
    if isinstance(key, rsa.RSAPrivateKey):
        return RsaSigner(key)
    raise SignerError("only Ed25519 and RSA private keys can sign Binance requests")


def encode_value(value: object) -> str:
    """A parameter value in Binance's text form: plain decimals, lower-case booleans, JSON arrays."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text
    if isinstance(value, list | tuple):
        return json.dumps(list(value), separators=(",", ":"))
    return str(value)


def encode_params(params: Mapping[str, object]) -> str:
    """``name=value`` pairs joined by ``&``, percent-encoded (UTF-8, upper-case hex) in insertion order;
    ``None`` values are left out. This is both what goes on the wire and what is signed."""
    return "&".join(f"{quote(name, safe='')}={quote(encode_value(value), safe='')}"
                    for name, value in params.items() if value is not None)


def sign_rest(signer: Signer, query: str, body: str = "") -> str:
    """REST: the signature over query string + body as sent (both already encoded), no separator."""
    return signer.sign((query + body).encode("ascii"))


def wire_signature(signature: str) -> str:
    """The signature as a URL/form value: base64's ``+ / =`` percent-encoded, hex unchanged."""
    return quote(signature, safe="")


def ws_payload(params: Mapping[str, object]) -> bytes:
    """WebSocket API: params (``apiKey`` included, ``signature`` excluded) sorted by name, raw UTF-8."""
    pairs = sorted((k, encode_value(v)) for k, v in params.items() if k != "signature" and v is not None)
    return "&".join(f"{k}={v}" for k, v in pairs).encode("utf-8")
