"""The key vault: profiles (an API key and its secret or private key, for a target) kept encrypted in a
file, in the OS keyring, in HashiCorp Vault, or read from the environment — never in plain text."""

from minance.vault.env import EnvVault
from minance.vault.file import FileVault
from minance.vault.profile import (
    Backend,
    BackendUnavailable,
    Profile,
    ProfileExists,
    ProfileNotFound,
    Secret,
    Use,
    VaultError,
    WrongPassphrase,
)
from minance.vault.store import default_vault_path, open_backend, passphrase_provider, split_ref

__all__ = [
    "Backend",
    "BackendUnavailable",
    "EnvVault",
    "FileVault",
    "Profile",
    "ProfileExists",
    "ProfileNotFound",
    "Secret",
    "Use",
    "VaultError",
    "WrongPassphrase",
    "default_vault_path",
    "open_backend",
    "passphrase_provider",
    "split_ref",
]
