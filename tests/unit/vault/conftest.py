from __future__ import annotations

import secrets
import string

import pytest

from minance.vault import Profile, Secret, Use
from tests.support import generate_key_pair

# Cheap Argon2id for unit tests (the CLI uses the default, RFC 9106's 64 MiB setting).
FAST_KDF = {"name": "argon2id", "salt": "c2FsdHNhbHRzYWx0c2FsdA==", "iterations": 1, "lanes": 1, "memoryKib": 1024}


def random_secret(n: int = 64) -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(n))


@pytest.fixture
def hmac_profile() -> Profile:
    return Profile(name="bot", api_key=random_secret(), secret=Secret(random_secret()), target="local", use=Use.TRADE)


@pytest.fixture
def ed_profile() -> Profile:
    private_pem, _ = generate_key_pair("ed25519")
    return Profile(name="ed-bot", api_key=random_secret(), private_key=Secret(private_pem), target="testnet",
                   use=Use.READ, rotate_days=14, data_dir="/srv/minance")
