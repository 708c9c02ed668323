"""Authentication and authorization of one request, in Binance's order of checks.

Keys live in an in-memory cache (no database round trip per request). The cache reloads when the
keys generation in the store moves, which the CLI bumps on every change, so an edit or revocation
made while the server runs takes effect on the very next request.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from minance.domain.clock import Clock
from minance.domain.errors import BinanceError, Err, ErrorSpec
from minance.keys.iprules import allowed
from minance.keys.material import is_well_formed_api_key
from minance.keys.model import ApiKey, IpNetwork, KeyStatus, KeyType, Permission
from minance.keys.sealing import SealError, SecretBox
from minance.keys.verify import Verifier, check_timing, extract_signed_payload
from minance.server.request import Request
from minance.store.base import Store

log = logging.getLogger("minance.auth")


class Security(StrEnum):
    NONE = "NONE"
    USER_STREAM = "USER_STREAM"  # API key only, no signature
    USER_DATA = "USER_DATA"
    TRADE = "TRADE"


class AuthRejected(BinanceError):
    """A rejection with the reason in words for the activity log (the client sees only code and msg)."""

    def __init__(self, spec: ErrorSpec, note: str, **fmt: object) -> None:
        error = spec(**fmt)
        super().__init__(error.code, error.msg, http_status=error.http_status)
        self.note = note


@dataclass(frozen=True, slots=True)
class CachedKey:
    key: ApiKey
    verifier: Verifier | None
    networks: tuple[IpNetwork, ...]


class KeyCache:
    def __init__(self, store: Store, box: SecretBox) -> None:
        self._store = store
        self._box = box
        self._generation = -1
        self._keys: dict[str, CachedKey] = {}
        self.reload()

    def reload(self) -> None:
        previous = self._keys
        keys: dict[str, CachedKey] = {}
        for key in self._store.list_keys():
            old = previous.get(key.api_key)
            verifier = old.verifier if old is not None else self._verifier(key)
            keys[key.api_key] = CachedKey(key, verifier, key.networks())
        self._keys = keys
        self._generation = self._store.keys_generation()

    def _verifier(self, key: ApiKey) -> Verifier | None:
        try:
            if key.key_type is KeyType.HMAC:
                if key.secret_ciphertext is None:
                    return None
                secret = self._box.open(key.secret_ciphertext, key.api_key).encode()
                return Verifier(KeyType.HMAC, secret=secret)
            return Verifier(key.key_type, public_key_pem=key.public_key_pem)
        except (SealError, ValueError):
            log.error("key %s cannot be loaded (wrong master key?)", key.masked)
            return None

    def refresh_if_changed(self) -> None:
        if self._store.changed_elsewhere() and self._store.keys_generation() != self._generation:
            self.reload()

    def get(self, api_key: str) -> CachedKey | None:
        return self._keys.get(api_key)


WITHDRAW_ROUTES = frozenset({"/sapi/v1/capital/withdraw/apply"})


class Authenticator:
    """Binance's checks, in Binance's order. REST uses :meth:`authenticate`; the WebSocket API composes the
    same pieces (:meth:`lookup`, :meth:`authorize`, :meth:`check_timing`, :meth:`check_signature`,
    :meth:`check_symbol`) around its own signature payload and its logged-on sessions."""

    def __init__(self, cache: KeyCache, clock: Clock) -> None:
        self.cache = cache
        self.clock = clock

    def authenticate(self, req: Request, security: Security, group: str) -> ApiKey | None:
        if security is Security.NONE:
            return None
        cached = self.lookup(req.headers.get("x-mbx-apikey", ""))
        req.key = cached.key  # known from here on: rejections below are logged against it
        self.authorize(cached, req.ip, security, group, req.path)
        if security is Security.USER_STREAM:
            return cached.key
        self.check_timing(req.params)
        signed = extract_signed_payload(req.raw_query, req.raw_body)
        self.check_signature(cached, signed.payload, signed.signature)
        self.check_symbol(cached.key, security, req.params.get("symbol"))
        return cached.key

    # -- the pieces ------------------------------------------------------------------------------
    def lookup(self, api_key: str) -> CachedKey:
        """The key named by the client: absent or malformed → -2014, unknown → -2015."""
        if not api_key:
            raise AuthRejected(Err.BAD_API_KEY_FMT, "no API key sent")
        if not is_well_formed_api_key(api_key):
            raise AuthRejected(Err.BAD_API_KEY_FMT, "malformed API key")
        self.cache.refresh_if_changed()
        cached = self.cache.get(api_key)
        if cached is None:
            raise AuthRejected(Err.REJECTED_MBX_KEY, "unknown API key")
        return cached

    def authorize(self, cached: CachedKey, ip: str, security: Security, group: str, path: str) -> None:
        """Key status, IP allow-list, endpoint group and permission for ``security`` (all -2015, or -1002)."""
        key = cached.key
        now_ms = self.clock.now_ms()
        status = key.status(now_ms)
        if status not in (KeyStatus.ACTIVE, KeyStatus.GRACE):
            raise AuthRejected(Err.REJECTED_MBX_KEY, f"key {status.value}")
        if not allowed(ip, cached.networks):
            raise AuthRejected(Err.REJECTED_MBX_KEY, "denied: ip not allowed")
        if key.endpoint_groups is not None and group not in key.endpoint_groups:
            raise AuthRejected(Err.REJECTED_MBX_KEY, f"denied: endpoint group '{group}' not allowed")
        if security is Security.TRADE and not key.can_trade(now_ms):
            lapsed = Permission.SPOT in key.permissions
            raise AuthRejected(Err.REJECTED_MBX_KEY,
                               "denied: trading authority expired" if lapsed else "denied: no spot permission")
        if path in WITHDRAW_ROUTES and Permission.WITHDRAWALS not in key.permissions:
            raise AuthRejected(Err.UNAUTHORIZED, "denied: no withdrawals permission")

    def check_timing(self, params: dict[str, str]) -> None:
        check_timing(params.get("timestamp"), params.get("recvWindow"), self.clock.now_us())

    @staticmethod
    def check_signature(cached: CachedKey, payload: bytes, signature: str | None) -> None:
        if signature is None:
            raise AuthRejected(Err.MANDATORY_PARAM, "no signature", name="signature")
        if cached.verifier is None or not cached.verifier.verify(payload, signature):
            raise AuthRejected(Err.INVALID_SIGNATURE, "bad signature")

    @staticmethod
    def check_symbol(key: ApiKey, security: Security, symbol: str | None) -> None:
        """The symbol allow-list is the engine's -2010, so only a correctly signed request learns of it."""
        if security is Security.TRADE and key.symbols is not None and symbol is not None and symbol not in key.symbols:
            raise AuthRejected(Err.SYMBOL_NOT_PERMITTED, "denied: symbol not allowed")
