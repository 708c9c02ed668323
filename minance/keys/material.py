"""Key material: generating HMAC credentials and validating user-supplied public keys."""

from __future__ import annotations

import secrets
import string

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from minance.keys.model import KeyType

_ALPHABET = string.ascii_letters + string.digits
KEY_LENGTH = 64
RSA_MIN_BITS, RSA_MAX_BITS = 2048, 4096


class KeyMaterialError(ValueError):
    pass


def new_api_key() -> str:
    """A 64-character alphanumeric key id, as Binance issues."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(KEY_LENGTH))


def new_hmac_secret() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(KEY_LENGTH))


def is_well_formed_api_key(value: str) -> bool:
    return len(value) == KEY_LENGTH and value.isascii() and value.isalnum()


def load_public_key(pem: str | bytes) -> tuple[KeyType, str]:
    """Validate an Ed25519 or RSA (2048–4096 bit) public key in SPKI PEM; return its type and clean PEM.

    A private key is refused outright: the exchange must never hold the user's private key.
    """
    data = pem.encode() if isinstance(pem, str) else pem
    if b"PRIVATE KEY" in data:
        raise KeyMaterialError("this is a private key: give the PUBLIC key (keep the private key to yourself)")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        raise KeyMaterialError("not a PEM public key (expected '-----BEGIN PUBLIC KEY-----', SPKI)") from None
    if isinstance(key, ed25519.Ed25519PublicKey):
        kind = KeyType.ED25519
    elif isinstance(key, rsa.RSAPublicKey):
        if not RSA_MIN_BITS <= key.key_size <= RSA_MAX_BITS:
            raise KeyMaterialError(f"RSA keys must be {RSA_MIN_BITS} to {RSA_MAX_BITS} bits, got {key.key_size}")
        kind = KeyType.RSA
    else:
        raise KeyMaterialError("only Ed25519 and RSA public keys are accepted")
    clean = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return kind, clean.decode()
