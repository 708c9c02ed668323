"""Turning what a user holds (an HMAC secret, or an Ed25519/RSA private key PEM or its file) into a signer."""

from __future__ import annotations

from pathlib import Path

from minance.client.signer import Signer, SignerError, make_signer

__all__ = ["credentials_signer", "read_private_key"]


def read_private_key(value: str | bytes | Path) -> bytes:
    """PEM text as given, or the contents of the file it names."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str) and value.lstrip().startswith("-----BEGIN"):
        return value.encode("ascii")
    path = Path(value)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SignerError(f"cannot read the private key file {path}: {exc.strerror}") from None


def credentials_signer(api_secret: str | None = None, private_key: str | bytes | Path | None = None,
                       password: bytes | None = None) -> Signer | None:
    """The signer for these credentials, or None when there are none (public endpoints only)."""
    if api_secret is None and private_key is None:
        return None
    if private_key is not None:
        if api_secret is not None:
            raise SignerError("give the API secret (HMAC) or a private key (Ed25519/RSA), not both")
        return make_signer(private_key_pem=read_private_key(private_key), password=password)
    return make_signer(secret=api_secret)
