"""The API key as the exchange stores it, and the rules that derive its effective state."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from enum import StrEnum

from minance.domain.secret import Secret, mask_key

TRADING_AUTHORITY_MS = 30 * 24 * 3600 * 1000  # Binance: trading lapses after 30 days on unrestricted keys


class KeyType(StrEnum):
    HMAC = "HMAC"
    ED25519 = "ED25519"
    RSA = "RSA"


class Permission(StrEnum):
    READING = "reading"
    SPOT = "spot"
    WITHDRAWALS = "withdrawals"


class KeyStatus(StrEnum):
    ACTIVE = "active"
    GRACE = "grace"  # rotated: still valid until its grace period ends
    RETIRED = "retired"  # rotated and past its grace period
    REVOKED = "revoked"
    EXPIRED = "expired"


# Endpoint groups a key can be limited to (in addition to its permissions).
ENDPOINT_GROUPS = ("market", "account", "trade", "stream", "wallet")

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

__all__ = ["ENDPOINT_GROUPS", "ApiKey", "IpNetwork", "KeyStatus", "KeyType", "Permission", "Secret", "mask_key"]


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One API key. ``secret_ciphertext`` (HMAC) is sealed; ``public_key_pem`` is for Ed25519/RSA."""

    id: int
    api_key: str
    account_id: int
    label: str
    key_type: KeyType
    permissions: frozenset[Permission]
    ips: tuple[str, ...] = ()
    endpoint_groups: frozenset[str] | None = None  # None: every group
    symbols: frozenset[str] | None = None  # None: every symbol
    created_ms: int = 0
    trading_enabled_ms: int | None = None
    expires_ms: int | None = None
    revoked_ms: int | None = None
    grace_until_ms: int | None = None  # set when rotated
    rotated_to: int | None = None
    rotated_from: int | None = None
    public_key_pem: str | None = None
    secret_ciphertext: bytes | None = field(default=None, repr=False)
    last_used_ms: int | None = None

    @property
    def ip_restrict(self) -> bool:
        return bool(self.ips)

    @property
    def masked(self) -> str:
        return mask_key(self.api_key)

    def networks(self) -> tuple[IpNetwork, ...]:
        return tuple(ipaddress.ip_network(n, strict=False) for n in self.ips)

    def trading_authority_expiration_ms(self) -> int | None:
        """When spot trading lapses: 30 days after it was enabled, on keys without an IP allow-list."""
        if Permission.SPOT not in self.permissions or self.ip_restrict or self.trading_enabled_ms is None:
            return None
        return self.trading_enabled_ms + TRADING_AUTHORITY_MS

    def can_trade(self, now_ms: int) -> bool:
        if Permission.SPOT not in self.permissions:
            return False
        expiry = self.trading_authority_expiration_ms()
        return expiry is None or now_ms < expiry

    def status(self, now_ms: int) -> KeyStatus:
        if self.revoked_ms is not None and self.revoked_ms <= now_ms:
            return KeyStatus.REVOKED
        if self.expires_ms is not None and now_ms >= self.expires_ms:
            return KeyStatus.EXPIRED
        if self.grace_until_ms is not None:
            return KeyStatus.GRACE if now_ms < self.grace_until_ms else KeyStatus.RETIRED
        return KeyStatus.ACTIVE

    def usable(self, now_ms: int) -> bool:
        return self.status(now_ms) in (KeyStatus.ACTIVE, KeyStatus.GRACE)
