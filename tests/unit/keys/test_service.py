"""Key management rules, on a real SQLite store and a stepped clock."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from minance.accounts import AccountService
from minance.domain.clock import SimClock
from minance.keys.model import TRADING_AUTHORITY_MS, KeyStatus, KeyType, Permission
from minance.keys.sealing import SecretBox
from minance.keys.service import KeyConfigError, KeyService, parse_groups, parse_permissions, parse_symbols
from minance.store import open_store

SPOT = parse_permissions("reading,spot")


@pytest.fixture
def env(tmp_path):
    clock = SimClock()
    store = open_store(tmp_path)
    AccountService(store, clock).create("alice")
    yield KeyService(store, SecretBox(os.urandom(32)), clock), clock, store
    store.close()


def _ed_pem() -> str:
    return ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def test_defaults_reading_only_and_secret_sealed(env):
    service, _, store = env
    issued = service.create("alice")
    assert issued.key.permissions == {Permission.READING}
    assert issued.secret is not None and len(issued.secret.reveal()) == 64
    stored = store.get_key(issued.key.api_key)
    assert issued.secret.reveal().encode() not in stored.secret_ciphertext
    assert service.open_secret(stored).reveal() == issued.secret.reveal()


def test_reading_is_always_on():
    assert parse_permissions("spot") == {Permission.READING, Permission.SPOT}
    with pytest.raises(KeyConfigError):
        parse_permissions("futures")


def test_withdrawals_need_an_ip_allow_list(env):
    service, _, _ = env
    with pytest.raises(KeyConfigError, match="IP-restricted"):
        service.create("alice", permissions=parse_permissions("withdrawals"))
    key = service.create("alice", permissions=parse_permissions("withdrawals"), ips=("10.0.0.1/32",)).key
    with pytest.raises(KeyConfigError, match="IP-restricted"):
        service.edit(key.api_key, ips=())


def test_trading_authority_lapses_after_30_days_without_ip_list(env):
    service, clock, _ = env
    key = service.create("alice", permissions=SPOT).key
    assert key.trading_authority_expiration_ms() == key.created_ms + TRADING_AUTHORITY_MS
    clock.advance_ms(TRADING_AUTHORITY_MS - 1)
    assert key.can_trade(clock.now_ms())
    clock.advance_ms(1)
    assert not key.can_trade(clock.now_ms())
    renewed = service.edit(key.api_key, permissions=SPOT)  # re-enabling restarts the 30 days
    assert renewed.can_trade(clock.now_ms())
    restricted = service.create("alice", permissions=SPOT, ips=("127.0.0.1/32",)).key
    assert restricted.trading_authority_expiration_ms() is None
    clock.advance_ms(10 * TRADING_AUTHORITY_MS)
    assert restricted.can_trade(clock.now_ms())


def test_removing_the_ip_list_starts_the_trading_clock(env):
    service, clock, _ = env
    key = service.create("alice", permissions=SPOT, ips=("127.0.0.1/32",)).key
    clock.advance_ms(5 * TRADING_AUTHORITY_MS)
    opened = service.edit(key.api_key, ips=())
    assert opened.trading_authority_expiration_ms() == clock.now_ms() + TRADING_AUTHORITY_MS


def test_rotation_keeps_settings_and_grace(env):
    service, clock, store = env
    old = service.create("alice", label="bot", permissions=SPOT, ips=("127.0.0.1/32",),
                         symbols=parse_symbols("BTCUSDT"), endpoint_groups=parse_groups("trade,account")).key
    new = service.rotate(old.api_key, grace_s=60).key
    old = store.get_key(old.id)
    assert (new.permissions, new.ips, new.symbols, new.endpoint_groups, new.label) == (
        old.permissions, old.ips, old.symbols, old.endpoint_groups, old.label)
    assert new.api_key != old.api_key and new.rotated_from == old.id and old.rotated_to == new.id
    assert old.status(clock.now_ms()) is KeyStatus.GRACE
    clock.advance_ms(60_000)
    assert old.status(clock.now_ms()) is KeyStatus.RETIRED
    with pytest.raises(KeyConfigError):
        service.rotate(old.api_key)


def test_rotation_with_zero_grace_retires_at_once(env):
    service, clock, store = env
    old = service.create("alice").key
    service.rotate(old.api_key, grace_s=0)
    assert store.get_key(old.id).status(clock.now_ms()) is KeyStatus.RETIRED


def test_asymmetric_rotation_needs_a_new_public_key(env):
    service, _, _ = env
    pem = _ed_pem()
    key = service.create("alice", key_type=KeyType.ED25519, public_key_pem=pem).key
    assert key.secret_ciphertext is None
    with pytest.raises(KeyConfigError, match="NEW public key"):
        service.rotate(key.api_key)
    with pytest.raises(KeyConfigError, match="old one"):
        service.rotate(key.api_key, public_key_pem=pem)
    assert service.rotate(key.api_key, public_key_pem=_ed_pem()).secret is None


def test_type_and_key_mismatch(env):
    service, _, _ = env
    with pytest.raises(KeyConfigError, match="public key is ED25519"):
        service.create("alice", key_type=KeyType.RSA, public_key_pem=_ed_pem())
    with pytest.raises(KeyConfigError, match="needs the user's public key"):
        service.create("alice", key_type=KeyType.ED25519)
    with pytest.raises(KeyConfigError, match="no such account"):
        service.create("nobody")


def test_revoke_and_expiry_and_resolve(env):
    service, clock, _ = env
    key = service.create("alice", expires_ms=clock.now_ms() + 1000).key
    assert service.resolve(key.api_key[:8]).id == key.id
    clock.advance_ms(1000)
    assert key.status(clock.now_ms()) is KeyStatus.EXPIRED
    other = service.revoke(service.create("alice").key.api_key)
    assert other.status(clock.now_ms()) is KeyStatus.REVOKED
    with pytest.raises(KeyConfigError):
        service.edit(other.api_key, label="x")
    with pytest.raises(KeyConfigError, match="no such key"):
        service.resolve("nonexistent")


def test_every_write_bumps_the_generation(env):
    service, _, store = env
    start = store.keys_generation()
    key = service.create("alice").key
    service.edit(key.api_key, label="x")
    service.revoke(key.api_key)
    assert store.keys_generation() == start + 3


def test_describe_never_contains_the_secret(env):
    service, _, _ = env
    issued = service.create("alice")
    assert issued.secret.reveal() not in repr(service.describe(issued.key))
    assert issued.secret.reveal() not in repr(issued)
