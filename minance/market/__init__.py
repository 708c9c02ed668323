"""The market: symbols and their trading rules (the exchange issue adds the replayed feed)."""
