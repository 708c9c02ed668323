"""Profiles in the operating system's keyring (macOS Keychain, Windows Credential Locker, Secret Service,
or any ``keyring`` backend, e.g. a file-backed one from ``keyrings.alt``).

Each profile is one keyring item (service ``minance``, user ``profile:NAME``) holding its record as JSON;
an ``index`` item lists the profiles' public summaries, since keyrings cannot enumerate.
"""

from __future__ import annotations

import json
from typing import Any

from minance.vault.profile import BackendUnavailable, Profile, ProfileExists, ProfileNotFound, check_name

__all__ = ["SERVICE", "KeyringVault"]

SERVICE = "minance"
_INDEX = "index"


def _system_keyring() -> Any:
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        raise BackendUnavailable("the keyring backend needs 'pip install keyring'") from None
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 1) <= 0:
        raise BackendUnavailable("no usable OS keyring here: use the vault file (the default) or set "
                                 "PYTHON_KEYRING_BACKEND")
    return backend


class KeyringVault:
    kind = "keyring"

    def __init__(self, backend: Any | None = None, service: str = SERVICE) -> None:
        self.backend = backend if backend is not None else _system_keyring()
        self.service = service

    def __repr__(self) -> str:
        return f"KeyringVault({type(self.backend).__name__})"

    def _index(self) -> dict[str, dict[str, Any]]:
        raw = self.backend.get_password(self.service, _INDEX)
        return json.loads(raw) if raw else {}

    def _save_index(self, index: dict[str, dict[str, Any]]) -> None:
        self.backend.set_password(self.service, _INDEX, json.dumps(index, sort_keys=True))

    def list(self) -> list[dict[str, Any]]:
        return [meta for _, meta in sorted(self._index().items())]

    def get(self, name: str) -> Profile:
        raw = self.backend.get_password(self.service, f"profile:{check_name(name)}")
        if raw is None:
            raise ProfileNotFound(f"no profile {name!r} in the keyring")
        return Profile.from_record(name, json.loads(raw))

    def put(self, profile: Profile, *, replace: bool = False) -> None:
        user = f"profile:{profile.name}"
        if not replace and self.backend.get_password(self.service, user) is not None:
            raise ProfileExists(f"profile {profile.name!r} exists in the keyring: remove it first")
        self.backend.set_password(self.service, user, json.dumps(profile.to_record(), sort_keys=True))
        index = self._index()
        index[profile.name] = profile.summary()
        self._save_index(index)

    def remove(self, name: str) -> None:
        user = f"profile:{check_name(name)}"
        if self.backend.get_password(self.service, user) is None:
            raise ProfileNotFound(f"no profile {name!r} in the keyring")
        self.backend.delete_password(self.service, user)
        index = self._index()
        index.pop(name, None)
        self._save_index(index)
