"""A profile: one API key and what signs for it (HMAC secret or Ed25519/RSA private key), for one target.

Secrets are held in :class:`Secret`, which prints as asterisks, so a profile can be logged or shown in a
traceback without leaking them. ``summary()`` is the public face (masked key id, no secret) that
``vault list`` prints and that backends may keep unencrypted.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol

from minance.client.signer import KeyKind, Signer, make_signer
from minance.client.targets import Target, resolve_target
from minance.domain.secret import Secret, mask_key

__all__ = [
    "DEFAULT_ROTATE_DAYS",
    "Backend",
    "BackendUnavailable",
    "Profile",
    "ProfileExists",
    "ProfileNotFound",
    "Secret",
    "Use",
    "VaultError",
    "WrongPassphrase",
    "check_name",
    "mask",
]

DEFAULT_ROTATE_DAYS = 30
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class VaultError(Exception):
    """A vault operation that cannot be done; the message says why and what to do."""


class WrongPassphrase(VaultError):
    pass


class ProfileNotFound(VaultError):
    pass


class ProfileExists(VaultError):
    pass


class BackendUnavailable(VaultError):
    pass


class Use(StrEnum):
    READ = "read"  # market data and account reads: the key should not be able to trade
    TRADE = "trade"  # places orders: the key should not be able to withdraw


mask = mask_key  # the vault lists profiles with the same masking as the exchange's logs


def check_name(name: str) -> str:
    if not _NAME_RE.fullmatch(name):
        raise VaultError(f"bad profile name {name!r}: use letters, digits, '.', '_' or '-' (at most 64)")
    return name


@dataclass(frozen=True)
class Profile:
    name: str
    api_key: str
    secret: Secret | None = None  # HMAC
    private_key: Secret | None = None  # Ed25519/RSA private key, PEM
    target: str = "local"
    use: Use = Use.TRADE
    created_ms: int = field(default_factory=lambda: time.time_ns() // 1_000_000)
    rotate_days: int = DEFAULT_ROTATE_DAYS
    data_dir: str | None = None  # a minance server's data dir: admin token for rotation and activity
    rotated_from: str | None = None  # masked id of the key this one replaced

    def __post_init__(self) -> None:
        check_name(self.name)
        if not self.api_key or not self.api_key.isascii() or any(c.isspace() for c in self.api_key):
            raise VaultError("the API key must be non-empty ASCII without spaces")
        if (self.secret is None) == (self.private_key is None):
            raise VaultError("a profile holds either an API secret (HMAC) or a private key (Ed25519/RSA)")
        resolve_target(self.target)  # raises on a bad target
        object.__setattr__(self, "use", Use(self.use))

    @property
    def masked_key(self) -> str:
        return mask(self.api_key)

    def signer(self) -> Signer:
        if self.secret is not None:
            return make_signer(secret=self.secret.reveal())
        assert self.private_key is not None
        return make_signer(private_key_pem=self.private_key.reveal())

    @property
    def kind(self) -> KeyKind:
        return self.signer().kind if self.private_key is not None else KeyKind.HMAC

    def resolved_target(self) -> Target:
        return resolve_target(self.target)

    def client(self, **options: Any):
        """A :class:`~minance.client.Client` signing with this profile; read-only (trading calls refused before
        they are sent) when the profile is declared for reading."""
        from minance.client import Client

        options.setdefault("read_only", self.use is Use.READ)
        return Client(self.api_key, signer=self.signer(), target=self.resolved_target(), **options)

    def with_key(self, api_key: str, *, secret: str | None = None, private_key: str | None = None,
                 created_ms: int | None = None) -> Profile:
        """The same profile holding a new key (after a rotation)."""
        return replace(self, api_key=api_key, secret=Secret(secret) if secret is not None else None,
                       private_key=Secret(private_key) if private_key is not None else None,
                       created_ms=created_ms if created_ms is not None else time.time_ns() // 1_000_000,
                       rotated_from=self.masked_key)

    # -- records -------------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """Public metadata, no secret: what ``vault list`` shows."""
        return {"name": self.name, "apiKey": self.masked_key, "kind": self.kind.value, "target": self.target,
                "use": self.use.value, "createdMs": self.created_ms, "rotateDays": self.rotate_days,
                "dataDir": self.data_dir, "rotatedFrom": self.rotated_from}

    def to_record(self) -> dict[str, Any]:
        """Everything, secrets included: only for a backend to encrypt or hand to a secret store."""
        record = {k: v for k, v in self.summary().items() if k not in ("name", "apiKey", "kind")}
        record["apiKey"] = self.api_key
        if self.secret is not None:
            record["secret"] = self.secret.reveal()
        if self.private_key is not None:
            record["privateKey"] = self.private_key.reveal()
        return record

    @classmethod
    def from_record(cls, name: str, record: dict[str, Any]) -> Profile:
        try:
            return cls(
                name=name, api_key=str(record["apiKey"]),
                secret=Secret(record["secret"]) if record.get("secret") is not None else None,
                private_key=Secret(record["privateKey"]) if record.get("privateKey") is not None else None,
                target=str(record.get("target", "local")), use=Use(record.get("use", "trade")),
                created_ms=int(record["createdMs"]), rotate_days=int(record.get("rotateDays", DEFAULT_ROTATE_DAYS)),
                data_dir=record.get("dataDir"), rotated_from=record.get("rotatedFrom"))
        except (KeyError, TypeError, ValueError) as exc:
            raise VaultError(f"profile {name!r} is damaged: {type(exc).__name__}") from None


class Backend(Protocol):
    """Where profiles live. Implementations: file (encrypted), keyring, env (read-only), hashicorp."""

    kind: str

    def get(self, name: str) -> Profile: ...

    def put(self, profile: Profile, *, replace: bool = False) -> None: ...

    def remove(self, name: str) -> None: ...

    def list(self) -> list[dict[str, Any]]: ...
