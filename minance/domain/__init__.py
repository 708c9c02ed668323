"""Pure domain values shared by the server, the engine and the SDK (no I/O)."""
