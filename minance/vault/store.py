"""Choosing a backend and finding a profile: ``NAME`` (the default backend, normally the vault file),
``keyring:NAME``, ``hashicorp:NAME``, or ``env`` (the environment variables)."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from minance.vault.env import ENV_PROFILE, EnvVault
from minance.vault.file import FileVault
from minance.vault.profile import Backend, VaultError

__all__ = [
    "BACKENDS",
    "PASSPHRASE_ENV",
    "VAULT_ENV",
    "default_vault_path",
    "open_backend",
    "passphrase_provider",
    "split_ref",
]

VAULT_ENV = "MINANCE_VAULT"
PASSPHRASE_ENV = "MINANCE_VAULT_PASSPHRASE"  # noqa: S105 - the variable's name
BACKEND_ENV = "MINANCE_VAULT_BACKEND"
BACKENDS = ("file", "keyring", "env", "hashicorp")


def default_vault_path(env: Mapping[str, str] | None = None) -> Path:
    """``$MINANCE_VAULT``, else ``vault.json`` in the user's config dir (XDG, macOS or Windows)."""
    env = os.environ if env is None else env
    if env.get(VAULT_ENV):
        return Path(env[VAULT_ENV]).expanduser()
    if sys.platform == "win32":
        base = Path(env.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "minance" / "vault.json"


def passphrase_provider(env: Mapping[str, str] | None = None, *, confirm: bool = False) -> Callable[[], str]:
    """The vault passphrase from ``$MINANCE_VAULT_PASSPHRASE``, else asked on the terminal (twice when
    ``confirm``, for a new vault). Asked at most once per process."""
    env = os.environ if env is None else env
    cache: list[str] = []

    def provide() -> str:
        if cache:
            return cache[0]
        value = env.get(PASSPHRASE_ENV)
        if value is None:
            try:
                value = getpass.getpass("vault passphrase: ")
                if confirm and getpass.getpass("repeat the passphrase: ") != value:
                    raise VaultError("the passphrases differ: nothing was changed")
            except (EOFError, OSError):
                raise VaultError(f"no terminal to ask the vault passphrase: set {PASSPHRASE_ENV}") from None
        if not value:
            raise VaultError("the vault passphrase is empty")
        cache.append(value)
        return value

    return provide


def split_ref(ref: str, env: Mapping[str, str] | None = None) -> tuple[str, str]:
    """``keyring:bot`` → ("keyring", "bot"); ``env`` → ("env", "env"); ``bot`` → (default backend, "bot")."""
    env = os.environ if env is None else env
    if ref == ENV_PROFILE:
        return "env", ENV_PROFILE
    kind, sep, name = ref.partition(":")
    if sep and kind in BACKENDS:
        return kind, name
    return env.get(BACKEND_ENV) or "file", ref


def open_backend(kind: str, env: Mapping[str, str] | None = None, *, vault_path: Path | None = None,
                 passphrase: Callable[[], str] | None = None) -> Backend:
    env = os.environ if env is None else env
    if kind == "file":
        return FileVault(vault_path or default_vault_path(env), passphrase or passphrase_provider(env),
                         new_passphrase=passphrase or passphrase_provider(env, confirm=True))
    if kind == "env":
        return EnvVault(env)
    if kind == "keyring":
        from minance.vault.keyring_backend import KeyringVault

        return KeyringVault()
    if kind == "hashicorp":
        from minance.vault.hashicorp import HashiCorpVault

        return HashiCorpVault(env=env)
    raise VaultError(f"unknown vault backend {kind!r}: use {', '.join(BACKENDS)}")
