"""The encrypted vault file: round trip, 0600, no secret on disk, wrong passphrase, tampering, concurrency."""

from __future__ import annotations

import base64
import json
import multiprocessing
import os
import stat

import pytest

from minance.vault import FileVault, ProfileExists, ProfileNotFound, VaultError, WrongPassphrase
from minance.vault.file import default_kdf
from tests.unit.vault.conftest import FAST_KDF


def vault(path, passphrase="correct horse", kdf=FAST_KDF) -> FileVault:
    return FileVault(path, lambda: passphrase, kdf={**kdf, "salt": default_kdf()["salt"]})


def test_round_trip_both_key_kinds(tmp_path, hmac_profile, ed_profile):
    path = tmp_path / "vault.json"
    v = vault(path)
    v.put(hmac_profile)
    v.put(ed_profile)
    again = vault(path)  # a fresh process: derives the key from the passphrase again
    assert again.get("bot") == hmac_profile
    assert again.get("ed-bot") == ed_profile
    assert [p["name"] for p in again.list()] == ["bot", "ed-bot"]
    assert again.list()[1]["kind"] == "ED25519" and again.list()[1]["use"] == "read"


def test_file_is_private_and_holds_no_secret(tmp_path, hmac_profile, ed_profile):
    path = tmp_path / "sub" / "vault.json"
    v = vault(path)
    v.put(hmac_profile)
    v.put(ed_profile)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = path.read_bytes()
    for secret in (hmac_profile.secret.reveal(), hmac_profile.api_key, "PRIVATE KEY",
                   ed_profile.private_key.reveal().splitlines()[1]):
        assert secret.encode() not in raw
        assert base64.b64encode(secret.encode()) not in raw
    data = json.loads(raw)
    nonces = [e["nonce"] for e in data["entries"].values()] + [data["check"]["nonce"]]
    assert len(set(nonces)) == len(nonces)  # one nonce per entry
    assert data["kdf"]["name"] == "argon2id"


def test_default_kdf_is_argon2id_rfc9106():
    kdf = default_kdf()
    assert (kdf["name"], kdf["iterations"], kdf["lanes"], kdf["memoryKib"]) == ("argon2id", 3, 4, 65536)
    assert len(base64.b64decode(kdf["salt"])) == 16


def test_scrypt_vaults_work_too(tmp_path, hmac_profile):
    path = tmp_path / "v.json"
    FileVault(path, lambda: "pw", kdf={"name": "scrypt", "salt": default_kdf()["salt"], "n": 2**12, "r": 8,
                                       "p": 1}).put(hmac_profile)
    assert FileVault(path, lambda: "pw").get("bot") == hmac_profile


def test_wrong_passphrase_fails_clearly_and_changes_nothing(tmp_path, hmac_profile, ed_profile):
    path = tmp_path / "vault.json"
    vault(path).put(hmac_profile)
    before = path.read_bytes()
    wrong = vault(path, passphrase="wrong")
    for action in (lambda: wrong.get("bot"), lambda: wrong.put(ed_profile), lambda: wrong.remove("bot"),
                   lambda: wrong.put(hmac_profile, replace=True), lambda: wrong.change_passphrase("x")):
        with pytest.raises(WrongPassphrase, match="wrong passphrase"):
            action()
    assert path.read_bytes() == before
    assert [p["name"] for p in wrong.list()] == ["bot"]  # listing needs no passphrase
    assert vault(path).get("bot") == hmac_profile


def test_tampering_is_detected(tmp_path, hmac_profile, ed_profile):
    path = tmp_path / "vault.json"
    v = vault(path)
    v.put(hmac_profile)
    v.put(ed_profile)
    data = json.loads(path.read_text())
    data["entries"]["bot"]["meta"]["use"] = "read"  # edit the public metadata
    path.write_text(json.dumps(data))
    with pytest.raises(VaultError, match="tampered"):
        vault(path).get("bot")
    data["entries"]["bot"]["meta"]["use"] = "trade"
    data["entries"]["bot"]["ciphertext"], data["entries"]["ed-bot"]["ciphertext"] = (
        data["entries"]["ed-bot"]["ciphertext"], data["entries"]["bot"]["ciphertext"])  # swap two entries
    path.write_text(json.dumps(data))
    with pytest.raises(VaultError, match="tampered"):
        vault(path).get("bot")


def test_exists_remove_and_passphrase_change(tmp_path, hmac_profile):
    path = tmp_path / "vault.json"
    v = vault(path)
    v.put(hmac_profile)
    with pytest.raises(ProfileExists):
        v.put(hmac_profile)
    v.change_passphrase("new one")
    assert vault(path, "new one").get("bot") == hmac_profile
    with pytest.raises(WrongPassphrase):
        vault(path).get("bot")
    vault(path, "new one").remove("bot")
    with pytest.raises(ProfileNotFound):
        vault(path, "new one").get("bot")


def _writer(path: str, worker: int) -> None:
    from minance.vault import Profile, Secret

    v = vault(path)
    for i in range(3):
        v.put(Profile(name=f"w{worker}-{i}", api_key=f"KEY{worker}x{i}", secret=Secret(f"s{worker}{i}")))


def test_concurrent_writers_lose_nothing(tmp_path, hmac_profile):
    path = tmp_path / "vault.json"
    vault(path).put(hmac_profile)
    ctx = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    procs = [ctx.Process(target=_writer, args=(str(path), n)) for n in range(6)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    names = {p["name"] for p in vault(path).list()}
    assert names == {"bot"} | {f"w{n}-{i}" for n in range(6) for i in range(3)}
    assert vault(path).get("w5-2").secret.reveal() == "s52"
