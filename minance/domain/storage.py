"""The one storage error every layer may name: the key service and the accounts raise it to the user, the store
backends raise it on a constraint (it lives here so keys/ need not import store/)."""

from __future__ import annotations

__all__ = ["StoreError"]


class StoreError(Exception):
    """A constraint the caller can fix (duplicate name, unknown account...)."""
