"""Durable state behind one interface; SQLite is the embedded default."""

from minance.store.base import Store, StoreError
from minance.store.sqlite import SqliteStore, open_store

__all__ = ["SqliteStore", "Store", "StoreError", "open_store"]
