"""Profiles in HashiCorp Vault's KV version 2 engine (or OpenBao's, which speaks the same API), via ``hvac``.

For servers: the address and token come from ``VAULT_ADDR`` / ``VAULT_TOKEN`` (hvac's own convention),
the mount from ``MINANCE_HCV_MOUNT`` (default ``secret``) and the path prefix from ``MINANCE_HCV_PREFIX``
(default ``minance``). A profile is one secret at ``PREFIX/NAME``; creation uses check-and-set so two
writers cannot overwrite each other's new profile.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from minance.vault.profile import BackendUnavailable, Profile, ProfileExists, ProfileNotFound, VaultError, check_name

__all__ = ["HashiCorpVault"]


def _hvac():
    try:
        import hvac
        import hvac.exceptions
    except ImportError:
        raise BackendUnavailable("the HashiCorp Vault backend needs 'pip install minance[hashicorp]' (hvac)") \
            from None
    return hvac


class HashiCorpVault:
    kind = "hashicorp"

    def __init__(self, client: Any | None = None, *, mount: str | None = None, prefix: str | None = None,
                 env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        hvac = _hvac()
        self._exc = hvac.exceptions
        if client is None:
            if not env.get("VAULT_ADDR"):
                raise BackendUnavailable("set VAULT_ADDR and VAULT_TOKEN to use HashiCorp Vault")
            client = hvac.Client(url=env["VAULT_ADDR"], token=env.get("VAULT_TOKEN"))
        self.client = client
        self.mount = mount or env.get("MINANCE_HCV_MOUNT") or "secret"
        self.prefix = (prefix or env.get("MINANCE_HCV_PREFIX") or "minance").strip("/")

    def __repr__(self) -> str:
        return f"HashiCorpVault({self.mount}/{self.prefix})"

    @property
    def _kv(self):
        return self.client.secrets.kv.v2

    def _path(self, name: str) -> str:
        return f"{self.prefix}/{check_name(name)}"

    def _call(self, fn, *args, **kw):
        try:
            return fn(*args, **kw)
        except self._exc.Forbidden:
            raise VaultError("HashiCorp Vault refused the token for this path (check VAULT_TOKEN's policy)") from None
        except self._exc.Unauthorized:
            raise VaultError("HashiCorp Vault: the token is missing or expired (VAULT_TOKEN)") from None
        except self._exc.VaultError as exc:
            raise VaultError(f"HashiCorp Vault error: {type(exc).__name__}") from None
        except OSError as exc:  # requests' ConnectionError derives from it
            raise BackendUnavailable(f"cannot reach HashiCorp Vault: {type(exc).__name__}") from None

    def _read(self, name: str) -> dict[str, Any] | None:
        try:
            answer = self._kv.read_secret_version(path=self._path(name), mount_point=self.mount,
                                                  raise_on_deleted_version=True)
        except self._exc.InvalidPath:
            return None
        return answer["data"]["data"]

    def get(self, name: str) -> Profile:
        record = self._call(self._read, name)
        if record is None:
            raise ProfileNotFound(f"no profile {name!r} in HashiCorp Vault at {self.mount}/{self.prefix}")
        return Profile.from_record(name, record)

    def put(self, profile: Profile, *, replace: bool = False) -> None:
        options = {} if replace else {"cas": 0}  # cas=0: write only if the secret does not exist yet
        try:
            self._call(self._kv.create_or_update_secret, path=self._path(profile.name), secret=profile.to_record(),
                       mount_point=self.mount, **options)
        except VaultError as exc:
            if not replace and self._call(self._read, profile.name) is not None:
                raise ProfileExists(f"profile {profile.name!r} exists in HashiCorp Vault: remove it first") from None
            raise exc

    def remove(self, name: str) -> None:
        if self._call(self._read, name) is None:
            raise ProfileNotFound(f"no profile {name!r} in HashiCorp Vault")
        self._call(self._kv.delete_metadata_and_all_versions, path=self._path(name), mount_point=self.mount)

    def list(self) -> list[dict[str, Any]]:
        try:
            names = self._call(self._kv.list_secrets, path=self.prefix, mount_point=self.mount)["data"]["keys"]
        except VaultError:
            return []
        out = []
        for name in sorted(n for n in names if not n.endswith("/")):
            record = self._call(self._read, name)
            if record is not None:
                out.append(Profile.from_record(name, record).summary())
        return out
