"""Re-exports :mod:`minance.store.lock` (the data dir's server lock lives below the server and the venue)."""

from minance.store.lock import INFO_FILE, LOCK_FILE, STARTING, DataDirBusy, ServerLock, running_server_url

__all__ = ["INFO_FILE", "LOCK_FILE", "STARTING", "DataDirBusy", "ServerLock", "running_server_url"]
