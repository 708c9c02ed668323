"""The encrypted vault file: AES-256-GCM per entry under a key derived from a passphrase (Argon2id, or scrypt
where the installed cryptography lacks Argon2id).

Layout (JSON, mode 0600)::

    {"format": "minance-vault", "version": 1, "vaultId": …,
     "kdf": {"name": "argon2id", "salt": b64, "iterations": 3, "lanes": 4, "memoryKib": 65536},
     "check": {"nonce": b64, "ciphertext": b64},               # tells a wrong passphrase, even when empty
     "entries": {NAME: {"meta": {public summary}, "nonce": b64, "ciphertext": b64}}}

Each entry has its own random 96-bit nonce; its associated data binds the vault id, the entry name and
its public metadata, so moving, renaming or editing an entry makes it fail to open. Every change is a
read-modify-write under an exclusive lock on ``FILE.lock``, written to a temporary file and renamed
into place: concurrent writers never lose each other's entries, and a crash or a wrong passphrase
leaves the previous file intact.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from minance.vault.profile import Profile, ProfileExists, ProfileNotFound, VaultError, WrongPassphrase, check_name

try:  # cryptography >= 44
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
except ImportError:  # pragma: no cover - older cryptography: scrypt
    Argon2id = None  # type: ignore[assignment,misc]
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: single-writer only
    fcntl = None  # type: ignore[assignment]

__all__ = ["FORMAT", "FileVault", "default_kdf"]

FORMAT = "minance-vault"
VERSION = 1
_CHECK = b"minance-vault-check"
_NONCE = 12


def default_kdf() -> dict[str, Any]:
    """RFC 9106's second recommended Argon2id setting (64 MiB, 3 passes, 4 lanes); scrypt N=2^17 otherwise."""
    salt = base64.b64encode(secrets.token_bytes(16)).decode()
    if Argon2id is not None:
        return {"name": "argon2id", "salt": salt, "iterations": 3, "lanes": 4, "memoryKib": 65536}
    return {"name": "scrypt", "salt": salt, "n": 2**17, "r": 8, "p": 1}


def derive_key(passphrase: str, kdf: dict[str, Any]) -> bytes:
    salt = base64.b64decode(kdf["salt"])
    secret = passphrase.encode("utf-8")
    if kdf["name"] == "argon2id":
        if Argon2id is None:
            raise VaultError("this vault uses Argon2id: install cryptography >= 44")
        return Argon2id(salt=salt, length=32, iterations=int(kdf["iterations"]), lanes=int(kdf["lanes"]),
                        memory_cost=int(kdf["memoryKib"])).derive(secret)
    if kdf["name"] == "scrypt":
        return Scrypt(salt=salt, length=32, n=int(kdf["n"]), r=int(kdf["r"]), p=int(kdf["p"])).derive(secret)
    raise VaultError(f"unknown key derivation {kdf['name']!r}")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _aad(vault_id: str, name: str, meta: dict[str, Any]) -> bytes:
    return json.dumps({"vault": vault_id, "name": name, "meta": meta}, sort_keys=True, separators=(",", ":")).encode()


class FileVault:
    """Profiles in one encrypted file. ``passphrase`` is asked for only when a secret is needed."""

    kind = "file"

    def __init__(self, path: Path, passphrase: Callable[[], str], *, new_passphrase: Callable[[], str] | None = None,
                 kdf: dict[str, Any] | None = None) -> None:
        self.path = Path(path)
        self._passphrase = passphrase
        self._new_passphrase = new_passphrase or passphrase  # asked (and confirmed) when creating the file
        self._kdf = kdf
        self._keys: dict[str, bytes] = {}  # salt → derived key, for this process only

    def __repr__(self) -> str:
        return f"FileVault({self.path})"

    # -- file handling ---------------------------------------------------------------------------
    def _load(self) -> dict[str, Any] | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise VaultError(f"cannot read the vault {self.path}: {exc.strerror}") from None
        try:
            data = json.loads(text)
        except ValueError:
            raise VaultError(f"{self.path} is not a minance vault (not JSON)") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise VaultError(f"{self.path} is not a minance vault")
        if data.get("version") != VERSION:
            raise VaultError(f"{self.path} is vault format {data.get('version')}, this minance reads {VERSION}")
        return data

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def _write(self, data: dict[str, Any]) -> None:
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, indent=1, sort_keys=True)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        with contextlib.suppress(OSError):  # make the rename durable
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    def _new(self) -> dict[str, Any]:
        kdf = dict(self._kdf) if self._kdf else default_kdf()
        data: dict[str, Any] = {"format": FORMAT, "version": VERSION, "vaultId": secrets.token_hex(16), "kdf": kdf,
                                "entries": {}}
        key = derive_key(self._new_passphrase(), kdf)
        nonce = secrets.token_bytes(_NONCE)
        data["check"] = {"nonce": _b64(nonce),
                         "ciphertext": _b64(AESGCM(key).encrypt(nonce, _CHECK, data["vaultId"].encode()))}
        self._keys[kdf["salt"]] = key
        return data

    def _key(self, data: dict[str, Any]) -> bytes:
        """The vault key, checked against the vault's check record: a wrong passphrase fails here."""
        salt = data["kdf"]["salt"]
        if salt not in self._keys:
            key = derive_key(self._passphrase(), data["kdf"])
            check = data["check"]
            try:
                AESGCM(key).decrypt(base64.b64decode(check["nonce"]), base64.b64decode(check["ciphertext"]),
                                    data["vaultId"].encode())
            except InvalidTag:
                raise WrongPassphrase(f"wrong passphrase for the vault {self.path}: nothing was read or changed") \
                    from None
            self._keys[salt] = key
        return self._keys[salt]

    def _seal(self, data: dict[str, Any], profile: Profile) -> dict[str, Any]:
        meta = profile.summary()
        nonce = secrets.token_bytes(_NONCE)
        plaintext = json.dumps(profile.to_record(), sort_keys=True).encode()
        ciphertext = AESGCM(self._key(data)).encrypt(nonce, plaintext, _aad(data["vaultId"], profile.name, meta))
        return {"meta": meta, "nonce": _b64(nonce), "ciphertext": _b64(ciphertext)}

    def _open(self, data: dict[str, Any], name: str) -> Profile:
        entry = data["entries"].get(name)
        if entry is None:
            raise ProfileNotFound(f"no profile {name!r} in {self.path}")
        key = self._key(data)
        try:
            plaintext = AESGCM(key).decrypt(base64.b64decode(entry["nonce"]), base64.b64decode(entry["ciphertext"]),
                                            _aad(data["vaultId"], name, entry["meta"]))
        except (InvalidTag, KeyError, ValueError):
            raise VaultError(f"profile {name!r} in {self.path} has been tampered with or damaged") from None
        return Profile.from_record(name, json.loads(plaintext))

    # -- Backend ---------------------------------------------------------------------------------
    def list(self) -> list[dict[str, Any]]:
        data = self._load()
        return [] if data is None else [dict(e["meta"]) for _, e in sorted(data["entries"].items())]

    def get(self, name: str) -> Profile:
        data = self._load()
        if data is None:
            raise ProfileNotFound(f"no vault at {self.path}: add a profile with 'minance vault add'")
        return self._open(data, check_name(name))

    def put(self, profile: Profile, *, replace: bool = False) -> None:
        with self._locked():
            data = self._load()
            created = data is None
            if data is None:
                data = self._new()
            else:
                self._key(data)  # the passphrase is checked before anything changes
            if profile.name in data["entries"] and not replace:
                raise ProfileExists(f"profile {profile.name!r} exists: remove it first, or rotate its key")
            data["entries"][profile.name] = self._seal(data, profile)
            self._write(data)
        if created:
            os.chmod(self.path, 0o600)

    def remove(self, name: str) -> None:
        with self._locked():
            data = self._load()
            if data is None or check_name(name) not in data["entries"]:
                raise ProfileNotFound(f"no profile {name!r} in {self.path}")
            self._key(data)  # only the passphrase holder may delete
            del data["entries"][name]
            self._write(data)

    def change_passphrase(self, new_passphrase: str) -> None:
        """Re-encrypt every entry under a key from ``new_passphrase`` (fresh salt, fresh nonces)."""
        with self._locked():
            data = self._load()
            if data is None:
                raise ProfileNotFound(f"no vault at {self.path}")
            profiles = [self._open(data, name) for name in data["entries"]]
            fresh = FileVault(self.path, lambda: new_passphrase, kdf={**data["kdf"], "salt": default_kdf()["salt"]})
            new = fresh._new()
            for profile in profiles:
                new["entries"][profile.name] = fresh._seal(new, profile)
            self._write(new)
            self._keys = dict(fresh._keys)
