"""Secrets at rest: AES-256-GCM under a master key kept in the data dir (0600) or given by env."""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MASTER_KEY_ENV = "MINANCE_MASTER_KEY"
MASTER_KEY_FILE = "master.key"
_NONCE = 12


class SealError(Exception):
    pass


class SecretBox:
    """Seals and opens short secrets; the key id is bound in as associated data so a
    ciphertext moved onto another key's row fails to open."""

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != 32:
            raise SealError("the master key must be 32 bytes")
        self._aead = AESGCM(master_key)

    def seal(self, plaintext: str, bound_to: str) -> bytes:
        nonce = secrets.token_bytes(_NONCE)
        return nonce + self._aead.encrypt(nonce, plaintext.encode(), bound_to.encode())

    def open(self, sealed: bytes, bound_to: str) -> str:
        try:
            return self._aead.decrypt(sealed[:_NONCE], sealed[_NONCE:], bound_to.encode()).decode()
        except InvalidTag:
            raise SealError("secret could not be opened: wrong master key or tampered data") from None

    def __repr__(self) -> str:
        return "SecretBox(**********)"


def _decode_env_key(text: str) -> bytes:
    text = text.strip()
    for decode in (bytes.fromhex, base64.b64decode):
        try:
            key = decode(text)
        except (ValueError, binascii.Error):
            continue
        if len(key) == 32:
            return key
    raise SealError(f"{MASTER_KEY_ENV} must be 32 bytes as hex or base64")


def create_private_file(path: Path, data: bytes) -> bytes:
    """Create ``path`` (mode 0600) holding ``data`` unless it exists; return what the file holds.

    Written to a temporary name and linked into place, so a racing process (the CLI and the
    server on one data dir) either creates the file whole or reads the one that won.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)
    return path.read_bytes()


def load_master_key(data_dir: Path, env: Mapping[str, str] | None = None) -> bytes:
    """The master key from $MINANCE_MASTER_KEY, else ``data_dir/master.key`` (created on first use)."""
    env = os.environ if env is None else env
    if env.get(MASTER_KEY_ENV):
        return _decode_env_key(env[MASTER_KEY_ENV])
    path = data_dir / MASTER_KEY_FILE
    text = path.read_bytes() if path.exists() else create_private_file(path, secrets.token_bytes(32).hex().encode())
    return bytes.fromhex(text.decode().strip())
