"""Key management: issue, edit, rotate, revoke. Shared by the CLI and the admin API.

Binance's rules live here: reading is always on, trading is off unless asked, withdrawals need an
IP allow-list, and spot trading on an unrestricted key lapses 30 days after it was enabled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Protocol

from minance.domain.account import Account
from minance.domain.clock import Clock
from minance.domain.storage import StoreError
from minance.keys.iprules import IpRuleError, parse_networks
from minance.keys.material import KeyMaterialError, load_public_key, new_api_key, new_hmac_secret
from minance.keys.model import ENDPOINT_GROUPS, ApiKey, KeyStatus, KeyType, Permission, Secret
from minance.keys.sealing import SecretBox

DEFAULT_GRACE_S = 86400
_SYMBOL_RE = re.compile(r"[A-Z0-9]{2,20}")
_UNSET: Any = object()


class KeyConfigError(ValueError):
    """A key request that breaks a rule; the message says which and how to fix it."""


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key: ApiKey
    secret: Secret | None  # HMAC only; shown to the user once, never stored in clear


def parse_permissions(text: str | list[str] | None) -> frozenset[Permission]:
    names = text.split(",") if isinstance(text, str) else list(text or [])
    out = {Permission.READING}  # Binance: reading is always enabled
    aliases = {"read": "reading", "trade": "spot", "trading": "spot", "withdraw": "withdrawals"}
    for raw in names:
        name = aliases.get(raw.strip().lower(), raw.strip().lower())
        if not name:
            continue
        try:
            out.add(Permission(name))
        except ValueError:
            raise KeyConfigError(f"unknown permission {raw!r}: use reading, spot, withdrawals") from None
    return frozenset(out)


def parse_groups(text: str | list[str] | None) -> frozenset[str] | None:
    if text is None:
        return None
    names = {g.strip().lower() for g in (text.split(",") if isinstance(text, str) else text) if g.strip()}
    unknown = names - set(ENDPOINT_GROUPS)
    if unknown:
        raise KeyConfigError(f"unknown endpoint group(s) {sorted(unknown)}: use {', '.join(ENDPOINT_GROUPS)}")
    return frozenset(names) if names else None


def parse_symbols(text: str | list[str] | None) -> frozenset[str] | None:
    if text is None:
        return None
    names = {s.strip().upper() for s in (text.split(",") if isinstance(text, str) else text) if s.strip()}
    bad = [s for s in names if not _SYMBOL_RE.fullmatch(s)]
    if bad:
        raise KeyConfigError(f"not a symbol: {bad[0]!r}")
    return frozenset(names) if names else None


def parse_ips(entries: list[str] | None) -> tuple[str, ...]:
    try:
        return parse_networks(entries or [])
    except IpRuleError as exc:
        raise KeyConfigError(str(exc)) from None


class KeyStore(Protocol):
    """What the key service needs of a store (``minance.store.Store`` provides it; keys/ never imports store/)."""

    def get_account(self, name_or_id: str | int) -> Account | None: ...
    def insert_key(self, key: ApiKey) -> ApiKey: ...
    def update_key(self, key: ApiKey) -> None: ...
    def get_key(self, api_key_or_id: str | int) -> ApiKey | None: ...
    def find_keys_by_prefix(self, prefix: str) -> list[ApiKey]: ...


class KeyService:
    def __init__(self, store: KeyStore, box: SecretBox, clock: Clock) -> None:
        self.store = store
        self.box = box
        self.clock = clock

    # -- lookups -------------------------------------------------------------------------------
    def resolve(self, ref: str) -> ApiKey:
        """A key by its full id or an unambiguous prefix of at least 6 characters."""
        key = self.store.get_key(ref)
        if key is not None:
            return key
        if len(ref) >= 6 and ref.isascii() and ref.isalnum():
            matches = self.store.find_keys_by_prefix(ref)
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                raise KeyConfigError(f"key prefix {ref!r} is ambiguous: give more characters")
        raise KeyConfigError(f"no such key: {ref!r}")

    def open_secret(self, key: ApiKey) -> Secret:
        if key.secret_ciphertext is None:
            raise KeyConfigError("this key has no secret (Ed25519/RSA keys sign with the user's private key)")
        return Secret(self.box.open(key.secret_ciphertext, key.api_key))

    # -- rules ---------------------------------------------------------------------------------
    @staticmethod
    def _check(permissions: frozenset[Permission], ips: tuple[str, ...]) -> None:
        if Permission.WITHDRAWALS in permissions and not ips:
            raise KeyConfigError("withdrawals can only be enabled on an IP-restricted key: add --ip ADDRESS")

    # -- operations ----------------------------------------------------------------------------
    def create(self, account: str, *, label: str = "", key_type: KeyType = KeyType.HMAC,
               public_key_pem: str | None = None, permissions: frozenset[Permission] | None = None,
               ips: tuple[str, ...] = (), endpoint_groups: frozenset[str] | None = None,
               symbols: frozenset[str] | None = None, expires_ms: int | None = None,
               rotated_from: int | None = None) -> IssuedKey:
        owner = self.store.get_account(account)
        if owner is None:
            raise KeyConfigError(f"no such account: {account!r} (create it with 'minance account create')")
        permissions = permissions or frozenset({Permission.READING})
        self._check(permissions, ips)
        now = self.clock.now_ms()
        if expires_ms is not None and expires_ms <= now:
            raise KeyConfigError("the expiry is in the past")
        api_key = new_api_key()
        secret: Secret | None = None
        sealed: bytes | None = None
        pem: str | None = None
        if key_type is KeyType.HMAC:
            if public_key_pem:
                raise KeyConfigError("an HMAC key is generated here: drop --public-key, or choose --type ed25519/rsa")
            secret = Secret(new_hmac_secret())
            sealed = self.box.seal(secret.reveal(), api_key)
        else:
            if not public_key_pem:
                raise KeyConfigError(f"a {key_type.value} key needs the user's public key (--public-key FILE)")
            try:
                found_type, pem = load_public_key(public_key_pem)
            except KeyMaterialError as exc:
                raise KeyConfigError(str(exc)) from None
            if found_type is not key_type:
                raise KeyConfigError(f"--type {key_type.value.lower()} given but the public key is {found_type.value}")
        key = ApiKey(
            id=0, api_key=api_key, account_id=owner.id, label=label, key_type=key_type, permissions=permissions,
            ips=ips, endpoint_groups=endpoint_groups, symbols=symbols, created_ms=now,
            trading_enabled_ms=now if Permission.SPOT in permissions else None, expires_ms=expires_ms,
            public_key_pem=pem, secret_ciphertext=sealed, rotated_from=rotated_from,
        )
        try:
            stored = self.store.insert_key(key)
        except StoreError as exc:
            raise KeyConfigError(str(exc)) from None
        return IssuedKey(stored, secret)

    def edit(self, ref: str, *, label: str | None = None, permissions: frozenset[Permission] | None = None,
             ips: tuple[str, ...] | None = None, endpoint_groups: Any = _UNSET, symbols: Any = _UNSET,
             expires_ms: Any = _UNSET) -> ApiKey:
        key = self.resolve(ref)
        now = self.clock.now_ms()
        if key.status(now) in (KeyStatus.REVOKED, KeyStatus.RETIRED):
            raise KeyConfigError(f"key {key.masked} is {key.status(now).value}: it can no longer be changed")
        new_perms = key.permissions if permissions is None else permissions
        new_ips = key.ips if ips is None else ips
        self._check(new_perms, new_ips)
        trading_ms = key.trading_enabled_ms
        if Permission.SPOT not in new_perms:
            trading_ms = None
        elif (Permission.SPOT not in key.permissions or (permissions is not None and not key.can_trade(now))
              or (key.ips and not new_ips)):
            # newly enabled, re-enabled after lapsing, or the allow-list removed: the 30 days start now
            trading_ms = now
        changes: dict[str, Any] = {"permissions": new_perms, "ips": new_ips, "trading_enabled_ms": trading_ms}
        if label is not None:
            changes["label"] = label
        if endpoint_groups is not _UNSET:
            changes["endpoint_groups"] = endpoint_groups
        if symbols is not _UNSET:
            changes["symbols"] = symbols
        if expires_ms is not _UNSET:
            if expires_ms is not None and expires_ms <= now:
                raise KeyConfigError("the expiry is in the past")
            changes["expires_ms"] = expires_ms
        updated = replace(key, **changes)
        self.store.update_key(updated)
        return updated

    def rotate(self, ref: str, *, grace_s: int = DEFAULT_GRACE_S, public_key_pem: str | None = None) -> IssuedKey:
        """Issue a successor with identical settings; the old key stays valid for ``grace_s`` seconds."""
        if grace_s < 0:
            raise KeyConfigError("--grace must be 0 or more seconds")
        old = self.resolve(ref)
        now = self.clock.now_ms()
        if not old.usable(now) or old.rotated_to is not None:
            raise KeyConfigError(f"key {old.masked} is {old.status(now).value}: only an active key can be rotated")
        if old.key_type is not KeyType.HMAC:
            if not public_key_pem:
                raise KeyConfigError("rotating an Ed25519/RSA key needs the NEW public key (--public-key FILE)")
            if load_public_key(public_key_pem)[1] == old.public_key_pem:
                raise KeyConfigError("the new public key is the old one: generate a new key pair to rotate")
        account = self.store.get_account(old.account_id)
        assert account is not None
        issued = self.create(
            account.name, label=old.label, key_type=old.key_type, public_key_pem=public_key_pem,
            permissions=old.permissions, ips=old.ips, endpoint_groups=old.endpoint_groups, symbols=old.symbols,
            expires_ms=old.expires_ms if old.expires_ms and old.expires_ms > now else None, rotated_from=old.id,
        )
        if old.trading_enabled_ms is not None:  # the successor inherits the trading clock, not a fresh 30 days
            kept = replace(issued.key, trading_enabled_ms=old.trading_enabled_ms)
            self.store.update_key(kept)
            issued = IssuedKey(kept, issued.secret)
        self.store.update_key(replace(old, grace_until_ms=now + grace_s * 1000, rotated_to=issued.key.id))
        return issued

    def revoke(self, ref: str) -> ApiKey:
        key = self.resolve(ref)
        if key.revoked_ms is not None:
            return key
        revoked = replace(key, revoked_ms=self.clock.now_ms())
        self.store.update_key(revoked)
        return revoked

    # -- presentation --------------------------------------------------------------------------
    def describe(self, key: ApiKey) -> dict[str, Any]:
        """The key's public description (never its secret)."""
        now = self.clock.now_ms()
        account = self.store.get_account(key.account_id)
        return {
            "apiKey": key.api_key,
            "label": key.label,
            "account": account.name if account else None,
            "type": key.key_type.value,
            "permissions": sorted(p.value for p in key.permissions),
            "ipRestrict": key.ip_restrict,
            "ips": list(key.ips),
            "endpointGroups": sorted(key.endpoint_groups) if key.endpoint_groups is not None else None,
            "symbols": sorted(key.symbols) if key.symbols is not None else None,
            "status": key.status(now).value,
            "canTrade": key.can_trade(now),
            "createTime": key.created_ms,
            "expireTime": key.expires_ms,
            "tradingAuthorityExpirationTime": key.trading_authority_expiration_ms(),
            "revokeTime": key.revoked_ms,
            "graceUntil": key.grace_until_ms,
            "rotatedTo": self._api_key_of(key.rotated_to),
            "rotatedFrom": self._api_key_of(key.rotated_from),
            "lastUsedTime": key.last_used_ms,
        }

    def _api_key_of(self, key_id: int | None) -> str | None:
        if key_id is None:
            return None
        other = self.store.get_key(key_id)
        return other.api_key if other else None


def issued_to_json(service: KeyService, issued: IssuedKey) -> dict[str, Any]:
    out = service.describe(issued.key)
    if issued.secret is not None:
        out["secretKey"] = issued.secret.reveal()
    return out
