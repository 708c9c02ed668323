from __future__ import annotations

import os
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from minance.keys.material import KeyMaterialError, is_well_formed_api_key, load_public_key, new_api_key
from minance.keys.model import KeyType, Secret
from minance.keys.sealing import SealError, SecretBox, load_master_key


def _public_pem(private) -> str:
    return private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def test_api_keys_are_64_alphanumerics_and_unique():
    keys = {new_api_key() for _ in range(200)}
    assert len(keys) == 200
    assert all(is_well_formed_api_key(k) for k in keys)
    assert not is_well_formed_api_key("a" * 63)
    assert not is_well_formed_api_key("a" * 63 + "-")


def test_public_keys_accepted_by_kind():
    assert load_public_key(_public_pem(ed25519.Ed25519PrivateKey.generate()))[0] is KeyType.ED25519
    assert load_public_key(_public_pem(rsa.generate_private_key(65537, 2048)))[0] is KeyType.RSA


@pytest.mark.parametrize("bad", ["nonsense", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"])
def test_garbage_rejected(bad):
    with pytest.raises(KeyMaterialError):
        load_public_key(bad)


def test_small_rsa_and_ec_and_private_keys_rejected():
    with pytest.raises(KeyMaterialError, match="2048 to 4096"):
        load_public_key(_public_pem(rsa.generate_private_key(65537, 1024)))
    with pytest.raises(KeyMaterialError, match="only Ed25519 and RSA"):
        load_public_key(_public_pem(ec.generate_private_key(ec.SECP256R1())))
    private = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    with pytest.raises(KeyMaterialError, match="private key"):
        load_public_key(private)


def test_sealing_round_trip_is_bound_to_the_key_id():
    box = SecretBox(os.urandom(32))
    sealed = box.seal("topsecret", "KEY1")
    assert b"topsecret" not in sealed
    assert box.open(sealed, "KEY1") == "topsecret"
    assert box.seal("topsecret", "KEY1") != sealed  # fresh nonce each time
    with pytest.raises(SealError):
        box.open(sealed, "KEY2")
    with pytest.raises(SealError):
        SecretBox(os.urandom(32)).open(sealed, "KEY1")


def test_master_key_file_created_private_and_stable(tmp_path):
    first = load_master_key(tmp_path, env={})
    assert load_master_key(tmp_path, env={}) == first
    mode = stat.S_IMODE((tmp_path / "master.key").stat().st_mode)
    assert mode == 0o600


def test_master_key_from_env_wins(tmp_path):
    key = os.urandom(32)
    assert load_master_key(tmp_path, env={"MINANCE_MASTER_KEY": key.hex()}) == key
    assert not (tmp_path / "master.key").exists()
    with pytest.raises(SealError):
        load_master_key(tmp_path, env={"MINANCE_MASTER_KEY": "short"})


def test_secret_never_prints():
    secret = Secret("s3cr3t-value")
    assert "s3cr3t" not in repr(secret) and "s3cr3t" not in str(secret) and "s3cr3t" not in f"{secret}"
    assert secret.reveal() == "s3cr3t-value"
