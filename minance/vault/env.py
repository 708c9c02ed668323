"""A read-only profile from environment variables, for containers and CI where a secret store injects them:
``MINANCE_API_KEY`` plus ``MINANCE_API_SECRET`` (HMAC) or ``MINANCE_PRIVATE_KEY_FILE`` / ``MINANCE_PRIVATE_KEY``
(Ed25519/RSA PEM); optional ``MINANCE_TARGET``, ``MINANCE_KEY_USE`` (read|trade), ``MINANCE_KEY_CREATED``
(epoch ms), ``MINANCE_DATA``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from minance.vault.profile import Profile, ProfileNotFound, Secret, Use, VaultError

__all__ = ["ENV_PROFILE", "EnvVault", "profile_to_env"]

ENV_PROFILE = "env"
API_KEY, API_SECRET = "MINANCE_API_KEY", "MINANCE_API_SECRET"
PRIVATE_KEY_FILE, PRIVATE_KEY = "MINANCE_PRIVATE_KEY_FILE", "MINANCE_PRIVATE_KEY"
TARGET, USE, CREATED, DATA = "MINANCE_TARGET", "MINANCE_KEY_USE", "MINANCE_KEY_CREATED", "MINANCE_DATA"


class EnvVault:
    kind = "env"

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self.env = os.environ if env is None else env

    def __repr__(self) -> str:
        return "EnvVault()"

    def _present(self) -> bool:
        return bool(self.env.get(API_KEY))

    def get(self, name: str = ENV_PROFILE) -> Profile:
        if not self._present():
            raise ProfileNotFound(f"{API_KEY} is not set")
        secret = self.env.get(API_SECRET)
        pem = self.env.get(PRIVATE_KEY)
        if self.env.get(PRIVATE_KEY_FILE):
            try:
                pem = Path(self.env[PRIVATE_KEY_FILE]).read_text()
            except OSError as exc:
                raise VaultError(f"cannot read {PRIVATE_KEY_FILE}: {exc.strerror}") from None
        if (secret is None) == (pem is None):
            raise VaultError(f"set {API_SECRET} (HMAC) or {PRIVATE_KEY_FILE} (Ed25519/RSA), exactly one")
        extra: dict[str, Any] = {}
        if self.env.get(CREATED, "").isdigit():
            extra["created_ms"] = int(self.env[CREATED])
        return Profile(name=ENV_PROFILE, api_key=self.env[API_KEY], secret=Secret(secret) if secret else None,
                       private_key=Secret(pem) if pem else None, target=self.env.get(TARGET) or "local",
                       use=Use(self.env.get(USE) or "trade"), data_dir=self.env.get(DATA) or None, **extra)

    def list(self) -> list[dict[str, Any]]:
        return [self.get().summary()] if self._present() else []

    def put(self, profile: Profile, *, replace: bool = False) -> None:
        raise VaultError("environment profiles are read-only: export the variables instead "
                         "('minance vault export PROFILE --format env')")

    def remove(self, name: str) -> None:
        raise VaultError("environment profiles are read-only: unset the variables instead")


def profile_to_env(profile: Profile) -> dict[str, str]:
    """The variables that make :class:`EnvVault` give back ``profile`` (secrets included: handle with care)."""
    out = {API_KEY: profile.api_key, TARGET: profile.target, USE: profile.use.value, CREATED: str(profile.created_ms)}
    if profile.secret is not None:
        out[API_SECRET] = profile.secret.reveal()
    if profile.private_key is not None:
        out[PRIVATE_KEY] = profile.private_key.reveal()
    if profile.data_dir:
        out[DATA] = profile.data_dir
    return out
