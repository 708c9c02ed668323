"""``minance key rotate --profile P``: replace a profile's key without a moment where nothing works.

On a minance server (its admin API): issue the successor (same permissions and restrictions; a fresh key
pair for Ed25519/RSA, made here so the private key never leaves this machine), store it in the vault,
prove it works, then retire the old key — at once, or after ``grace_s`` seconds for bots still holding it.
If the new key fails its check, the vault gets the old key back and the new key is revoked.

Binance has no API to create keys, so there the user is guided: we print what to create (and, for a
self-generated key, the public key to upload), read the new key, verify it, store it, and check that the
old key has really been deleted before calling the rotation done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from minance.client import AuthError, ClientError, KeyKind
from minance.client.admin import AdminClient
from minance.vault.profile import Backend, Profile, Use

__all__ = ["Prompter", "RotationError", "RotationResult", "new_key_pair", "rotate_guided", "rotate_on_minance"]

SAFETY_GRACE_S = 300  # the old key outlives the new one's check, whatever grace was asked


class RotationError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class RotationResult:
    profile: str
    old_key: str  # masked
    new_key: str  # masked
    old_key_valid_until_ms: int | None  # None: retired at once
    checks: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"profile": self.profile, "oldKey": self.old_key, "newKey": self.new_key,
                "oldKeyValidUntil": self.old_key_valid_until_ms, "checks": list(self.checks)}


@dataclass
class Prompter:
    """How the guided rotation talks to the user (tests drive it through stdin)."""

    say: Callable[[str], None]
    ask: Callable[[str], str]
    ask_secret: Callable[[str], str]


def new_key_pair(kind: KeyKind) -> tuple[str, str]:
    """A fresh (private PKCS#8 PEM, public SPKI PEM) pair of the same kind as the key being replaced."""
    private = ed25519.Ed25519PrivateKey.generate() if kind is KeyKind.ED25519 else \
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()).decode()
    public_pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private_pem, public_pem


def verify_key(profile: Profile, *, policy: bool = True) -> list[str]:
    """Prove ``profile``'s key works (account read) and, with ``policy`` and where the target tells, that it
    cannot withdraw nor do more than the profile's use. Raises RotationError."""
    checks: list[str] = []
    with profile.client() as client:
        try:
            client.account()
            checks.append("account read with the new key")
            if policy and profile.resolved_target().has_sapi:
                r = client.api_restrictions()
                if r.enable_withdrawals:
                    raise RotationError("the new key has withdrawals enabled: disable them, then run this again")
                if profile.use is Use.READ and r.enable_spot_and_margin_trading:
                    raise RotationError("the new key can trade but the profile is read-only")
                checks.append("permissions: no withdrawals" + (", trading on" if r.enable_spot_and_margin_trading
                                                               else ", read-only"))
        except AuthError as exc:
            raise RotationError(f"the new key does not work: {exc.msg}") from None
        except ClientError as exc:
            raise RotationError(f"the new key could not be checked: {exc}") from None
    return checks


def rotate_on_minance(profile: Profile, backend: Backend, admin: AdminClient, *, grace_s: int = 0,
                      now_ms: int) -> RotationResult:
    current = admin.key(profile.api_key)
    if current.get("status") not in ("active", "grace") or current.get("rotatedTo"):
        raise RotationError(f"the profile's key {profile.masked_key} is {current.get('status')} on the server"
                            + (" and already rotated" if current.get("rotatedTo") else ""))
    kind = profile.kind
    private_pem, public_pem = new_key_pair(kind) if kind is not KeyKind.HMAC else (None, None)
    issued = admin.rotate(profile.api_key, grace_s=max(grace_s, SAFETY_GRACE_S), public_key_pem=public_pem)
    new = profile.with_key(issued["apiKey"], secret=issued.get("secretKey"), private_key=private_pem,
                           created_ms=issued.get("createTime") or now_ms)
    backend.put(new, replace=True)
    try:
        # the successor has the old key's settings by construction: prove it works and the server agrees
        checks = verify_key(new, policy=False)
        described = admin.key(new.api_key)
        same = ("permissions", "ips", "endpointGroups", "symbols")
        if any(described.get(k) != current.get(k) for k in same):
            raise RotationError("the server issued the new key with different settings")
        checks.append("same permissions and IP list as the old key")
    except (RotationError, ClientError) as exc:
        backend.put(profile, replace=True)  # the vault gets the working key back
        admin.revoke(new.api_key)
        raise RotationError(f"{exc}; the vault keeps the old key, valid for {SAFETY_GRACE_S}s more") from None
    checks.append("stored in the vault")
    if grace_s == 0:
        admin.revoke(profile.api_key)
        checks.append("old key revoked")
        valid_until = None
    else:
        valid_until = now_ms + grace_s * 1000
        checks.append(f"old key retires after {grace_s}s")
    return RotationResult(profile.name, profile.masked_key, new.masked_key, valid_until, tuple(checks))


def old_key_still_works(profile: Profile) -> bool:
    with profile.client() as client:
        try:
            client.account()
        except AuthError:
            return False
    return True


def rotate_guided(profile: Profile, backend: Backend, io: Prompter, *, now_ms: int) -> RotationResult:
    """Binance (no key API): walk the user through it and check each step."""
    target = profile.resolved_target()
    kind = profile.kind
    io.say(f"Rotating profile {profile.name!r} ({kind.value} key {profile.masked_key} on {target}).")
    io.say("1. In API Management, create a new key with the SAME settings: reading"
           + (", spot trading" if profile.use is Use.TRADE else " only")
           + ", withdrawals OFF, and 'Restrict access to trusted IPs only' with your server's addresses.")
    private_pem = None
    if kind is not KeyKind.HMAC:
        private_pem, public_pem = new_key_pair(kind)
        io.say(f"   Choose 'Self-generated' ({kind.value}) and paste this public key:\n{public_pem}")
    api_key = io.ask("2. The new API key: ").strip()
    secret = io.ask_secret("   The new secret key: ").strip() if kind is KeyKind.HMAC else None
    if not api_key or (kind is KeyKind.HMAC and not secret):
        raise RotationError("no new key given: nothing was changed")
    new = profile.with_key(api_key, secret=secret, private_key=private_pem, created_ms=now_ms)
    checks = verify_key(new)
    io.say("3. The new key works: " + "; ".join(checks) + ".")
    backend.put(new, replace=True)
    checks.append("stored in the vault")
    io.say(f"4. Stored in the vault. Now DELETE the old key {profile.masked_key} in API Management.")
    io.ask("   Press Enter once it is deleted: ")
    if old_key_still_works(profile):
        raise RotationError(f"the old key {profile.masked_key} still works: delete it in API Management "
                            "(the vault already holds the new key)")
    checks.append("old key no longer works")
    io.say("5. Done: the old key is dead and the profile uses the new one.")
    return RotationResult(profile.name, profile.masked_key, new.masked_key, None, tuple(checks))
